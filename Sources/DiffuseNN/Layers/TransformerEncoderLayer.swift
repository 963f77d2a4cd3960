import DiffuseTensor

/// A Transformer encoder layer (PyTorch `nn.TransformerEncoderLayer`, `batch_first=True`):
/// self-attention and a two-layer feed-forward block, each with dropout, a residual connection
/// and layer normalization, applied after (default) or before (`normFirst`) each block.
public struct TransformerEncoderLayer: Layer, Equatable {
    public var name: String
    public var attention: MultiHeadAttention
    public var feedForward1: Linear
    public var feedForward2: Linear
    public var norm1: LayerNorm
    public var norm2: LayerNorm
    public var activation: Activation
    public var dropout: Double
    public var normFirst: Bool

    public init(name: String, modelSize: Int, heads: Int, feedForwardSize: Int = 2048, dropout: Double = 0.1,
                activation: Activation = .relu, normFirst: Bool = false, layerNormEpsilon: Double = 1e-5) {
        self.name = name
        attention = MultiHeadAttention(name: joinName(name, "self_attn"), embedSize: modelSize, heads: heads)
        feedForward1 = Linear(name: joinName(name, "linear1"), inputSize: modelSize, outputSize: feedForwardSize)
        feedForward2 = Linear(name: joinName(name, "linear2"), inputSize: feedForwardSize, outputSize: modelSize)
        norm1 = LayerNorm(name: joinName(name, "norm1"), size: modelSize, epsilon: layerNormEpsilon)
        norm2 = LayerNorm(name: joinName(name, "norm2"), size: modelSize, epsilon: layerNormEpsilon)
        self.activation = activation
        self.dropout = dropout
        self.normFirst = normFirst
    }

    public func initialize<S: TensorScalar>(_ parameters: inout ParameterSet<S>, key: RandomKey) {
        attention.initialize(&parameters, key: key)
        feedForward1.initialize(&parameters, key: key)
        feedForward2.initialize(&parameters, key: key)
        norm1.initialize(&parameters, key: key)
        norm2.initialize(&parameters, key: key)
    }

    /// The layer applied to `x` `[B, T, E]`. Dropout is active when `dropoutKey` is given.
    public func callAsFunction<S: TensorScalar>(_ x: Variable<S>, _ p: BoundParameters<S>, mask: Tensor<S>? = nil,
                                                dropoutKey: RandomKey? = nil) -> Variable<S> {
        func attentionBlock(_ h: Variable<S>) -> Variable<S> {
            attention(h, p, mask: mask).dropout(rate: dropout, key: dropoutKey?.folding(in: 1))
        }
        func feedForwardBlock(_ h: Variable<S>) -> Variable<S> {
            let inner = feedForward1(h, p).activated(activation).dropout(rate: dropout, key: dropoutKey?.folding(in: 2))
            return feedForward2(inner, p).dropout(rate: dropout, key: dropoutKey?.folding(in: 3))
        }
        if normFirst {
            let h = x + attentionBlock(norm1(x, p))
            return h + feedForwardBlock(norm2(h, p))
        }
        let h = norm1(x + attentionBlock(x), p)
        return norm2(h + feedForwardBlock(h), p)
    }
}
