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
    affine(x, weight: weight, bias: bias, residual: nil)
}

/// `x · Wᵀ + b + residual` as one node: the gemm accumulates onto `residual + b` (β = 1), so the
/// residual connection after a projection costs no pass of its own. `residual` has the output's
/// shape; nil gives ``linear(_:weight:bias:)``.
public func linear<S: TensorScalar>(_ x: Variable<S>, weight: Variable<S>, bias: Variable<S>?, adding residual: Variable<S>?) -> Variable<S> {
    affine(x, weight: weight, bias: bias, residual: residual)
}

private func affine<S: TensorScalar>(_ x: Variable<S>, weight: Variable<S>, bias: Variable<S>?, residual: Variable<S>?) -> Variable<S> {
    let inFeatures = weight.shape[1], outFeatures = weight.shape[0]
    precondition(x.shape.last == inFeatures, "linear: input has \(x.shape.last ?? 0) features, weight expects \(inFeatures)")
    let leading = Array(x.shape.dropLast())
    let rows = x.value.reshaped([-1, inFeatures])
    let outputShape = [rows.shape[0], outFeatures]
    if let residual { precondition(residual.shape == leading + [outFeatures], "linear: residual of shape \(residual.shape) for output \(leading + [outFeatures])") }
    // The start of the accumulator: residual + bias, the bias rows, or nothing (β = 0).
    var y: Tensor<S>
    switch (residual?.value.reshaped(outputShape), bias?.value.reshaped([1, outFeatures])) {
    case let (r?, b?): y = r + b
    case let (r?, nil): y = r
    case let (nil, b?): y = b.broadcast(to: outputShape).contiguous()
    case (nil, nil): y = matmul(rows, weight.value.transposed())
    }
    if residual != nil || bias != nil { matmul(rows, weight.value.transposed(), into: &y, alpha: 1, beta: 1) }
    var inputs = [x, weight]
    if let bias { inputs.append(bias) }
    if let residual { inputs.append(residual) }
    return Variable.record(y.reshaped(leading + [outFeatures]), inputs: inputs) { g, needed in
        let g2 = g.reshaped([-1, outFeatures])
        var result: [Tensor<S>?] = [needed[0] ? matmul(g2, weight.value).reshaped(x.shape) : nil,
                                    needed[1] ? matmul(g2.transposed(), rows) : nil]
        if bias != nil { result.append(needed[2] ? g2.sum(alongAxis: 0) : nil) }
        if residual != nil { result.append(needed[result.count] ? g : nil) }
        return result
    }
}
