/// What the particle methods need of a batch of samples: how many it holds, and a batch made of
/// some of its samples (repeats allowed). Continuous batches (``SampleBatch``) refine it; a batch
/// of tokens conforms without being a vector space.
public protocol ParticleBatch {
    /// The number of samples.
    var sampleCount: Int { get }
    /// The samples at `indices` (repeats allowed), in that order.
    func gatheringSamples(_ indices: [Int]) -> Self
}
