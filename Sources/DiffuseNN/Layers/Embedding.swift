import DiffuseTensor

/// A lookup table of learned vectors (PyTorch `nn.Embedding`), `<name>.weight` `[count, size]`
/// initialised N(0, 1).
public struct Embedding: Layer, Equatable {
    public var name: String
    public var count: Int
    public var size: Int

    public init(name: String, count: Int, size: Int) {
        self.name = name
        self.count = count
        self.size = size
    }

    public func initialize<S: TensorScalar>(_ parameters: inout ParameterSet<S>, key: RandomKey) {
        parameters.add(joinName(name, "weight"), shape: [count, size], initializer: .normal(standardDeviation: 1), key: key)
    }

    /// The vectors for `indices` (shape `indicesShape + [size]`).
    public func callAsFunction<S: TensorScalar>(_ indices: IndexTensor, _ parameters: BoundParameters<S>) -> Variable<S> {
        for i in indices.indices { precondition(i >= 0 && i < count, "Embedding '\(name)': index \(i) out of range 0..<\(count)") }
        return parameters[joinName(name, "weight")].indexSelect(alongAxis: 0, indices: indices.indices).reshaped(indices.shape + [size])
    }
}
