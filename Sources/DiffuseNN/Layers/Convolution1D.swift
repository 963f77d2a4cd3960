import DiffuseTensor

/// A 1-D convolution over `[batch, channels, length]` (PyTorch `nn.Conv1d`): zero padding,
/// stride, dilation and channel groups.
///
/// Parameters: `<name>.weight` `[out, in/groups, kernel]` and `<name>.bias` `[out]`, both
/// U(±1/√(in/groups·kernel)) as in PyTorch.
public struct Convolution1D: UnaryLayer, Equatable {
    public var name: String
    public var inputChannels: Int
    public var outputChannels: Int
    public var kernelSize: Int
    public var stride: Int
    public var padding: Int
    public var dilation: Int
    public var groups: Int
    public var hasBias: Bool

    public init(name: String, inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1,
                padding: Int = 0, dilation: Int = 1, groups: Int = 1, bias: Bool = true) {
        precondition(inputChannels % groups == 0 && outputChannels % groups == 0, "channels must be divisible by groups")
        self.name = name
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        self.hasBias = bias
    }

    public var weightName: String { joinName(name, "weight") }
    public var biasName: String { joinName(name, "bias") }

    public func initialize<S: TensorScalar>(_ parameters: inout ParameterSet<S>, key: RandomKey) {
        let fanIn = inputChannels / groups * kernelSize
        parameters.add(weightName, shape: [outputChannels, inputChannels / groups, kernelSize], initializer: .pytorchDefault(fanIn: fanIn), key: key)
        if hasBias { parameters.add(biasName, shape: [outputChannels], initializer: .pytorchDefault(fanIn: fanIn), key: key) }
    }

    public func callAsFunction<S: TensorScalar>(_ x: Variable<S>, _ parameters: BoundParameters<S>) -> Variable<S> {
        convolution1D(x, weight: parameters[weightName], bias: hasBias ? parameters[biasName] : nil,
                      stride: stride, padding: padding, dilation: dilation, groups: groups)
    }

    /// The same convolution of a channels-last signal `[batch, length, channels]`, giving
    /// `[batch, length′, out]` (``channelsLastConvolution1D(_:weight:bias:padding:dilation:)``:
    /// one BLAS product, no transposes). Needs stride 1 and one group.
    public func channelsLast<S: TensorScalar>(_ x: Variable<S>, _ parameters: BoundParameters<S>) -> Variable<S> {
        precondition(stride == 1 && groups == 1, "the channels-last convolution needs stride 1 and one group (this layer has stride \(stride), \(groups) groups)")
        return channelsLastConvolution1D(x, weight: parameters[weightName], bias: hasBias ? parameters[biasName] : nil,
                                         padding: padding, dilation: dilation)
    }
}
