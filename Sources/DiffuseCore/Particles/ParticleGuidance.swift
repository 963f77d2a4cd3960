import DiffuseTensor
import Foundation

/// Derivative-free, reward-guided sampling over a ``ParticleKernel``, written once for continuous
/// and discrete particles. A reward r scores clean estimates; every method is a
/// ``SamplingChain`` driven by ``sample(_:from:key:sampleOffset:observer:)``, reports to the same
/// observer and returns a ``SampleResult`` whose statistics count model evaluations per returned
/// sample (``SamplingStatistics/sampleEvaluations``) and reward evaluations per returned sample,
/// so methods are compared at equal compute.
///
/// Randomness: particle j of the population (global index `sampleOffset·M + j` for M particles
/// per sample) draws from the kernel's per-row streams, and the selection or resampling of
/// sample i at step k from its own stream, so results do not depend on the batch size.
public enum ParticleGuidance {
    /// The per-sample result of a particle method: the returned samples and their rewards.
    public typealias Result<Particles> = SampleResult<Particles>

    /// The stream of sample i's selection at the current step of `context` (disjoint from the
    /// step's noise draws and model keys).
    static func selectionStream<V, S>(_ context: SamplingContext<V, S>, sample i: Int) -> RandomStream {
        RandomStream(key: context.stepKey.folding(in: -(1 << 40)).folding(in: context.sampleOffset + i))
    }

    /// Runs `body` on a population with the context's offset scaled to population rows, and
    /// counts the model evaluations it makes times the rows evaluated (less the duplicate rows
    /// the model did not run, ``SamplingContext/rowsNotEvaluated``).
    static func counting<P: ParticleBatch, S, R>(_ population: P, perSample: Int, context: inout SamplingContext<P, S>,
                                                 counters: inout Counters, _ body: (inout SamplingContext<P, S>) -> R) -> R {
        let before = context.evaluations, skippedBefore = context.rowsNotEvaluated
        let offset = context.sampleOffset
        context.sampleOffset = offset * perSample
        let result = body(&context)
        context.sampleOffset = offset
        counters.sampleEvaluations += Double((context.evaluations - before) * population.sampleCount - (context.rowsNotEvaluated - skippedBefore))
        return result
    }

    /// Propagates a population one step, counting evaluations.
    static func propagate<K: ParticleKernel>(_ kernel: K, _ population: K.Particles, step: Int, perSample: Int,
                                             context: inout SamplingContext<K.Particles, K.State>, counters: inout Counters) -> K.Particles {
        counting(population, perSample: perSample, context: &context, counters: &counters) { kernel.propagate(population, step: step, context: &$0) }
    }

    /// The clean estimates of a population after a step, counting evaluations.
    static func estimate<K: ParticleKernel>(_ kernel: K, _ population: K.Particles, step: Int, perSample: Int,
                                            context: inout SamplingContext<K.Particles, K.State>, counters: inout Counters) -> K.Particles {
        let estimate = counting(population, perSample: perSample, context: &context, counters: &counters) { kernel.estimate(population, afterStep: step, context: &$0) }
        context.lastDenoised = estimate
        return estimate
    }

    /// Model and reward evaluations of a run, over all particles (divided by the number of
    /// returned samples when reported).
    struct Counters {
        var sampleEvaluations = 0.0
        var rewardEvaluations = 0.0
        var resamplings = 0.0

        func record(samples n: Int, into statistics: inout SamplingStatistics) {
            statistics.sampleEvaluations = sampleEvaluations / Double(Swift.max(n, 1))
            statistics.rewardEvaluations = rewardEvaluations / Double(Swift.max(n, 1))
            statistics.resamplings = resamplings / Double(Swift.max(n, 1))
        }
    }

    /// Scores particles, counting the evaluations.
    static func score<P: ParticleBatch>(_ reward: (P) -> [Double], _ particles: P, counters: inout Counters) -> [Double] {
        let values = reward(particles)
        precondition(values.count == particles.sampleCount, "a reward returned \(values.count) values for \(particles.sampleCount) particles")
        counters.rewardEvaluations += Double(particles.sampleCount)
        return values
    }

