import CFFTW

/// Discrete Fourier transforms along one axis, batched over all others, through FFTW.
///
/// Conventions follow NumPy's `numpy.fft`: the forward transform is unnormalised,
/// X_k = Σ_j x_j e^{−2πi jk/n}, and the inverse divides by n. Real transforms keep the
/// n/2 + 1 non-negative frequencies. Plans are cached per shape (see `FFTPlanCache`); the
/// arrays are interleaved complex, which FFTW runs fastest.
public enum FFT {
    /// The smallest length ≥ `n` whose prime factors are 2, 3, 5 and 7, for which FFTW is fastest.
    public static func nextFastLength(_ n: Int) -> Int {
        var m = Swift.max(n, 1)
        while true {
            var r = m
            for p in [2, 3, 5, 7] { while r % p == 0 { r /= p } }
            if r == 1 { return m }
            m += 1
        }
    }

    /// A transform of a contiguous array viewed as [outer, n, inner] into one viewed as
    /// [outer, nOut, inner] (element strides of each array in its own units).
    private struct Layout {
        var outer: Int
        var inner: Int
        init(shape: [Int], axis: Int) {
            outer = Shape.count(of: Array(shape[..<axis]))
            inner = Shape.count(of: Array(shape[(axis + 1)...]))
        }
        func batch(nIn: Int, nOut: Int) -> [fftw_iodim] {
            var loops: [fftw_iodim] = []
            if outer > 1 { loops.append(fftw_iodim(n: Int32(outer), is: Int32(nIn * inner), os: Int32(nOut * inner))) }
            if inner > 1 { loops.append(fftw_iodim(n: Int32(inner), is: 1, os: 1)) }
            return loops
        }
        var dims: (Int) -> fftw_iodim { { n in fftw_iodim(n: Int32(n), is: Int32(inner), os: Int32(inner)) } }
    }

    /// Plans (from the cache, or new under the planner lock) and runs one transform.
    private static func run<S: TensorScalar>(_ kind: FFTPlanCache.Kind, _: S.Type, n: Int, layout: Layout, nIn: Int, nOut: Int,
                                             sign: Int32, input: UnsafeMutableRawPointer, output: UnsafeMutableRawPointer) {
        let routines = fftw(S.self)
        let batch = layout.batch(nIn: nIn, nOut: nOut)
        let dims = layout.dims(n)
        let key = FFTPlanCache.Key(kind: kind, isDouble: S.self == Double.self, length: n,
                                   batch: batch.map { [Int($0.n), Int($0.is), Int($0.os)] },
                                   transformStrides: [Int(dims.is), Int(dims.os)],
                                   alignments: [routines.alignment(of: input), routines.alignment(of: output)], sign: sign, inPlace: input == output)
        let plan = FFTPlanCache.shared.plan(for: key) {
            switch kind {
            case .complex: return routines.planComplex([dims], batch, input, output, sign, UInt32(FFTW_ESTIMATE))
            case .realToComplex: return routines.planRealToComplex([dims], batch, input, output, UInt32(FFTW_ESTIMATE))
            case .complexToReal:
                return routines.planComplexToReal([dims], batch, input, output, UInt32(FFTW_ESTIMATE) | UInt32(FFTW_PRESERVE_INPUT))
            }
        }
        switch kind {
        case .complex: routines.executeComplex(plan, input, output)
        case .realToComplex: routines.executeRealToComplex(plan, input, output)
        case .complexToReal: routines.executeComplexToReal(plan, input, output)
        }
    }

    /// An in-place complex transform (unnormalised) of `rows × length × channels` interleaved
    /// complex values at `pointer`, along the middle axis; used by ``ChannelPairFFT``.
    static func complexInPlace<S: TensorScalar>(_: S.Type, _ pointer: UnsafeMutablePointer<S>, rows: Int, length n: Int, channels: Int, sign: Int32) {
        let raw = UnsafeMutableRawPointer(pointer)
        run(.complex, S.self, n: n, layout: Layout(shape: [rows, n, channels], axis: 1), nIn: n, nOut: n, sign: sign, input: raw, output: raw)
    }

    /// Uninitialized interleaved storage for a complex result (FFTW writes every element).
    private static func complexStorage<S: TensorScalar>(shape: [Int]) -> Tensor<S> {
        Tensor(shape: shape + [2]) { _ in }
    }

    /// The discrete Fourier transform along `axis`.
    public static func forward<S: TensorScalar>(_ x: ComplexTensor<S>, alongAxis axis: Int = -1) -> ComplexTensor<S> {
        complexTransform(x, axis: axis, sign: Int32(FFTW_FORWARD))
    }

