import DiffuseTensor

/// One-dimensional convolution (cross-correlation, as PyTorch's `conv1d`) of `x` `[B, Cin, L]`
/// with `weight` `[Cout, Cin/groups, K]`, zero padding on both ends, stride and dilation, and
/// channel groups. Output `[B, Cout, Lout]` with Lout = ⌊(L + 2·padding − dilation·(K−1) − 1)/stride⌋ + 1.
///
/// Computed by im2col and batched BLAS products (a 1×1 convolution is a single product). The
/// pullback is hand-written: two more products and a col2im accumulation.
public func convolution1D<S: TensorScalar>(_ x: Variable<S>, weight: Variable<S>, bias: Variable<S>? = nil,
                                           stride: Int = 1, padding: Int = 0, dilation: Int = 1, groups: Int = 1) -> Variable<S> {
    precondition(x.rank == 3 && weight.rank == 3, "convolution1D needs x [B, Cin, L] and weight [Cout, Cin/groups, K]")
    let batch = x.shape[0], cin = x.shape[1], length = x.shape[2]
    let cout = weight.shape[0], kernel = weight.shape[2]
    precondition(stride >= 1 && dilation >= 1 && padding >= 0 && groups >= 1, "convolution1D: invalid stride/dilation/padding/groups")
    precondition(cin % groups == 0 && cout % groups == 0, "convolution1D: channels \(cin)→\(cout) not divisible by \(groups) groups")
    precondition(weight.shape[1] == cin / groups, "convolution1D: weight expects \(weight.shape[1] * groups) input channels, got \(cin)")
    let padded = length + 2 * padding
    let span = dilation * (kernel - 1) + 1
    precondition(padded >= span, "convolution1D: input length \(length) (+2·\(padding) padding) is shorter than the kernel span \(span)")
    let outLength = (padded - span) / stride + 1
    let cinG = cin / groups, coutG = cout / groups, ck = cinG * kernel

    // im2col: columns [B, G, Cin/G·K, Lout].
    let isPointwise = kernel == 1 && stride == 1 && padding == 0
    let xp = padding > 0 ? x.value.padded(alongAxis: 2, before: padding, after: padding) : x.value
    let columns: Tensor<S>
    if isPointwise {
        columns = xp.reshaped([batch, groups, ck, outLength])
    } else {
        let taps = (0..<kernel).map { k in
            xp.slice(axis: 2, (k * dilation)..<(k * dilation + stride * (outLength - 1) + 1)).strided(axis: 2, step: stride)
        }
        columns = Tensor.stack(taps, alongAxis: 2).reshaped([batch, groups, ck, outLength])
    }
    let w = weight.value.reshaped([groups, coutG, ck])
    var y = matmul(w, columns).reshaped([batch, cout, outLength])
    if let bias { y += bias.value.reshaped([1, cout, 1]) }
    let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
    return Variable.record(y, inputs: inputs) { g, needed in
        let g4 = g.reshaped([batch, groups, coutG, outLength])
        var gx: Tensor<S>? = nil
        if needed[0] {
            let gcols = matmul(w.transposed(), g4)   // [B, G, CK, Lout]
            if isPointwise {
                gx = gcols.reshaped(x.shape)
            } else {
                let perTap = gcols.reshaped([batch, cin, kernel, outLength])
                var gxp = Tensor<S>(zeros: [batch, cin, padded])
                for k in 0..<kernel {
                    gxp.add(perTap.selecting(axis: 2, index: k), alongAxis: 2, start: k * dilation, step: stride)
                }
                gx = gxp.slice(axis: 2, padding..<(padding + length)).contiguous()
            }
        }
        var gw: Tensor<S>? = nil
        if needed[1] {
            // Σ_b g[b]·columns[b]ᵀ as one product per group over (batch × time).
            let gFlat = g4.permuted([1, 2, 0, 3]).reshaped([groups, coutG, batch * outLength])
            let cFlat = columns.permuted([1, 0, 3, 2]).reshaped([groups, batch * outLength, ck])
            gw = matmul(gFlat, cFlat).reshaped(weight.shape)
        }
        var result = [gx, gw]
        if bias != nil { result.append(needed[2] ? g.sum(alongAxes: [0, 2]) : nil) }
        return result
    }
}

/// The first L outputs of the circular convolution of length N of `signal` (zero-padded to N
/// along `axis`) with `kernel`, by FFT: y = irfft(rfft(u, N) · rfft(k, N))[..<L].
/// The kernel's length-N axis is the same axis counted from the end, and the other axes
/// broadcast: a `[N, H]` kernel with a `[B, L, H]` signal along axis 1 (channels last), or a
/// `[H, N]` kernel with a `[B, H, L]` signal along the last axis. With a causal kernel
/// zero-padded to N ≥ 2L − 1 this is the linear causal convolution; with a kernel whose second
/// half holds a reversed anti-causal part it is the bidirectional convolution of S4 layers.
///
/// Pullbacks are circular correlations, also by FFT: ∂u = irfft(G · conj(K))[..<L] and
/// ∂k = irfft(G · conj(U)) summed over the broadcast axes (in frequency space).
public func circularConvolution<S: TensorScalar>(_ signal: Variable<S>, kernel: Variable<S>, alongAxis axis: Int = -1) -> Variable<S> {
    let a = Shape.normalize(axis: axis, rank: signal.rank)
    let fromEnd = signal.rank - a
    let ka = kernel.rank - fromEnd
    precondition(ka >= 0, "circularConvolution: the kernel needs the convolution axis at the same position from the end")
    let length = signal.shape[a]
    let n = kernel.shape[ka]
    precondition(n >= length, "circularConvolution: kernel length \(n) is shorter than the signal length \(length)")
    if signal.rank == 3 && a == 1 && kernel.rank == 2 && kernel.shape[1] == signal.shape[2] {
        return channelsLastCircularConvolution(signal, kernel: kernel)
    }
    return realFFTCircularConvolution(signal, kernel: kernel, axis: a, kernelAxis: ka)
}

