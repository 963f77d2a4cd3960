import DiffuseTensor

extension ParticleGuidance {
    struct BeamSearchChain<K: ParticleKernel>: SamplingChain {
        let kernel: K
        let beams: Int
        let expansions: Int
        let reward: (K.Particles) -> [Double]
        var stepCount: Int { kernel.stepCount }
        func makeModelState() -> K.State { kernel.makeState() }
        func makeState(for x: K.Particles) -> (counters: Counters, samples: Int, values: [Double]) { (Counters(), x.sampleCount / beams, []) }

        func step(_ x: K.Particles, index: Int, context: inout SamplingContext<K.Particles, K.State>,
                  state: inout (counters: Counters, samples: Int, values: [Double])) -> K.Particles {
            let n = state.samples, width = beams * expansions
            let candidates = ParticleGuidance.propagate(kernel, repeated(x, expansions), step: index, perSample: width,
                                                        context: &context, counters: &state.counters)
            let estimate = ParticleGuidance.estimate(kernel, candidates, step: index, perSample: width, context: &context, counters: &state.counters)
            let values = score(reward, estimate, counters: &state.counters)
            // Per sample, the `beams` best of its beams·expansions candidates (ties: the earlier).
            var kept: [Int] = []
            for i in 0..<n {
                let block = Array((i * width)..<((i + 1) * width))
                kept += block.sorted { values[$0] > values[$1] || (values[$0] == values[$1] && $0 < $1) }.prefix(beams)
            }
            state.values = kept.map { values[$0] }
            context.lastDenoised = estimate.gatheringSamples(kept)
            return candidates.gatheringSamples(kept)
        }

        func record(_ state: (counters: Counters, samples: Int, values: [Double]), into statistics: inout SamplingStatistics) {
            state.counters.record(samples: state.samples, into: &statistics)
        }
    }

    /// Beam search over denoising states (in the manner of DSearch, Li, Uehara et al. 2025, with a
    /// fixed width): each sample keeps `beams` states; every step expands each into `expansions`
    /// draws of the pretrained transition, values every candidate by the reward of its clean
    /// estimate (as SVDD-PM), and keeps the `beams` best of the sample's beams·expansions
    /// candidates. The best final beam is returned. With one beam it is SVDD-PM with argmax
    /// selection. Deterministic given the key; candidates are not de-duplicated, so equal
    /// states may fill several beams.
    public static func beamSearch<K: ParticleKernel>(_ kernel: K, from x: K.Particles, beams: Int, expansions: Int, key: RandomKey,
                                                     sampleOffset: Int = 0, observer: SamplingObserver<K.Particles>? = nil,
                                                     reward: @escaping (K.Particles) -> [Double]) -> Result<K.Particles> {
        precondition(beams >= 1 && expansions >= 1, "beam search needs at least one beam and one expansion, got \(beams) and \(expansions)")
        let n = x.sampleCount
        let chain = BeamSearchChain(kernel: kernel, beams: beams, expansions: expansions, reward: reward)
        let result = DiffuseCore.sample(chain, from: repeated(x, beams), key: key, sampleOffset: sampleOffset, observer: observer)
        let final = reward(result.samples)
        var reduced = result
        reduced.statistics.rewardEvaluations += Double(result.samples.sampleCount) / Double(Swift.max(n, 1))
        let best = (0..<n).map { i in ((i * beams)..<((i + 1) * beams)).max { final[$0] < final[$1] || (final[$0] == final[$1] && $0 > $1) }! }
        return finish(reduced, chosen: best, rewards: best.map { final[$0] })
    }
}