    /// Reduces a population run's result to the particles `chosen`, one per sample.
    static func finish<P: ParticleBatch>(_ result: SampleResult<P>, chosen: [Int], rewards: [Double]) -> SampleResult<P> {
        var reduced = SampleResult(samples: result.samples.gatheringSamples(chosen), statistics: result.statistics)
        reduced.rewards = rewards
        return reduced
    }

    /// `copies` consecutive copies of every sample.
    static func repeated<P: ParticleBatch>(_ x: P, _ copies: Int) -> P {
        copies == 1 ? x : x.gatheringSamples((0..<x.sampleCount).flatMap { [Int](repeating: $0, count: copies) })
    }

    // MARK: - Best-of-N

    struct BestOfNChain<K: ParticleKernel>: SamplingChain {
        let kernel: K
        let candidates: Int
        let samples: Int
        var stepCount: Int { kernel.stepCount }
        func makeModelState() -> K.State { kernel.makeState() }
        func makeState(for x: K.Particles) -> Counters { Counters() }
        func step(_ x: K.Particles, index: Int, context: inout SamplingContext<K.Particles, K.State>, state: inout Counters) -> K.Particles {
            ParticleGuidance.propagate(kernel, x, step: index, perSample: candidates, context: &context, counters: &state)
        }
        func record(_ state: Counters, into statistics: inout SamplingStatistics) { state.record(samples: samples, into: &statistics) }
    }

    /// Best-of-N: `candidates` independent runs of the kernel per sample; the one whose final
    /// particle has the largest reward is kept.
    public static func bestOfN<K: ParticleKernel>(_ kernel: K, from x: K.Particles, candidates: Int, key: RandomKey, sampleOffset: Int = 0,
                                                  observer: SamplingObserver<K.Particles>? = nil,
                                                  reward: (K.Particles) -> [Double]) -> Result<K.Particles> {
        precondition(candidates >= 1, "best-of-N needs at least one candidate, got \(candidates)")
        let n = x.sampleCount
        var result = DiffuseCore.sample(BestOfNChain(kernel: kernel, candidates: candidates, samples: n), from: repeated(x, candidates),
                         key: key, sampleOffset: sampleOffset, observer: observer)
        let values = reward(result.samples)
        result.statistics.rewardEvaluations = Double(result.samples.sampleCount) / Double(Swift.max(n, 1))
        let best = (0..<n).map { i in (i * candidates)..<((i + 1) * candidates) }.map { block in block.max { values[$0] < values[$1] }! }
        return finish(result, chosen: best, rewards: best.map { values[$0] })
    }

    // MARK: - SVDD

    /// How SVDD values a candidate.
    public enum Value<Particles> {
        /// SVDD-PM: the reward of the candidate's clean estimate (the posterior mean for
        /// continuous states).
        case posteriorMean
        /// SVDD-MC: a learned value v(x_t, step) of the candidate itself, for example a network
        /// regressed on rewards of rollouts.
        case learned((Particles, Int) -> [Double])
    }

