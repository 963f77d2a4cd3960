import DiffuseTensor

/// Layer normalization over the last axis (Ba et al. 2016; PyTorch `nn.LayerNorm`):
/// y = (x − mean)/√(var + ε)·γ + β. Parameters `<name>.weight` (ones) and `<name>.bias` (zeros).
public struct LayerNorm: UnaryLayer, Equatable {
    public var name: String
    public var size: Int
    public var epsilon: Double
    public var isAffine: Bool

    public init(name: String, size: Int, epsilon: Double = 1e-5, affine: Bool = true) {
        self.name = name
        self.size = size
        self.epsilon = epsilon
        self.isAffine = affine
    }

    public func initialize<S: TensorScalar>(_ parameters: inout ParameterSet<S>, key: RandomKey) {
        guard isAffine else { return }
        parameters.add(joinName(name, "weight"), shape: [size], initializer: .ones, key: key)
        parameters.add(joinName(name, "bias"), shape: [size], initializer: .zeros, key: key)
    }

    public func callAsFunction<S: TensorScalar>(_ x: Variable<S>, _ parameters: BoundParameters<S>) -> Variable<S> {
        precondition(x.shape.last == size, "LayerNorm '\(name)' expects last axis \(size), got shape \(x.shape)")
        return layerNormalization(x, weight: isAffine ? parameters[joinName(name, "weight")] : nil,
                                  bias: isAffine ? parameters[joinName(name, "bias")] : nil, epsilon: epsilon)
    }
}

/// Group normalization over `[batch, channels, ...]` (Wu & He 2018; PyTorch `nn.GroupNorm`):
/// channels are split into groups, each standardised over its channels and all positions, then
/// scaled and shifted per channel. Parameters `<name>.weight` (ones) and `<name>.bias` (zeros).
public struct GroupNorm: UnaryLayer, Equatable {
    public var name: String
    public var groups: Int
    public var channels: Int
    public var epsilon: Double

    public init(name: String, groups: Int, channels: Int, epsilon: Double = 1e-5) {
        precondition(channels % groups == 0, "GroupNorm: \(channels) channels are not divisible into \(groups) groups")
        self.name = name
        self.groups = groups
        self.channels = channels
        self.epsilon = epsilon
    }

    public func initialize<S: TensorScalar>(_ parameters: inout ParameterSet<S>, key: RandomKey) {
        parameters.add(joinName(name, "weight"), shape: [channels], initializer: .ones, key: key)
        parameters.add(joinName(name, "bias"), shape: [channels], initializer: .zeros, key: key)
    }

    public func callAsFunction<S: TensorScalar>(_ x: Variable<S>, _ parameters: BoundParameters<S>) -> Variable<S> {
        precondition(x.rank >= 2 && x.shape[1] == channels, "GroupNorm '\(name)' expects [batch, \(channels), ...], got \(x.shape)")
        let grouped = x.reshaped([x.shape[0], groups, -1]).standardized(overLastAxes: 1, epsilon: S(epsilon)).reshaped(x.shape)
        var affineShape = [Int](repeating: 1, count: x.rank)
        affineShape[1] = channels
        return grouped * parameters[joinName(name, "weight")].reshaped(affineShape) + parameters[joinName(name, "bias")].reshaped(affineShape)
    }
}
