import DiffuseTensor

/// A state that holds one or more independent samples, with per-sample operations. Guidance
/// that normalises or switches per sample (CFG rescale, adaptive guidance) and particle methods
/// (SVDD, SMC, best-of-N) use these so that no sample's result depends on the others in its
/// batch. A `Tensor` holds samples along its first axis; an array or SIMD vector is one sample.
public protocol SampleBatch: ParticleBatch, NoiseSampleable {
    /// The inner product of each sample with the same sample of `other`.
    func sampleDots(_ other: Self) -> [Double]
    /// Each sample i multiplied by `factors[i]`.
    func scaledPerSample(by factors: [Double]) -> Self
    /// Sample i from `other` where `mask[i]`, else from `self`.
    func replacingSamples(where mask: [Bool], with other: Self) -> Self
}

extension SampleBatch {
    /// The cosine similarity of each sample with the same sample of `other`.
    public func sampleCosines(_ other: Self) -> [Double] {
        let ab = sampleDots(other), aa = sampleDots(self), bb = other.sampleDots(other)
        return (0..<ab.count).map { ab[$0] / Swift.max((aa[$0] * bb[$0]).squareRoot(), 1e-300) }
    }

    /// The root-mean-square of each sample's components.
    public func sampleRootMeanSquares() -> [Double] {
        let per = Double(dimension) / Double(Swift.max(sampleCount, 1))
        return sampleDots(self).map { ($0 / per).squareRoot() }
    }
}

extension Tensor: ParticleBatch {}

extension Tensor: SampleBatch {
    public var sampleCount: Int { rank == 0 ? 1 : shape[0] }

    private var rows: Tensor { rank <= 1 ? reshaped([1, -1]) : reshaped([shape[0], -1]) }

    public func sampleDots(_ other: Tensor) -> [Double] {
        (rows * other.rows).sum(alongAxis: 1).scalars.map(Double.init)
    }

    public func scaledPerSample(by factors: [Double]) -> Tensor {
        var shape = [Int](repeating: 1, count: Swift.max(rank, 1))
        shape[0] = factors.count
        return (self * Tensor(shape: shape, scalars: factors.map { Scalar($0) }).reshaped(rank == 0 ? [] : shape))
    }

    public func gatheringSamples(_ indices: [Int]) -> Tensor { indexSelect(alongAxis: 0, indices: indices) }

    public func replacingSamples(where mask: [Bool], with other: Tensor) -> Tensor {
        var shape = [Int](repeating: 1, count: Swift.max(rank, 1))
        shape[0] = mask.count
        return Tensor.select(Tensor(shape: shape, scalars: mask.map { $0 ? 1 : 0 }), other, self)
    }
}

extension Array: ParticleBatch where Element: TensorScalar {}

extension Array: SampleBatch where Element: TensorScalar {
    public var sampleCount: Int { 1 }
    public func sampleDots(_ other: [Element]) -> [Double] { [innerProduct(other)] }
    public func scaledPerSample(by factors: [Double]) -> [Element] { scaled(by: Element(factors[0])) }
    /// Only `[0]` is meaningful for one sample; repeats of it cannot be represented by one array.
    public func gatheringSamples(_ indices: [Int]) -> [Element] {
        precondition(indices == [0], "an array holds one sample; gathering \(indices) needs a batched state (a Tensor)")
        return self
    }
    public func replacingSamples(where mask: [Bool], with other: [Element]) -> [Element] { mask[0] ? other : self }
}
