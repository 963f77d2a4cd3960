import DiffuseTensor

/// A fully connected layer `y = x·Wᵀ + b` over the last axis (PyTorch `nn.Linear`).
///
/// Parameters: `<name>.weight` `[output, input]` and `<name>.bias` `[output]`, both
/// U(−1/√input, 1/√input) as in PyTorch.
public struct Linear: UnaryLayer, Equatable {
    public var name: String
    public var inputSize: Int
    public var outputSize: Int
    public var hasBias: Bool

    public init(name: String, inputSize: Int, outputSize: Int, bias: Bool = true) {
        precondition(inputSize > 0 && outputSize > 0, "Linear sizes must be positive")
        self.name = name
        self.inputSize = inputSize
        self.outputSize = outputSize
        self.hasBias = bias
    }

    public var weightName: String { joinName(name, "weight") }
    public var biasName: String { joinName(name, "bias") }

    public func initialize<S: TensorScalar>(_ parameters: inout ParameterSet<S>, key: RandomKey) {
        parameters.add(weightName, shape: [outputSize, inputSize], initializer: .pytorchDefault(fanIn: inputSize), key: key)
        if hasBias { parameters.add(biasName, shape: [outputSize], initializer: .pytorchDefault(fanIn: inputSize), key: key) }
    }

    public func callAsFunction<S: TensorScalar>(_ x: Variable<S>, _ parameters: BoundParameters<S>) -> Variable<S> {
        linear(x, weight: parameters[weightName], bias: hasBias ? parameters[biasName] : nil)
    }
}

/// A multilayer perceptron: Linear layers with an activation between them (and optionally
/// after the last). Layers are named `<name>.layers.<i>`.
public struct MLP: UnaryLayer, Equatable {
    public var name: String
    public var layers: [Linear]
    public var activation: Activation
    public var activateOutput: Bool

    /// - Parameters:
    ///   - name: the prefix of the layers' parameter names.
    ///   - sizes: input size, hidden sizes, output size.
    ///   - activation: the activation between layers (default: ReLU).
    ///   - activateOutput: whether the activation is also applied after the last layer.
    public init(name: String, sizes: [Int], activation: Activation = .relu, activateOutput: Bool = false) {
        precondition(sizes.count >= 2, "an MLP needs at least input and output sizes")
        self.name = name
        self.layers = (0..<(sizes.count - 1)).map {
            Linear(name: joinName(name, "layers.\($0)"), inputSize: sizes[$0], outputSize: sizes[$0 + 1])
        }
        self.activation = activation
        self.activateOutput = activateOutput
    }

    public func initialize<S: TensorScalar>(_ parameters: inout ParameterSet<S>, key: RandomKey) {
        for layer in layers { layer.initialize(&parameters, key: key) }
    }

    public func callAsFunction<S: TensorScalar>(_ x: Variable<S>, _ parameters: BoundParameters<S>) -> Variable<S> {
        var h = x
        for (i, layer) in layers.enumerated() {
            h = layer(h, parameters)
            if i < layers.count - 1 || activateOutput { h = h.activated(activation) }
        }
        return h
    }
}
