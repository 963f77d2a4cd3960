import DiffuseTensor

/// One-dimensional convolution (cross-correlation) of a channels-last signal `x` `[B, L, Cin]`
/// with `weight` in PyTorch's layout `[Cout, Cin, K]`, stride 1, `padding` zeros at both ends
/// and dilation d:
///
///     y[b, t, o] = bias[o] + Σ_k Σ_c weight[o, c, k] · x[b, t + k·d − padding, c],
///
/// output `[B, Lout, Cout]` with Lout = L + 2·padding − d·(K − 1). The same values as
/// ``convolution1D(_:weight:bias:stride:padding:dilation:groups:)`` on the channels-first
/// transpose, without transposes: the forward pass is one BLAS product of the shifted rows
/// `[B·Lout, K·Cin]` with the weights `[K·Cin, Cout]`. The pullback rebuilds the shifted rows
/// (they are not kept) for ∂weight (one product), and computes ∂x as the convolution of the
/// gradient with the flipped, transposed kernel (one more product), so there is no scatter.
public func channelsLastConvolution1D<S: TensorScalar>(_ x: Variable<S>, weight: Variable<S>, bias: Variable<S>? = nil,
                                                       padding: Int = 0, dilation: Int = 1) -> Variable<S> {
    precondition(x.rank == 3 && weight.rank == 3, "channelsLastConvolution1D needs x [B, L, Cin] and weight [Cout, Cin, K]")
    let batch = x.shape[0], length = x.shape[1], cin = x.shape[2]
    let cout = weight.shape[0], kernel = weight.shape[2]
    precondition(weight.shape[1] == cin, "channelsLastConvolution1D: weight expects \(weight.shape[1]) input channels, got \(cin)")
    precondition(dilation >= 1 && padding >= 0 && kernel >= 1, "channelsLastConvolution1D: invalid dilation, padding or kernel")
    precondition(batch >= 1 && cin >= 1 && cout >= 1, "channelsLastConvolution1D: empty batch or channels (\(x.shape), \(weight.shape))")
    precondition(bias.map { $0.shape == [cout] } ?? true, "channelsLastConvolution1D: bias must be [\(cout)]")
    let span = dilation * (kernel - 1)
    let outLength = length + 2 * padding - span
    precondition(outLength >= 1, "channelsLastConvolution1D: input length \(length) (+2·\(padding) padding) is shorter than the kernel span \(span + 1)")

    let w = weight.value
    let rows = ShiftedRows(taps: kernel, dilation: dilation)
    var y = matmul(rows.gather(x.value, outputLength: outLength, offset: padding), ShiftedRows.tapMajor(w))
    if let bias { y += bias.value.reshaped([1, cout]) }
    let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
    return Variable.record(y.reshaped([batch, outLength, cout]), inputs: inputs) { g, needed in
        let g2 = g.contiguous()
        var gx: Tensor<S>? = nil, gw: Tensor<S>? = nil
        if needed[0] {
            // ∂x[b, s] = Σ_k W_kᵀ g[b, s + padding − k·d]: with k' = K − 1 − k, a convolution of g
            // with the flipped, transposed kernel and offset d·(K − 1) − padding.
            let flipped = ShiftedRows.flippedTransposedTapMajor(w)
            gx = matmul(rows.gather(g2, outputLength: length, offset: span - padding), flipped).reshaped([batch, length, cin])
        }
        if needed[1] {
            let columns = rows.gather(x.value, outputLength: outLength, offset: padding)   // [B·Lout, K·Cin]
            let product = matmul(columns.transposed(), g2.reshaped([batch * outLength, cout]))   // [K·Cin, Cout]
            gw = product.reshaped([kernel, cin, cout]).permuted([2, 1, 0]).contiguous()
        }
        var result = [gx, gw]
        if bias != nil { result.append(needed[2] ? g2.sum(alongAxes: [0, 1]) : nil) }
        return result
    }
}

/// The rows of a channels-last convolution as a matrix: row (b, t) holds
/// `source[b, t + k·d − offset, :]` for k = 0..<taps side by side (zeros outside the source).
struct ShiftedRows {
    var taps: Int
    var dilation: Int

    func gather<S: TensorScalar>(_ source: Tensor<S>, outputLength: Int, offset: Int) -> Tensor<S> {
        let s = source.contiguous()
        let batch = s.shape[0], length = s.shape[1], channels = s.shape[2]
        let width = taps * channels
        // Raw byte copies: the scalars are plain floating-point values, and generic element
        // copies are not specialised across modules.
        let bytes = channels * MemoryLayout<S>.stride
        return Tensor<S>(shape: [batch * outputLength, width]) { out in
            s.withUnsafeBufferPointer { src in
                let source = UnsafeRawPointer(src.baseAddress!), target = UnsafeMutableRawPointer(out.baseAddress!)
                Parallel.forEachChunk(count: batch * outputLength, minimumChunk: 256) { range in
                    for row in range {
                        let b = row / outputLength, t = row % outputLength
                        for k in 0..<taps {
                            let position = t + k * dilation - offset
                            let slot = target + (row * taps + k) * bytes
                            if position >= 0 && position < length {
                                slot.copyMemory(from: source + (b * length + position) * bytes, byteCount: bytes)
                            } else {
                                slot.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
                            }
                        }
                    }
                }
            }
        }
    }

    /// `[Cout, Cin, K]` → `[K·Cin, Cout]`: entry (k·Cin + c, o) = w[o, c, k].
    static func tapMajor<S: TensorScalar>(_ w: Tensor<S>) -> Tensor<S> {
        let (cout, cin, kernel) = (w.shape[0], w.shape[1], w.shape[2])
        return w.permuted([2, 1, 0]).contiguous().reshaped([kernel * cin, cout])
    }

    /// `[Cout, Cin, K]` → `[K·Cout, Cin]`: entry (k·Cout + o, c) = w[o, c, K − 1 − k].
    static func flippedTransposedTapMajor<S: TensorScalar>(_ w: Tensor<S>) -> Tensor<S> {
        let c = w.contiguous()
        let (cout, cin, kernel) = (w.shape[0], w.shape[1], w.shape[2])
        return Tensor<S>(shape: [kernel * cout, cin]) { out in
            c.withUnsafeBufferPointer { src in
                for k in 0..<kernel {
                    for o in 0..<cout {
                        for i in 0..<cin { out[(k * cout + o) * cin + i] = src[(o * cin + i) * kernel + (kernel - 1 - k)] }
                    }
                }
            }
        }
    }
}