    /// The inverse transform along `axis`, divided by the length.
    public static func inverse<S: TensorScalar>(_ x: ComplexTensor<S>, alongAxis axis: Int = -1) -> ComplexTensor<S> {
        let a = Shape.normalize(axis: axis, rank: x.shape.count)
        var y = complexTransform(x, axis: a, sign: Int32(FFTW_BACKWARD)).interleaved
        Kernels.unaryInPlace(.affine(scale: 1 / Double(Swift.max(x.shape[a], 1)), shift: 0), &y)
        return ComplexTensor(interleaved: y)
    }

    private static func complexTransform<S: TensorScalar>(_ x: ComplexTensor<S>, axis: Int, sign: Int32) -> ComplexTensor<S> {
        let a = Shape.normalize(axis: axis, rank: x.shape.count)
        let n = x.shape[a]
        let input = x.interleaved.contiguous()
        let output: Tensor<S> = complexStorage(shape: x.shape)
        guard n > 0, output.count > 0 else { return ComplexTensor(interleaved: output) }
        withExtendedLifetime(input) {
            run(.complex, S.self, n: n, layout: Layout(shape: x.shape, axis: a), nIn: n, nOut: n, sign: sign,
                input: UnsafeMutableRawPointer(input.basePointer), output: UnsafeMutableRawPointer(output.basePointer))
        }
        return ComplexTensor(interleaved: output)
    }

    /// The transform of real input along `axis`: the n/2 + 1 non-negative frequencies.
    ///
    /// - Parameters:
    ///   - x: the real input.
    ///   - axis: the axis to transform; negative values count from the end (default: the last).
    ///   - length: the transform length n; the input is cut or zero-padded to it
    ///     (default: the input's length along `axis`).
    public static func realForward<S: TensorScalar>(_ x: Tensor<S>, alongAxis axis: Int = -1, length: Int? = nil) -> ComplexTensor<S> {
        let a = Shape.normalize(axis: axis, rank: x.rank)
        let n = length ?? x.shape[a]
        precondition(n >= 1, "FFT length must be positive")
        var input = x
        if n > x.shape[a] { input = x.padded(alongAxis: a, before: 0, after: n - x.shape[a]) }
        if n < x.shape[a] { input = x.slice(axis: a, 0..<n) }
        input = input.contiguous()
        var outShape = input.shape
        outShape[a] = n / 2 + 1
        let output: Tensor<S> = complexStorage(shape: outShape)
        guard input.count > 0 else { return ComplexTensor(interleaved: output) }
        withExtendedLifetime(input) {
            run(.realToComplex, S.self, n: n, layout: Layout(shape: input.shape, axis: a), nIn: n, nOut: n / 2 + 1, sign: 0,
                input: UnsafeMutableRawPointer(input.basePointer), output: UnsafeMutableRawPointer(output.basePointer))
        }
        return ComplexTensor(interleaved: output)
    }

    /// The inverse of ``realForward(_:alongAxis:length:)``: real output of the given length
    /// from its n/2 + 1 non-negative frequencies, divided by the length. The imaginary parts of
    /// the zero (and, for even n, the Nyquist) frequency are ignored, as in NumPy.
    public static func realInverse<S: TensorScalar>(_ x: ComplexTensor<S>, length n: Int, alongAxis axis: Int = -1) -> Tensor<S> {
        let a = Shape.normalize(axis: axis, rank: x.shape.count)
        precondition(n >= 1, "FFT length must be positive")
        let half = n / 2 + 1
        var storage = x.interleaved
        if storage.shape[a] > half { storage = storage.slice(axis: a, 0..<half) }
        if storage.shape[a] < half { storage = storage.padded(alongAxis: a, before: 0, after: half - storage.shape[a]) }
        let input = storage.contiguous()
        var outShape = Array(input.shape.dropLast())
        outShape[a] = n
        var out = Tensor<S>(shape: outShape) { _ in }   // FFTW writes every element
        guard out.count > 0 else { return out }
        withExtendedLifetime(input) {
            run(.complexToReal, S.self, n: n, layout: Layout(shape: outShape, axis: a), nIn: half, nOut: n, sign: 0,
                input: UnsafeMutableRawPointer(input.basePointer), output: UnsafeMutableRawPointer(out.basePointer))
        }
        Kernels.unaryInPlace(.affine(scale: 1 / Double(n), shift: 0), &out)
        return out
    }
}
