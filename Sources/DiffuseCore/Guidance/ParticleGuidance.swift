import DiffuseTensor
import Foundation

/// Derivative-free, reward-guided sampling over particles: the same engine serves continuous
/// samplers (through ``ContinuousParticleKernel``) and discrete ones (any type conforming to
/// ``ParticleKernel``). A reward r(x̂₀) scores each particle's clean estimate.
///
/// Randomness: candidate c of sample i at step k draws from a key derived from
/// (global sample index i, candidate c, step k), so results do not depend on the batch size.
public protocol ParticleKernel {
    associatedtype Particles: SampleBatch
    /// The number of steps.
    var stepCount: Int { get }
    /// Advances particles one step (stochastically), returning the new particles and their
    /// clean-data estimates (for rewards). `sampleOffset` is the global index of the first row.
    func propagate(_ particles: Particles, step: Int, key: RandomKey, sampleOffset: Int) -> (next: Particles, estimate: Particles)
    /// The clean estimate of particles at the start of step `step` (used by best-of-N only at the end).
    func finalEstimate(_ particles: Particles) -> Particles
}

/// A continuous sampler step as a particle kernel (stateless stochastic samplers: DDPM, DDIM with
/// η > 0, Euler–Maruyama, EDM with churn).
public struct ContinuousParticleKernel<M: PredictionModel, S: Sampler>: ParticleKernel where M.Value: SampleBatch, S.State == Void, M.State == Void {
    public let model: M
    public let sampler: S
    public let grid: TimeGrid
    public let schedule: (any NoiseSchedule)?

    public init(model: M, sampler: S, grid: TimeGrid, schedule: (any NoiseSchedule)? = nil) {
        self.model = model
        self.sampler = sampler
        self.grid = grid
        self.schedule = schedule
    }

    public var stepCount: Int { grid.stepCount }

    public func propagate(_ particles: M.Value, step: Int, key: RandomKey, sampleOffset: Int) -> (next: M.Value, estimate: M.Value) {
        var context = SamplingContext<M>(modelState: (), key: key, sampleOffset: sampleOffset, schedule: schedule)
        context.stepIndex = step
        var state: Void = ()
        let next = sampler.step(particles, index: step, grid: grid, model: model, context: &context, state: &state)
        let q = grid.points[step + 1]
        let estimate = q.isClean ? next : model.predict(next, at: q).denoised
        return (next, estimate)
    }

    public func finalEstimate(_ particles: M.Value) -> M.Value { particles }
}

/// Reward-guided sampling methods over a ``ParticleKernel``.
public enum ParticleGuidance {
    /// SVDD (Li et al., "Derivative-Free Guidance in Continuous and Discrete Diffusion Models
    /// with Soft Value-Based Decoding", 2024), the posterior-mean variant: at every step each
    /// sample draws `candidates` proposals from the pretrained transition, scores each by the
    /// reward of its clean estimate (the value), and keeps one — drawn with probabilities
    /// softmax(v/α), or the argmax when α = 0 (the reference code's choice). With one candidate it
    /// is the base sampler.
    public static func svdd<K: ParticleKernel>(_ kernel: K, from x: K.Particles, candidates: Int, temperature: Double = 0,
                                               key: RandomKey, sampleOffset: Int = 0,
                                               reward: (K.Particles) -> [Double]) -> (samples: K.Particles, rewards: [Double]) {
        precondition(candidates >= 1, "SVDD needs at least one candidate")
        let n = x.sampleCount
        var current = x
        var lastRewards = [Double](repeating: 0, count: n)
        for step in 0..<kernel.stepCount {
            // Candidate c of sample i is row i·M + c, with global index (offset + i)·M + c.
            let expanded = candidates == 1 ? current : current.gatheringSamples((0..<n).flatMap { [Int](repeating: $0, count: candidates) })
            let (next, estimate) = kernel.propagate(expanded, step: step, key: key, sampleOffset: sampleOffset * candidates)
            if candidates == 1 {
                current = next
                continue
            }
            let values = reward(estimate)
            var chosen = [Int](repeating: 0, count: n)
            for i in 0..<n {
                let v = Array(values[(i * candidates)..<((i + 1) * candidates)])
                if temperature == 0 {
                    chosen[i] = i * candidates + v.indices.max { v[$0] < v[$1] }!
                } else {
                    var stream = RandomStream(key: key.folding(in: step).folding(in: -(sampleOffset + i) - 1))
                    chosen[i] = i * candidates + stream.categorical(logits: v.map { $0 / temperature })
                }
                lastRewards[i] = values[chosen[i]]
            }
            current = next.gatheringSamples(chosen)
        }
        return (current, reward(kernel.finalEstimate(current)))
    }

