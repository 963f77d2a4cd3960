import DiffuseNN
import DiffuseTensor
import Foundation

/// The continuous-time negative ELBO of masked diffusion (MDLM, Sahoo et al. 2024, eq. 10–11):
/// draw t, mask each token of x₀ with probability 1 − α(t), and score the model's SUBS log
/// p(x₀ | x_t) at the masked positions with weight −α′(t)/(1 − α(t)) (1/t for the log-linear
/// schedule). With α(1) = 0 and no minimum time its expectation is ≥ −log p(x₀), with equality for
/// an exact model (it is then the any-order autoregressive likelihood; tested on an enumerated toy
/// model); MDLM's defaults (α(1) = ε = 10⁻³, times from 10⁻³) leave out the prior term and the
/// interval [0, 10⁻³], both O(10⁻³).
public struct MaskedDiffusionObjective: DiscreteDiffusionObjective {
    /// How the times of a batch are drawn.
    public enum TimeDraws: Hashable, Sendable {
        /// Antithetic (stratified) times: sample i of n uses t = frac(u + i/n) with one u per
        /// batch (MDLM's low-discrepancy draws). With `example(for:key:sampleOffset:)` the strata
        /// are those of the rows given, whatever `sampleOffset`; with
        /// `example(for:key:sampleOffset:batchCount:)` rows `sampleOffset…` take their strata of
        /// the whole batch (the shards of a data-parallel batch).
        case stratified
        /// One uniform time per sample from its own stream (batch-size independent).
        case independent
    }

    public var schedule: any MaskingSchedule
    /// Times are drawn in [ε_s, 1] (MDLM's `sampling_eps`, 10⁻³).
    public var minimumTime: Double
    public var timeDraws: TimeDraws

    public init(schedule: any MaskingSchedule = LogLinearMasking(), minimumTime: Double = 1e-3, timeDraws: TimeDraws = .stratified) {
        precondition(minimumTime >= 0 && minimumTime < 1, "the minimum time must be in [0, 1), got \(minimumTime)")
        self.schedule = schedule
        self.minimumTime = minimumTime
        self.timeDraws = timeDraws
    }

    /// A batch of training inputs: the masked sequences, their times and loss weights.
    public struct Example: Sendable {
        public var clean: TokenBatch
        public var noisy: TokenBatch
        public var times: [Double]
        public var weights: [Double]

        public init(clean: TokenBatch, noisy: TokenBatch, times: [Double], weights: [Double]) {
            self.clean = clean
            self.noisy = noisy
            self.times = times
            self.weights = weights
        }
    }

    public func input(of example: Example) -> (tokens: TokenBatch, times: [Double]) { (example.noisy, example.times) }

    /// Masks `x0`: sample i (global index `sampleOffset + i`) draws its mask from its own stream.
    public func example(for x0: TokenBatch, key: RandomKey, sampleOffset: Int = 0) -> Example {
        example(for: x0, key: key, sampleOffset: sampleOffset, stratum: 0, of: x0.sampleCount)
    }

    /// Rows `sampleOffset…` of a batch of `batchCount` rows: stratified times are stratified over
    /// the whole batch, so the shards of a data-parallel batch get the whole batch's times.
    public func example(for x0: TokenBatch, key: RandomKey, sampleOffset: Int, batchCount: Int) -> Example {
        precondition(batchCount >= sampleOffset + x0.sampleCount, "rows \(sampleOffset)..<\(sampleOffset + x0.sampleCount) are not in a batch of \(batchCount)")
        return example(for: x0, key: key, sampleOffset: sampleOffset, stratum: sampleOffset, of: batchCount)
    }

    /// Row i's stratified time is stratum `firstStratum + i` of `strata`.
    private func example(for x0: TokenBatch, key: RandomKey, sampleOffset: Int, stratum firstStratum: Int, of strata: Int) -> Example {
        let n = x0.sampleCount
        let unit: [Double]
        switch timeDraws {
        case .stratified:
            var stream = RandomStream(key: key.folding(in: 0))
            let u = stream.uniformDouble()
            unit = (0..<n).map { (u + Double(firstStratum + $0) / Double(strata)).truncatingRemainder(dividingBy: 1) }
        case .independent:
            unit = (0..<n).map { i in var stream = RandomStream(key: key.folding(in: 0).folding(in: sampleOffset + i)); return stream.uniformDouble() }
        }
        let times = unit.map { minimumTime + (1 - minimumTime) * $0 }
        var noisy = x0
        for i in 0..<n {
            var stream = RandomStream(key: key.folding(in: 1).folding(in: sampleOffset + i))
            let maskProbability = 1 - schedule.alpha(at: times[i])
            for l in 0..<x0.length where stream.uniformDouble() < maskProbability { noisy.tokens[i * x0.length + l] = x0.mask }
        }
        return Example(clean: x0, noisy: noisy, times: times, weights: times.map { schedule.lossWeight(at: $0) })
    }

    /// Per sample: w(t)·Σ_masked −log p(x₀ | x_t) / L (nats per token), `[count]`, from logits
    /// `[count, length, K]` (the log-softmax is taken here; carry-over positions do not count).
    public func perSampleLosses<S: TensorScalar>(logits: Variable<S>, _ example: Example) -> Variable<S> {
        let x = example.noisy, n = x.sampleCount, l = x.length, k = x.vocabularySize
        precondition(logits.shape == [n, l, k], "logits must have shape [\(n), \(l), \(k)], got \(logits.shape)")
        let logp = logits.logSoftmax(alongAxis: 2)
        precondition(example.clean.tokens.allSatisfy { $0 < k }, "clean sequences cannot contain the mask token")
        let targets = example.clean.tokens
        let picked = logp.gather(alongAxis: 2, indices: IndexTensor(shape: [n, l, 1], indices: targets)).reshaped([n, l])
        let weights = Tensor<S>(shape: [n, l], scalars: (0..<(n * l)).map { p in x.tokens[p] == x.mask ? S(example.weights[p / l] / Double(l)) : 0 })
        return -(picked * Variable(weights)).sum(alongAxes: [1])
    }
}
