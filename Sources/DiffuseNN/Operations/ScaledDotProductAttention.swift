import DiffuseTensor

/// Scaled dot-product attention, softmax(Q·Kᵀ/√d + mask)·V (Vaswani et al. 2017).
///
/// - Parameters:
///   - query: `[..., Tq, d]`.
///   - key: `[..., Tk, d]`.
///   - value: `[..., Tk, dv]`.
///   - mask: an additive mask broadcastable to `[..., Tq, Tk]`: 0 where attention is allowed,
///     −∞ where it is not (see ``attentionMask(allowed:)``). Every query must be allowed at
///     least one key.
/// - Returns: `[..., Tq, dv]`.
///
/// Built from batched BLAS products and the softmax node, whose pullbacks are hand-written.
public func scaledDotProductAttention<S: TensorScalar>(query: Variable<S>, key: Variable<S>, value: Variable<S>,
                                                       mask: Tensor<S>? = nil) -> Variable<S> {
    let d = query.shape[query.rank - 1]
    var scores = matmul(query, key.transposed()) * (1 / S(d).squareRoot())
    if let mask { scores = scores + mask }
    return matmul(scores.softmax(alongAxis: -1), value)
}

/// An additive attention mask from a 0/1 "allowed" tensor: 0 where allowed, −∞ elsewhere.
public func attentionMask<S: TensorScalar>(allowed: Tensor<S>) -> Tensor<S> {
    Tensor.select(allowed, Tensor(0), Tensor(-.infinity))
}

/// The causal mask `[T, T]`: query t may attend to keys 0...t.
public func causalAttentionMask<S: TensorScalar>(length: Int, as _: S.Type = S.self) -> Tensor<S> {
    let i = Tensor<S>.arange(to: S(length)).reshaped([length, 1])
    let j = Tensor<S>.arange(to: S(length)).reshaped([1, length])
    return attentionMask(allowed: j.isLessOrEqual(to: i))
}