/// ``circularConvolution(_:kernel:alongAxis:)`` by real FFTs along `axis` of the signal and
/// `kernelAxis` of the kernel (validated by the caller).
private func realFFTCircularConvolution<S: TensorScalar>(_ signal: Variable<S>, kernel: Variable<S>, axis a: Int, kernelAxis ka: Int) -> Variable<S> {
    let length = signal.shape[a], n = kernel.shape[ka]
    let u = FFT.realForward(signal.value, alongAxis: a, length: n)
    let k = FFT.realForward(kernel.value, alongAxis: ka, length: n)
    let y = FFT.realInverse(u.multiplied(by: k), length: n, alongAxis: a).slice(axis: a, 0..<length).contiguous()
    return Variable.record(y, inputs: [signal, kernel]) { g, needed in
        let gf = FFT.realForward(g, alongAxis: a, length: n)
        var gu: Tensor<S>? = nil, gk: Tensor<S>? = nil
        if needed[0] {
            gu = FFT.realInverse(gf.multiplied(by: k, conjugatingOther: true), length: n, alongAxis: a)
                .slice(axis: a, 0..<length).contiguous().summed(toShape: signal.shape)
        }
        if needed[1] {
            let product = gf.multiplied(by: u, conjugatingOther: true)
            var frequencyShape = kernel.shape
            frequencyShape[ka] = n / 2 + 1
            let reduced = ComplexTensor(interleaved: product.interleaved.summed(toShape: frequencyShape + [2]))
            gk = FFT.realInverse(reduced, length: n, alongAxis: ka)
        }
        return [gu, gk]
    }
}

/// ``circularConvolution(_:kernel:alongAxis:)`` of a channels-last signal `[B, L, H]` with
/// kernels `[N, H]` along axis 1, plus, with `skip` (weights `[H]`, S4's D), skip[h]·u[b, t, h].
///
/// For an even channel count it runs by complex FFTs of channel pairs (`ChannelPairFFT`): the
/// same values, without transposes or strided real transforms, the skip added in the same pass.
/// The pullback reuses the paired spectra: ∂u by convolving the upstream gradient with the
/// conjugated kernel spectra (plus skip·g), ∂k as the inverse real FFT of Σ_b G·conj(U), ∂skip as
/// Σ_{b,t} g·u. An odd channel count uses real FFTs per channel and a separate skip term.
public func channelsLastCircularConvolution<S: TensorScalar>(_ signal: Variable<S>, kernel: Variable<S>, skip: Variable<S>? = nil) -> Variable<S> {
    precondition(signal.rank == 3 && kernel.shape == [kernel.shape[0], signal.shape[2]] && kernel.shape[0] >= signal.shape[1],
                 "channels-last circular convolution needs [batch, length, channels] and a kernel [N ≥ length, channels]; got \(signal.shape) and \(kernel.shape)")
    precondition(skip.map { $0.shape == [signal.shape[2]] } ?? true, "skip weights must be [\(signal.shape[2])], got \(skip!.shape)")
    let length = signal.shape[1], n = kernel.shape[0], channels = signal.shape[2]
    guard channels > 0 && channels % 2 == 0 else {
        let y = realFFTCircularConvolution(signal, kernel: kernel, axis: 1, kernelAxis: 0)
        return skip.map { y + signal * $0.reshaped([1, 1, channels]) } ?? y
    }
    let u = ChannelPairFFT.transform(signal.value, length: n)
    let y = ChannelPairFFT.convolve(spectra: u, with: ChannelPairFFT.Spectrum(kernel: kernel.value), outputLength: length,
                                    skip: skip.map { (signal.value, $0.value) })
    let inputs = skip.map { [signal, kernel, $0] } ?? [signal, kernel]
    return Variable.record(y, inputs: inputs) { g, needed in
        var gu: Tensor<S>? = nil, gk: Tensor<S>? = nil
        if needed[0] || needed[1] {
            let gf = ChannelPairFFT.transform(g, length: n)
            if needed[0] {
                gu = ChannelPairFFT.convolve(spectra: gf, with: ChannelPairFFT.Spectrum(kernel: kernel.value, conjugated: true), outputLength: length,
                                             skip: skip.map { (g, $0.value) })
            }
            if needed[1] {
                gk = FFT.realInverse(ChannelPairFFT.crossSpectrumSum(gf, u), length: n, alongAxis: 0)
            }
        }
        var result = [gu, gk]
        if skip != nil { result.append(needed[2] ? (g * signal.value).sum(alongAxes: [0, 1]) : nil) }
        return result
    }
}
