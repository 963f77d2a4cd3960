import DiffuseTensor

/// The matrix product of variables (NumPy `matmul` semantics, batch axes broadcast). The
/// pullback is two more BLAS products on transposed views: ∂a = g·bᵀ, ∂b = aᵀ·g, summed over
/// broadcast batch axes.
public func matmul<S: TensorScalar>(_ a: Variable<S>, _ b: Variable<S>) -> Variable<S> {
    precondition(a.rank >= 2 && b.rank >= 2, "matmul of variables needs rank ≥ 2 (reshape vectors explicitly)")
    return Variable.record(matmul(a.value, b.value), inputs: [a, b]) { g, needed in
        [needed[0] ? matmul(g, b.value.transposed()).summed(toShape: a.shape) : nil,
         needed[1] ? matmul(a.value.transposed(), g).summed(toShape: b.shape) : nil]
    }
}

/// An affine map of the last axis, `x · Wᵀ + b`, with `weight` of shape [out, in] as in
/// PyTorch's `nn.Linear`. One node on the tape: the forward is one gemm (leading axes of `x`
/// are flattened into the rows) and the pullback two, plus a column sum for the bias.
public func linear<S: TensorScalar>(_ x: Variable<S>, weight: Variable<S>, bias: Variable<S>?) -> Variable<S> {
    let inFeatures = weight.shape[1], outFeatures = weight.shape[0]
    precondition(x.shape.last == inFeatures, "linear: input has \(x.shape.last ?? 0) features, weight expects \(inFeatures)")
    let leading = Array(x.shape.dropLast())
    let rows = x.value.reshaped([-1, inFeatures])
    let y: Tensor<S>
    if let bias {
        // The bias rows first, then x·Wᵀ accumulated onto them by the BLAS call (β = 1).
        var biased = bias.value.reshaped([1, outFeatures]).broadcast(to: [rows.shape[0], outFeatures]).contiguous()
        matmul(rows, weight.value.transposed(), into: &biased, alpha: 1, beta: 1)
        y = biased
    } else {
        y = matmul(rows, weight.value.transposed())
    }
    let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
    return Variable.record(y.reshaped(leading + [outFeatures]), inputs: inputs) { g, needed in
        let g2 = g.reshaped([-1, outFeatures])
        let gx = needed[0] ? matmul(g2, weight.value).reshaped(x.shape) : nil
        let gw = needed[1] ? matmul(g2.transposed(), rows) : nil
        var result = [gx, gw]
        if bias != nil { result.append(needed[2] ? g2.sum(alongAxis: 0) : nil) }
        return result
    }
}
