import DiffuseTensor

/// How a parameter tensor is filled at initialization. The defaults of each layer follow
/// PyTorch's, so published hyper-parameters transfer.
public enum Initializer: Codable, Hashable, Sendable {
    case zeros
    case ones
    case constant(Double)
    /// U(−bound, bound).
    case uniform(bound: Double)
    /// N(0, standardDeviation²).
    case normal(standardDeviation: Double)
    /// PyTorch's `kaiming_uniform_(a=√5)` default for `Linear` and `Conv1d` weights:
    /// U(−1/√fanIn, 1/√fanIn).
    case pytorchDefault(fanIn: Int)
    /// Glorot/Xavier uniform: U(±√(6/(fanIn + fanOut))).
    case xavierUniform(fanIn: Int, fanOut: Int)

    /// A tensor of the given shape filled by this initializer from `key`.
    public func make<S: TensorScalar>(shape: [Int], key: RandomKey) -> Tensor<S> {
        switch self {
        case .zeros: return Tensor(zeros: shape)
        case .ones: return Tensor(ones: shape)
        case .constant(let c): return Tensor(shape: shape, repeating: S(c))
        case .uniform(let bound): return uniform(shape: shape, bound: bound, key: key)
        case .normal(let sd): return Tensor.randomNormal(shape: [Shape.count(of: shape)], key: key).reshaped(shape) * S(sd)
        case .pytorchDefault(let fanIn): return uniform(shape: shape, bound: 1 / Double(Swift.max(fanIn, 1)).squareRoot(), key: key)
        case .xavierUniform(let fanIn, let fanOut): return uniform(shape: shape, bound: (6 / Double(fanIn + fanOut)).squareRoot(), key: key)
        }
    }

    private func uniform<S: TensorScalar>(shape: [Int], bound: Double, key: RandomKey) -> Tensor<S> {
        Tensor<S>.randomUniform(shape: [Shape.count(of: shape)], in: S(-bound)..<S(bound), key: key).reshaped(shape)
    }
}

extension RandomKey {
    /// The key for a named parameter: the root key folded with a stable hash of the name
    /// (64-bit FNV-1a), so a parameter's initial value does not depend on the order in which
    /// layers are initialized.
    public func folding(in name: String) -> RandomKey {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in name.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        return folding(in: h)
    }
}

extension ParameterSet {
    /// Adds a parameter created by `initializer`, keyed by its name.
    public mutating func add(_ name: String, shape: [Int], initializer: Initializer, key: RandomKey) {
        insert(initializer.make(shape: shape, key: key.folding(in: name)), named: name)
    }
}