    /// Sequential Monte Carlo with reward-tilted targets (Wu et al. 2023, twisted SMC; Li et al. 2024
    /// with value functions): `particles` per sample carry log-weights updated by the change of
    /// potential r(x̂₀)/α between steps, and are resampled (multinomial) when the effective sample
    /// size falls below `resampleThreshold`·particles. Returns, per sample, the particle with the
    /// largest final weight.
    public static func smc<K: ParticleKernel>(_ kernel: K, from x: K.Particles, particles: Int, temperature: Double,
                                              resampleThreshold: Double = 0.5, key: RandomKey, sampleOffset: Int = 0,
                                              reward: (K.Particles) -> [Double]) -> (samples: K.Particles, rewards: [Double], resamplings: Int) {
        precondition(particles >= 1 && temperature > 0, "SMC needs particles ≥ 1 and a positive temperature")
        let n = x.sampleCount
        var current = x.gatheringSamples((0..<n).flatMap { [Int](repeating: $0, count: particles) })
        var logWeights = [Double](repeating: 0, count: n * particles)
        var previousPotential = [Double](repeating: 0, count: n * particles)
        var resamplings = 0
        for step in 0..<kernel.stepCount {
            let (next, estimate) = kernel.propagate(current, step: step, key: key, sampleOffset: sampleOffset * particles)
            let potential = reward(estimate).map { $0 / temperature }
            for j in 0..<logWeights.count { logWeights[j] += potential[j] - previousPotential[j] }
            previousPotential = potential
            current = next
            var indices = Array(0..<(n * particles))
            var resampled = false
            for i in 0..<n {
                let block = Array(logWeights[(i * particles)..<((i + 1) * particles)])
                let m = block.max()!
                let w = block.map { Foundation.exp($0 - m) }
                let total = w.reduce(0, +)
                let ess = total * total / w.reduce(0) { $0 + $1 * $1 }
                if ess < resampleThreshold * Double(particles) && step < kernel.stepCount - 1 {
                    var stream = RandomStream(key: key.folding(in: step).folding(in: -(sampleOffset + i) - 1))
                    for c in 0..<particles { indices[i * particles + c] = i * particles + stream.categorical(weights: w) }
                    for c in 0..<particles { logWeights[i * particles + c] = 0 }
                    resampled = true
                }
            }
            if resampled {
                resamplings += 1
                current = current.gatheringSamples(indices)
                previousPotential = indices.map { previousPotential[$0] }
            }
        }
        let finalRewards = reward(kernel.finalEstimate(current))
        var best: [Int] = []
        for i in 0..<n {
            let block = (i * particles)..<((i + 1) * particles)
            best.append(block.max { logWeights[$0] < logWeights[$1] }!)
        }
        return (current.gatheringSamples(best), best.map { finalRewards[$0] }, resamplings)
    }

    /// Best-of-N: `candidates` independent runs per sample, keeping the one with the largest reward.
    public static func bestOfN<K: ParticleKernel>(_ kernel: K, from x: K.Particles, candidates: Int, key: RandomKey, sampleOffset: Int = 0,
                                                  reward: (K.Particles) -> [Double]) -> (samples: K.Particles, rewards: [Double]) {
        let n = x.sampleCount
        var current = x.gatheringSamples((0..<n).flatMap { [Int](repeating: $0, count: candidates) })
        for step in 0..<kernel.stepCount {
            current = kernel.propagate(current, step: step, key: key, sampleOffset: sampleOffset * candidates).next
        }
        let values = reward(kernel.finalEstimate(current))
        let best = (0..<n).map { i in (i * candidates)..<((i + 1) * candidates) }.map { block in block.max { values[$0] < values[$1] }! }
        return (current.gatheringSamples(best), best.map { values[$0] })
    }
}

/// Search over initial noise for a deterministic sampler (Ma et al., "Inference-Time Scaling for
/// Diffusion Models beyond Scaling Denoising Steps", 2025): a verifier (the reward) scores the
/// final samples.
public enum NoiseSearch {
    /// Random search: `candidates` initial noises per sample, keep the best final sample.
    /// `makeNoise(c)` gives candidate c's noise (for example drawn from `key.folding(in: c)`).
    public static func random<V: SampleBatch>(candidates: Int, makeNoise: (Int) -> V, run: (V) -> V,
                                              reward: (V) -> [Double]) -> (samples: V, rewards: [Double]) {
        var bestSamples: V? = nil
        var bestRewards: [Double] = []
        for c in 0..<candidates {
            let samples = run(makeNoise(c))
            let r = reward(samples)
            if let current = bestSamples {
                let better = zip(r, bestRewards).map { $0 > $1 }
                bestSamples = current.replacingSamples(where: better, with: samples)
                bestRewards = zip(r, bestRewards).map { Swift.max($0, $1) }
            } else {
                bestSamples = samples
                bestRewards = r
            }
        }
        return (bestSamples!, bestRewards)
    }

    /// Zero-order search: around a pivot noise, evaluate `neighbours` perturbations
    /// √(1 − λ²)·pivot + λ·ξ (which keep a standard normal pivot standard normal), move each
    /// sample's pivot to its best neighbour if it improves, and repeat for `iterations`.
    public static func zeroOrder<V: SampleBatch>(pivot start: V, iterations: Int, neighbours: Int, stepSize lambda: Double,
                                                 key: RandomKey, sampleOffset: Int = 0, run: (V) -> V,
                                                 reward: (V) -> [Double]) -> (samples: V, rewards: [Double], noise: V) {
        precondition(lambda > 0 && lambda <= 1, "the zero-order step λ must be in (0, 1]")
        var pivot = start
        var samples = run(pivot)
        var rewards = reward(samples)
        for iteration in 0..<iterations {
            for j in 0..<neighbours {
                let xi = pivot.standardNormal(key: key.folding(in: iteration).folding(in: j), sampleOffset: sampleOffset)
                let candidate = V.combine((1 - lambda * lambda).squareRoot(), pivot, lambda, xi)
                let candidateSamples = run(candidate)
                let r = reward(candidateSamples)
                let better = zip(r, rewards).map { $0 > $1 }
                pivot = pivot.replacingSamples(where: better, with: candidate)
                samples = samples.replacingSamples(where: better, with: candidateSamples)
                rewards = zip(r, rewards).map { Swift.max($0, $1) }
            }
        }
        return (samples, rewards, pivot)
    }
}
