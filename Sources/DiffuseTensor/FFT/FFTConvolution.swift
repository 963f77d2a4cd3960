/// Which part of a linear convolution of a length-L signal with a length-K kernel to keep.
public enum ConvolutionMode: Sendable {
    /// All L + K − 1 outputs.
    case full
    /// The first L outputs: y_t = Σ_{j ≤ t} k_j u_{t−j}, the causal convolution of S4 layers.
    case causal
    /// L outputs centred like NumPy's `convolve(mode="same")`.
    case same
    /// The max(L, K) − min(L, K) + 1 outputs where the signals overlap completely.
    case valid
}

extension FFT {
    /// Linear convolution along the last axis, computed by FFT: the signal and the kernel are
    /// zero-padded to a fast length ≥ L + K − 1, multiplied in frequency space and transformed
    /// back. Leading axes broadcast (a `[channels, K]` kernel applies to a `[batch, channels, L]`
    /// signal). Cost O(N log N) against O(L·K) for the direct sum.
    public static func convolve<S: TensorScalar>(_ signal: Tensor<S>, _ kernel: Tensor<S>, mode: ConvolutionMode = .full) -> Tensor<S> {
        precondition(signal.rank >= 1 && kernel.rank >= 1, "convolve needs signal and kernel of rank ≥ 1")
        let l = signal.shape[signal.rank - 1]
        var k = kernel.shape[kernel.rank - 1]
        precondition(l > 0 && k > 0, "convolve needs non-empty signal and kernel")
        var kernel = kernel
        if mode == .causal && k > l {
            kernel = kernel.slice(axis: -1, 0..<l)
            k = l
        }
        let full = l + k - 1
        let n = nextFastLength(full)
        let product = realForward(signal, length: n) * realForward(kernel, length: n)
        let y = realInverse(product, length: n)
        switch mode {
        case .full: return y.slice(axis: -1, 0..<full).contiguous()
        case .causal: return y.slice(axis: -1, 0..<l).contiguous()
        case .same:
            let start = (k - 1) / 2
            return y.slice(axis: -1, start..<(start + l)).contiguous()
        case .valid:
            let lo = Swift.min(l, k) - 1
            return y.slice(axis: -1, lo..<(Swift.max(l, k))).contiguous()
        }
    }
}