    struct SVDDChain<K: ParticleKernel>: SamplingChain {
        let kernel: K
        let candidates: Int
        let temperature: Double
        let value: Value<K.Particles>
        let reward: (K.Particles) -> [Double]
        var stepCount: Int { kernel.stepCount }
        func makeModelState() -> K.State { kernel.makeState() }
        func makeState(for x: K.Particles) -> (counters: Counters, samples: Int) { (Counters(), x.sampleCount) }
        func step(_ x: K.Particles, index: Int, context: inout SamplingContext<K.Particles, K.State>,
                  state: inout (counters: Counters, samples: Int)) -> K.Particles {
            let n = x.sampleCount
            let next = ParticleGuidance.propagate(kernel, repeated(x, candidates), step: index, perSample: candidates,
                                                  context: &context, counters: &state.counters)
            if candidates == 1 { return next }
            let values: [Double]
            var estimate: K.Particles? = nil
            switch value {
            case .posteriorMean:
                estimate = ParticleGuidance.estimate(kernel, next, step: index, perSample: candidates, context: &context, counters: &state.counters)
                values = score(reward, estimate!, counters: &state.counters)
            case .learned(let v): values = score({ v($0, index) }, next, counters: &state.counters)
            }
            var chosen = [Int](repeating: 0, count: n)
            for i in 0..<n {
                let v = Array(values[(i * candidates)..<((i + 1) * candidates)])
                if temperature == 0 {
                    chosen[i] = i * candidates + v.indices.max { v[$0] < v[$1] }!
                } else {
                    var stream = selectionStream(context, sample: i)
                    chosen[i] = i * candidates + stream.categorical(logits: v.map { $0 / temperature })
                }
            }
            context.lastDenoised = estimate?.gatheringSamples(chosen)
            return next.gatheringSamples(chosen)
        }
        func record(_ state: (counters: Counters, samples: Int), into statistics: inout SamplingStatistics) {
            state.counters.record(samples: state.samples, into: &statistics)
        }
    }

    /// SVDD (Li et al., "Derivative-Free Guidance in Continuous and Discrete Diffusion Models with
    /// Soft Value-Based Decoding", 2024): at every step each sample draws `candidates` proposals
    /// from the pretrained transition, values each (``Value``), and keeps one — drawn with
    /// probabilities softmax(v/α), or the argmax when α = 0 (the reference code's choice). With
    /// one candidate it is the base sampler. With the exact soft value v = α·log E[e^{r(x₀)/α} | x_t]
    /// and many candidates it samples p(x₀)·e^{r(x₀)/α}; with finite candidates or approximate values
    /// it moves toward that target without reaching it.
    public static func svdd<K: ParticleKernel>(_ kernel: K, from x: K.Particles, candidates: Int, temperature: Double = 0,
                                               value: Value<K.Particles> = .posteriorMean, key: RandomKey, sampleOffset: Int = 0,
                                               observer: SamplingObserver<K.Particles>? = nil,
                                               reward: @escaping (K.Particles) -> [Double]) -> Result<K.Particles> {
        precondition(candidates >= 1, "SVDD needs at least one candidate, got \(candidates)")
        precondition(temperature >= 0 && temperature.isFinite, "SVDD temperature must be finite and non-negative, got \(temperature)")
        var result = DiffuseCore.sample(SVDDChain(kernel: kernel, candidates: candidates, temperature: temperature, value: value, reward: reward),
                         from: x, key: key, sampleOffset: sampleOffset, observer: observer)
        let n = x.sampleCount
        let final = reward(result.samples)
        result.statistics.rewardEvaluations += Double(n) / Double(Swift.max(n, 1))
        result.rewards = final
        return result
    }

    // MARK: - Feynman–Kac steering and SMC

    /// The intermediate potentials of Feynman–Kac steering (Singhal et al., "A General Framework
    /// for Inference-time Scaling and Steering of Diffusion Models", 2025), in terms of the rewards
    /// r_s of the clean estimates along a particle's path and the inverse temperature λ = 1/α:
    /// - `.difference`: log G_t = λ(r_t − r_{t−1}) (the twisted-SMC weights of TDS);
    /// - `.max`: log G_t = λ·max_{s ≤ t} r_s;
    /// - `.sum`: log G_t = λ·Σ_{s ≤ t} r_s.
    /// The last step's potential is λ·r(x₀) minus everything applied to the path before, so the
    /// product over the path is e^{λ r(x₀)} for every choice: the target is p(x₀)·e^{r(x₀)/α}.
    ///
    /// Limitation: `.max` and `.sum` tilt the intermediate targets by up to e^{λ·t·max r}, more
    /// than the final one, and the last step's correction must undo that; with a large λ·(range of
    /// r) the population loses the paths that correction needs. Measured on a toy chain of 81
    /// sequences with rewards in [−½, 4]: at α = ½ their total variation to the target stays near
    /// 0.3 from 8 to 256 particles (difference potentials: 0.15 → 0.04); at α = 3 they reach the
    /// sampling floor (0.05–0.07 with 128–256 particles).
    public enum Potential: String, Sendable, CaseIterable {
        case difference, max, sum
    }

