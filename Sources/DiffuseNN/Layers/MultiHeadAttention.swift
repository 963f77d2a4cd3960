import DiffuseTensor

/// Multi-head self-attention over `[batch, length, embed]` (PyTorch `nn.MultiheadAttention`
/// with `batch_first=True`): a joint input projection to queries, keys and values, per-head
/// scaled dot-product attention, and an output projection.
///
/// Parameters (PyTorch names and initialisation): `<name>.in_proj_weight` `[3·embed, embed]`
/// Xavier-uniform, `<name>.in_proj_bias` zeros, `<name>.out_proj.weight` `[embed, embed]`
/// U(±1/√embed), `<name>.out_proj.bias` zeros.
public struct MultiHeadAttention: Layer, Equatable {
    public var name: String
    public var embedSize: Int
    public var heads: Int

    public init(name: String, embedSize: Int, heads: Int) {
        precondition(embedSize % heads == 0, "embed size \(embedSize) is not divisible by \(heads) heads")
        self.name = name
        self.embedSize = embedSize
        self.heads = heads
    }

    public func initialize<S: TensorScalar>(_ parameters: inout ParameterSet<S>, key: RandomKey) {
        parameters.add(joinName(name, "in_proj_weight"), shape: [3 * embedSize, embedSize],
                       initializer: .xavierUniform(fanIn: embedSize, fanOut: 3 * embedSize), key: key)
        parameters.add(joinName(name, "in_proj_bias"), shape: [3 * embedSize], initializer: .zeros, key: key)
        parameters.add(joinName(name, "out_proj.weight"), shape: [embedSize, embedSize], initializer: .pytorchDefault(fanIn: embedSize), key: key)
        parameters.add(joinName(name, "out_proj.bias"), shape: [embedSize], initializer: .zeros, key: key)
    }

    /// Self-attention of `x` `[B, T, E]`; `mask` is additive, broadcastable to `[B, heads, T, T]`
    /// (for example `[T, T]` causal, or `[B, 1, 1, T]` for key padding).
    public func callAsFunction<S: TensorScalar>(_ x: Variable<S>, _ parameters: BoundParameters<S>, mask: Tensor<S>? = nil) -> Variable<S> {
        precondition(x.rank == 3 && x.shape[2] == embedSize, "MultiHeadAttention '\(name)' expects [batch, length, \(embedSize)], got \(x.shape)")
        let b = x.shape[0], t = x.shape[1], d = embedSize / heads
        let qkv = linear(x, weight: parameters[joinName(name, "in_proj_weight")], bias: parameters[joinName(name, "in_proj_bias")])
        // [B, T, 3, H, d] → [3, B, H, T, d]
        let split = qkv.reshaped([b, t, 3, heads, d]).permuted([2, 0, 3, 1, 4])
        let q = split.selecting(axis: 0, index: 0), k = split.selecting(axis: 0, index: 1), v = split.selecting(axis: 0, index: 2)
        let attended = scaledDotProductAttention(query: q, key: k, value: v, mask: mask)   // [B, H, T, d]
        let merged = attended.permuted([0, 2, 1, 3]).reshaped([b, t, embedSize])
        return linear(merged, weight: parameters[joinName(name, "out_proj.weight")], bias: parameters[joinName(name, "out_proj.bias")])
    }
}
