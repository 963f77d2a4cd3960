import CFFTW

/// Discrete Fourier transforms along one axis, batched over all others, through FFTW.
///
/// Conventions follow NumPy's `numpy.fft`: the forward transform is unnormalised,
/// X_k = Σ_j x_j e^{−2πi jk/n}, and the inverse divides by n. Real transforms keep the
/// n/2 + 1 non-negative frequencies. Plans are cached per shape (see `FFTPlanCache`).
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

    /// Shape bookkeeping for a transform of a contiguous tensor viewed as [outer, n, inner].
    private struct Layout {
        var outer: Int
        var inner: Int
        init(shape: [Int], axis: Int) {
            outer = Shape.count(of: Array(shape[..<axis]))
            inner = Shape.count(of: Array(shape[(axis + 1)...]))
        }
        /// FFTW batch loops for input length `nIn` and output length `nOut` along the axis.
        func batch(nIn: Int, nOut: Int) -> [fftw_iodim] {
            var loops: [fftw_iodim] = []
            if outer > 1 { loops.append(fftw_iodim(n: Int32(outer), is: Int32(nIn * inner), os: Int32(nOut * inner))) }
            if inner > 1 { loops.append(fftw_iodim(n: Int32(inner), is: 1, os: 1)) }
            return loops
        }
    }

    private static func key<S: TensorScalar>(_ kind: FFTPlanCache.Kind, _ type: S.Type, n: Int, batch: [fftw_iodim],
                                             dims: fftw_iodim, pointers: [UnsafeMutableRawPointer],
                                             separations: [Int]) -> FFTPlanCache.Key {
        FFTPlanCache.Key(kind: kind, isDouble: S.self == Double.self, length: n,
                         batch: batch.map { [Int($0.n), Int($0.is), Int($0.os)] },
                         transformStrides: [Int(dims.is), Int(dims.os)],
                         alignments: pointers.map { fftw(S.self).alignment(of: $0) },
                         separations: separations)
    }

    /// Split-complex storage in one buffer, real parts first and imaginary parts `count`
    /// elements later. FFTW requires that a plan executed on new split arrays see the same
    /// distance between real and imaginary parts as when it was planned; keeping both parts in
    /// one buffer makes that distance a function of the shape, so plans can be cached.
    private struct SplitStorage<S: TensorScalar> {
        var pair: Tensor<S>          // shape [2] + shape, contiguous
        var count: Int
        var real: UnsafeMutableRawPointer { UnsafeMutableRawPointer(pair.basePointer) }
        var imaginary: UnsafeMutableRawPointer { UnsafeMutableRawPointer(pair.basePointer + count) }

        /// Zeroed storage for a result of the given shape.
        init(shape: [Int]) {
            pair = Tensor(zeros: [2] + shape)
            count = Shape.count(of: shape)
        }

        /// The storage of `x`, reused when it already has this layout, else a copy.
        init(_ x: ComplexTensor<S>) {
            count = Shape.count(of: x.shape)
            let re = x.real, im = x.imaginary
            if re.buffer === im.buffer, re.isContiguous, im.isContiguous, re.strides == Shape.contiguousStrides(for: re.shape),
               im.strides == re.strides, im.offset == re.offset + count {
                pair = re.view(shape: [2] + re.shape, strides: [count] + re.strides, offset: re.offset)
            } else {
                pair = Tensor.stack([re, im])
            }
        }

        var complex: ComplexTensor<S> { ComplexTensor(real: pair[0], imaginary: pair[1]) }
    }

    /// The discrete Fourier transform along `axis`.
    public static func forward<S: TensorScalar>(_ x: ComplexTensor<S>, alongAxis axis: Int = -1) -> ComplexTensor<S> {
        complexTransform(x, axis: axis, inverse: false)
    }

    /// The inverse transform along `axis`, divided by the length.
    public static func inverse<S: TensorScalar>(_ x: ComplexTensor<S>, alongAxis axis: Int = -1) -> ComplexTensor<S> {
        let a = Shape.normalize(axis: axis, rank: x.shape.count)
        var y = complexTransform(x, axis: a, inverse: true)
        let scale = 1 / S(Swift.max(x.shape[a], 1))
        Kernels.unaryInPlace(.affine(scale: Double(scale), shift: 0), &y.real)
        Kernels.unaryInPlace(.affine(scale: Double(scale), shift: 0), &y.imaginary)
        return y
    }

    private static func complexTransform<S: TensorScalar>(_ x: ComplexTensor<S>, axis: Int, inverse: Bool) -> ComplexTensor<S> {
        let a = Shape.normalize(axis: axis, rank: x.shape.count)
        let n = x.shape[a]
        let input = SplitStorage(x)
        let output = SplitStorage<S>(shape: x.shape)
        guard n > 0, input.count > 0 else { return output.complex }
        let layout = Layout(shape: x.shape, axis: a)
        let batch = layout.batch(nIn: n, nOut: n)
        let dims = fftw_iodim(n: Int32(n), is: Int32(layout.inner), os: Int32(layout.inner))
        let routines = fftw(S.self)
        // FFTW's split format computes the inverse transform when real and imaginary parts
        // are exchanged on input and on output.
        let ri = inverse ? input.imaginary : input.real
        let ii = inverse ? input.real : input.imaginary
        let ro = inverse ? output.imaginary : output.real
        let io = inverse ? output.real : output.imaginary
        let k = key(.complex, S.self, n: n, batch: batch, dims: dims, pointers: [ri, ii, ro, io],
                    separations: [ri.distance(to: ii), ro.distance(to: io)])
        let plan = FFTPlanCache.shared.plan(for: k) {
            routines.planComplex([dims], batch, ri, ii, ro, io, UInt32(FFTW_ESTIMATE))
        }
        withExtendedLifetime(input) {
            routines.executeComplex(plan, ri, ii, ro, io)
        }
        return output.complex
    }

    /// The transform of real input along `axis`: the n/2 + 1 non-negative frequencies.
    ///
    /// - Parameter length: the transform length n; the input is cut or zero-padded to it
    ///   (default: the input's length along `axis`).
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
        let output = SplitStorage<S>(shape: outShape)
        guard input.count > 0 else { return output.complex }
        let layout = Layout(shape: input.shape, axis: a)
        let batch = layout.batch(nIn: n, nOut: n / 2 + 1)
        let dims = fftw_iodim(n: Int32(n), is: Int32(layout.inner), os: Int32(layout.inner))
        let routines = fftw(S.self)
        let pin = UnsafeMutableRawPointer(input.basePointer)
        let ro = output.real, io = output.imaginary
        let k = key(.realToComplex, S.self, n: n, batch: batch, dims: dims, pointers: [pin, ro, io], separations: [ro.distance(to: io)])
        let plan = FFTPlanCache.shared.plan(for: k) {
            routines.planRealToComplex([dims], batch, pin, ro, io, UInt32(FFTW_ESTIMATE))
        }
        withExtendedLifetime(input) {
            routines.executeRealToComplex(plan, pin, ro, io)
        }
        return output.complex
    }

    /// The inverse of ``realForward(_:alongAxis:length:)``: real output of the given length
    /// from its n/2 + 1 non-negative frequencies, divided by the length. The imaginary parts of
    /// the zero (and, for even n, the Nyquist) frequency are ignored, as in NumPy.
    public static func realInverse<S: TensorScalar>(_ x: ComplexTensor<S>, length n: Int, alongAxis axis: Int = -1) -> Tensor<S> {
        let a = Shape.normalize(axis: axis, rank: x.shape.count)
        precondition(n >= 1, "FFT length must be positive")
        let half = n / 2 + 1
        var re = x.real, im = x.imaginary
        if re.shape[a] > half { re = re.slice(axis: a, 0..<half); im = im.slice(axis: a, 0..<half) }
        if re.shape[a] < half {
            re = re.padded(alongAxis: a, before: 0, after: half - re.shape[a])
            im = im.padded(alongAxis: a, before: 0, after: half - im.shape[a])
        }
        let input = SplitStorage(ComplexTensor(real: re, imaginary: im))
        var outShape = re.shape
        outShape[a] = n
        var out = Tensor<S>(zeros: outShape)
        guard out.count > 0 else { return out }
        let layout = Layout(shape: re.shape, axis: a)
        let batch = layout.batch(nIn: half, nOut: n)
        let dims = fftw_iodim(n: Int32(n), is: Int32(layout.inner), os: Int32(layout.inner))
        let routines = fftw(S.self)
        let ri = input.real, ii = input.imaginary
        let po = UnsafeMutableRawPointer(out.basePointer)
        let k = key(.complexToReal, S.self, n: n, batch: batch, dims: dims, pointers: [ri, ii, po], separations: [ri.distance(to: ii)])
        let plan = FFTPlanCache.shared.plan(for: k) {
            routines.planComplexToReal([dims], batch, ri, ii, po, UInt32(FFTW_ESTIMATE) | UInt32(FFTW_PRESERVE_INPUT))
        }
        withExtendedLifetime(input) {
            routines.executeComplexToReal(plan, ri, ii, po)
        }
        Kernels.unaryInPlace(.affine(scale: 1 / Double(n), shift: 0), &out)
        return out
    }
}