    /// How a population is resampled.
    public enum Resampling: String, Sendable, CaseIterable {
        /// Independent categorical draws.
        case multinomial
        /// One uniform u, draws at (u + k)/K on the cumulative weights (lower variance).
        case systematic
    }

    /// When a sample's particles are resampled.
    public enum ResamplingTrigger: Sendable, Equatable {
        /// When the effective sample size (Σw)²/Σw² falls below `fraction`·particles.
        case effectiveSampleSize(fraction: Double)
        /// Every `interval` steps.
        case every(Int)
    }

    /// How one particle per sample is returned at the end.
    public enum FinalSelection: String, Sendable {
        /// Drawn by the final weights (a draw from the weighted population: the target).
        case sampled
        /// The largest final weight (a mode-seeking choice).
        case largestWeight
    }

    struct PopulationState {
        var counters = Counters()
        var logWeights: [Double]
        /// Σ of log-potentials applied along each particle's path.
        var applied: [Double]
        /// Per particle: the running max and sum of its rewards, and its last reward.
        var last: [Double]
        var maximum: [Double]
        var sum: [Double]
        var samples: Int
        var finalRewards: [Double] = []

        /// Follows resampling: every per-particle quantity moves with its particle; the weights
        /// of the `restarting` rows become equal (zero log-weight).
        mutating func gather(_ indices: [Int], restarting: [Range<Int>]) {
            logWeights = indices.map { logWeights[$0] }
            for rows in restarting { for j in rows { logWeights[j] = 0 } }
            applied = indices.map { applied[$0] }
            last = indices.map { last[$0] }
            maximum = indices.map { maximum[$0] }
            sum = indices.map { sum[$0] }
        }
    }

    struct FeynmanKacChain<K: ParticleKernel>: SamplingChain {
        let kernel: K
        let particles: Int
        let lambda: Double
        let potential: Potential
        let resampling: Resampling
        let trigger: ResamplingTrigger
        let reward: (K.Particles) -> [Double]
        var stepCount: Int { kernel.stepCount }
        func makeModelState() -> K.State { kernel.makeState() }
        func makeState(for x: K.Particles) -> PopulationState {
            let m = x.sampleCount
            return PopulationState(logWeights: .init(repeating: 0, count: m), applied: .init(repeating: 0, count: m),
                                   last: .init(repeating: 0, count: m), maximum: .init(repeating: -.infinity, count: m),
                                   sum: .init(repeating: 0, count: m), samples: m / particles)
        }

