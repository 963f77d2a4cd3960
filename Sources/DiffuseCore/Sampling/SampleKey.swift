import DiffuseTensor

/// The randomness of one model evaluation: a key and the global index of the first sample of
/// the batch being evaluated.
///
/// A model that draws (a GAN generator's latent, dropout at inference) draws sample i of its
/// batch from `key.folding(in: sampleOffset + i)`, as ``NoiseSampleable`` states do, so sample i
/// gets the same latent whatever the batch it is evaluated in. Deterministic models ignore it.
public struct SampleKey: Hashable, Sendable {
    /// The key of this evaluation (derived from the run's key, the step and the evaluation).
    public var key: RandomKey
    /// The global index of the first sample of the evaluated batch.
    public var sampleOffset: Int

    public init(key: RandomKey, sampleOffset: Int = 0) {
        self.key = key
        self.sampleOffset = sampleOffset
    }

    /// Seed 0, offset 0: for evaluations outside a sampling run.
    public static let fixed = SampleKey(key: RandomKey(seed: 0))

    /// The key of sample `i` of the batch (its global index is `sampleOffset + i`).
    public func key(forSample i: Int) -> RandomKey { key.folding(in: sampleOffset + i) }
}
