import DiffuseTensor

/// Search over initial noise for a sampler (Ma et al., "Inference-Time Scaling for Diffusion
/// Models beyond Scaling Denoising Steps", 2025): a verifier (the reward) scores the final
/// samples. `run` is any sampling run (it returns a ``SampleResult``, whose evaluations are
/// added up); the result's statistics count model evaluations and reward evaluations per sample
/// over all candidates.
public enum NoiseSearch {
    /// Random search: `candidates` initial noises per sample, keep the best final sample.
    /// `makeNoise(c)` gives candidate c's noise (for example drawn from `key.folding(in: c)`).
    public static func random<V: SampleBatch>(candidates: Int, makeNoise: (Int) -> V, run: (V) -> SampleResult<V>,
                                              reward: (V) -> [Double]) -> SampleResult<V> {
        precondition(candidates >= 1, "random search needs at least one candidate, got \(candidates)")
        var best: SampleResult<V>? = nil
        var statistics = SamplingStatistics()
        for c in 0..<candidates {
            let result = run(makeNoise(c))
            let r = reward(result.samples)
            statistics.add(result.statistics, rewards: r.count)
            if let current = best {
                let better = zip(r, current.rewards).map { $0 > $1 }
                best = SampleResult(samples: current.samples.replacingSamples(where: better, with: result.samples), statistics: statistics,
                                    rewards: zip(r, current.rewards).map { Swift.max($0, $1) })
            } else {
                best = SampleResult(samples: result.samples, statistics: statistics, rewards: r)
            }
        }
        best!.statistics = statistics.perSample(best!.samples.sampleCount)
        return best!
    }

    /// Zero-order search: around a pivot noise, evaluate `neighbours` perturbations
    /// √(1 − λ²)·pivot + λ·ξ (which keep a standard normal pivot standard normal), move each
    /// sample's pivot to its best neighbour if it improves, and repeat for `iterations`. Returns
    /// the best samples and their pivots.
    public static func zeroOrder<V: SampleBatch>(pivot start: V, iterations: Int, neighbours: Int, stepSize lambda: Double,
                                                 key: RandomKey, sampleOffset: Int = 0, run: (V) -> SampleResult<V>,
                                                 reward: (V) -> [Double]) -> (result: SampleResult<V>, noise: V) {
        precondition(lambda > 0 && lambda <= 1, "the zero-order step λ must be in (0, 1], got \(lambda)")
        var pivot = start
        var statistics = SamplingStatistics()
        let first = run(pivot)
        var samples = first.samples
        var rewards = reward(samples)
        statistics.add(first.statistics, rewards: rewards.count)
        for iteration in 0..<iterations {
            for j in 0..<neighbours {
                // A tag keeps these draws apart from a sampler run under the same key.
                let xi = pivot.standardNormal(key: key.folding(in: -(1 << 41)).folding(in: iteration).folding(in: j), sampleOffset: sampleOffset)
                let candidate = V.combine((1 - lambda * lambda).squareRoot(), pivot, lambda, xi)
                let result = run(candidate)
                let r = reward(result.samples)
                statistics.add(result.statistics, rewards: r.count)
                let better = zip(r, rewards).map { $0 > $1 }
                pivot = pivot.replacingSamples(where: better, with: candidate)
                samples = samples.replacingSamples(where: better, with: result.samples)
                rewards = zip(r, rewards).map { Swift.max($0, $1) }
            }
        }
        return (SampleResult(samples: samples, statistics: statistics.perSample(samples.sampleCount), rewards: rewards), pivot)
    }
}

extension SamplingStatistics {
    /// Adds another run's counts (whole-batch sample evaluations) and `rewards` reward evaluations.
    mutating func add(_ other: SamplingStatistics, rewards: Int) {
        functionEvaluations += other.functionEvaluations
        sampleEvaluations += other.sampleEvaluations
        steps += other.steps
        acceptedSteps += other.acceptedSteps
        rejectedSteps += other.rejectedSteps
        rewardEvaluations += Double(rewards)
        resamplings += other.resamplings
        if status == .completed { status = other.status }
    }

    /// Reward evaluations divided by the number of samples (model evaluations per sample are
    /// already per sample: each run evaluates every sample once per call).
    func perSample(_ n: Int) -> SamplingStatistics {
        var s = self
        s.rewardEvaluations /= Double(Swift.max(n, 1))
        return s
    }
}