        func step(_ x: K.Particles, index: Int, context: inout SamplingContext<K.Particles, K.State>, state: inout PopulationState) -> K.Particles {
            let next = ParticleGuidance.propagate(kernel, x, step: index, perSample: particles, context: &context, counters: &state.counters)
            let isLast = index == stepCount - 1
            let estimate = isLast ? next : ParticleGuidance.estimate(kernel, next, step: index, perSample: particles, context: &context, counters: &state.counters)
            let r = score(reward, estimate, counters: &state.counters)
            for j in r.indices {
                let logG: Double
                if isLast {
                    logG = lambda * r[j] - state.applied[j]
                } else {
                    switch potential {
                    case .difference: logG = lambda * (r[j] - state.last[j])
                    case .max: logG = lambda * Swift.max(state.maximum[j], r[j])
                    case .sum: logG = lambda * (state.sum[j] + r[j])
                    }
                }
                state.logWeights[j] += logG
                state.applied[j] += logG
                state.last[j] = r[j]
                state.maximum[j] = Swift.max(state.maximum[j], r[j])
                state.sum[j] += r[j]
            }
            if isLast {
                state.finalRewards = r
                return next
            }
            var indices = Array(0..<next.sampleCount)
            var resampledBlocks: [Int] = []
            for i in 0..<state.samples {
                let block = (i * particles)..<((i + 1) * particles)
                let w = normalisedWeights(Array(state.logWeights[block]))
                let due: Bool
                switch trigger {
                case .effectiveSampleSize(let fraction): due = 1 / w.reduce(0) { $0 + $1 * $1 } < fraction * Double(particles)
                case .every(let interval): due = (index + 1) % interval == 0
                }
                guard due else { continue }
                var stream = selectionStream(context, sample: i)
                let drawn = draw(particles, from: w, resampling: resampling, stream: &stream)
                for (c, k) in drawn.enumerated() { indices[block.lowerBound + c] = block.lowerBound + k }
                resampledBlocks.append(i)
            }
            guard !resampledBlocks.isEmpty else { return next }
            state.counters.resamplings += Double(resampledBlocks.count)
            // Resampled blocks restart with equal weights; the others keep theirs.
            state.gather(indices, restarting: resampledBlocks.map { ($0 * particles)..<(($0 + 1) * particles) })
            context.lastDenoised = estimate.gatheringSamples(indices)
            return next.gatheringSamples(indices)
        }

        func record(_ state: PopulationState, into statistics: inout SamplingStatistics) { state.counters.record(samples: state.samples, into: &statistics) }
    }

    /// Weights proportional to e^{logWeights}, summing to 1.
    static func normalisedWeights(_ logWeights: [Double]) -> [Double] {
        let m = logWeights.max() ?? 0
        let w = logWeights.map { Foundation.exp($0 - m) }
        let total = w.reduce(0, +)
        return w.map { $0 / total }
    }

    /// `count` indices drawn from normalised weights.
    static func draw(_ count: Int, from weights: [Double], resampling: Resampling, stream: inout RandomStream) -> [Int] {
        switch resampling {
        case .multinomial:
            // Inverse-CDF draws with a binary search each: O(K log K) for K particles.
            var cumulative: [Double] = []
            cumulative.reserveCapacity(weights.count)
            var total = 0.0
            for w in weights { total += w; cumulative.append(total) }
            return (0..<count).map { _ in
                let u = stream.uniformDouble() * total
                var lo = 0, hi = cumulative.count - 1
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if cumulative[mid] > u { hi = mid } else { lo = mid + 1 }
                }
                return lo
            }
        case .systematic:
            let u = stream.uniformDouble()
            var indices: [Int] = []
            var cumulative = weights[0], k = 0
            for c in 0..<count {
                let position = (u + Double(c)) / Double(count)
                while position > cumulative && k < weights.count - 1 { k += 1; cumulative += weights[k] }
                indices.append(k)
            }
            return indices
        }
    }

    /// Feynman–Kac steering (Singhal et al. 2025) with `particles` per sample, the given
    /// ``Potential`` at temperature α, resampling by ``Resampling`` when ``ResamplingTrigger``
    /// says, and one particle per sample returned by ``FinalSelection``. With `.sampled` the
    /// returned samples approximate p(x₀)·e^{r(x₀)/α} (consistent as the particle count grows).
    public static func feynmanKac<K: ParticleKernel>(_ kernel: K, from x: K.Particles, particles: Int, temperature: Double,
                                                     potential: Potential = .difference, resampling: Resampling = .multinomial,
                                                     trigger: ResamplingTrigger = .effectiveSampleSize(fraction: 0.5),
                                                     selection: FinalSelection = .sampled, key: RandomKey, sampleOffset: Int = 0,
                                                     observer: SamplingObserver<K.Particles>? = nil,
                                                     reward: @escaping (K.Particles) -> [Double]) -> Result<K.Particles> {
        precondition(particles >= 1, "Feynman–Kac steering needs at least one particle per sample, got \(particles)")
        precondition(temperature > 0 && temperature.isFinite, "the temperature must be positive and finite, got \(temperature)")
        if case .every(let interval) = trigger { precondition(interval >= 1, "the resampling interval must be positive, got \(interval)") }
        let chain = FeynmanKacChain(kernel: kernel, particles: particles, lambda: 1 / temperature, potential: potential,
                                    resampling: resampling, trigger: trigger, reward: reward)
        // The run's final state holds the weights; a second look at them needs the chain state,
        // so the chain records them in the result through the observer-free path below.
        var finalState: PopulationState? = nil
        let recording = RecordingChain(base: chain) { finalState = $0 }
        let result = DiffuseCore.sample(recording, from: repeated(x, particles), key: key, sampleOffset: sampleOffset, observer: observer)
        let n = x.sampleCount
        guard let state = finalState, state.finalRewards.count == n * particles else {
            // A run that stopped early (non-finite particles) returns the first particle per sample.
            return finish(result, chosen: (0..<n).map { $0 * particles }, rewards: [Double](repeating: .nan, count: n))
        }
        var chosen: [Int] = []
        for i in 0..<n {
            let block = (i * particles)..<((i + 1) * particles)
            let w = normalisedWeights(Array(state.logWeights[block]))
            switch selection {
            case .largestWeight:
                chosen.append(block.lowerBound + w.indices.max { w[$0] < w[$1] }!)
            case .sampled:
                var stream = RandomStream(key: key.folding(in: kernel.stepCount).folding(in: -(1 << 40)).folding(in: sampleOffset + i))
                chosen.append(block.lowerBound + stream.categorical(weights: w))
            }
        }
        return finish(result, chosen: chosen, rewards: chosen.map { state.finalRewards[$0] })
    }

    /// Sequential Monte Carlo with reward-tilted targets (Wu et al. 2023, twisted SMC / TDS; Li et
    /// al. 2024 with value functions): Feynman–Kac steering with difference potentials,
    /// resampling when the effective sample size falls below `resampleThreshold`·particles.
    public static func smc<K: ParticleKernel>(_ kernel: K, from x: K.Particles, particles: Int, temperature: Double,
                                              resampleThreshold: Double = 0.5, resampling: Resampling = .multinomial,
                                              selection: FinalSelection = .sampled, key: RandomKey, sampleOffset: Int = 0,
                                              observer: SamplingObserver<K.Particles>? = nil,
                                              reward: @escaping (K.Particles) -> [Double]) -> Result<K.Particles> {
        feynmanKac(kernel, from: x, particles: particles, temperature: temperature, potential: .difference, resampling: resampling,
                   trigger: .effectiveSampleSize(fraction: resampleThreshold), selection: selection, key: key,
                   sampleOffset: sampleOffset, observer: observer, reward: reward)
    }
}

/// A chain that hands its final state to a closure (particle methods read their weights after
/// the run loop).
struct RecordingChain<Base: SamplingChain>: SamplingChain {
    let base: Base
    let onFinish: (Base.State) -> Void
    var stepCount: Int { base.stepCount }
    func makeModelState() -> Base.ModelState { base.makeModelState() }
    func makeState(for x: Base.Value) -> Base.State { base.makeState(for: x) }
    func step(_ x: Base.Value, index: Int, context: inout SamplingContext<Base.Value, Base.ModelState>, state: inout Base.State) -> Base.Value {
        base.step(x, index: index, context: &context, state: &state)
    }
    func times(ofStep index: Int) -> (from: Double, to: Double) { base.times(ofStep: index) }
    func isFinite(_ x: Base.Value) -> Bool { base.isFinite(x) }
    func record(_ state: Base.State, into statistics: inout SamplingStatistics) {
        base.record(state, into: &statistics)
        onFinish(state)
    }
}
