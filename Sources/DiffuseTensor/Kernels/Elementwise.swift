import _DiffuseKernels
import RealModule

/// Elementwise functions of one argument. Parameters travel as `Double` and are converted to
/// the element type once per call.
enum UnaryOperation: Sendable {
    case negate, absolute, square, squareRoot, reciprocalSquareRoot, reciprocal
    case exp, expMinusOne, log, logOnePlus, sin, cos, tan, tanh, erf
    case sigmoid, logSigmoid, softplus, relu, silu, gelu, geluTanh, selu, gatedTanh
    case sign, floor, ceil, round
    case leakyReLU(slope: Double)
    case power(Double)
    case affine(scale: Double, shift: Double)
    case clamp(lower: Double, upper: Double)
    case isFinite, isNaN
}

extension UnaryOperation {
    /// The single-precision vector kernel (C, with AVX2 and AVX-512 versions) of the functions networks
    /// evaluate most; nil for the others, which run as scalar loops.
    var vectorKernel: diffuse_activation? {
        switch self {
        case .exp: return diffuse_activation_exp
        case .sigmoid: return diffuse_activation_sigmoid
        case .silu: return diffuse_activation_silu
        case .tanh: return diffuse_activation_tanh
        case .gatedTanh: return diffuse_activation_gated_tanh
        case .gelu: return diffuse_activation_gelu
        case .relu: return diffuse_activation_relu
        default: return nil
        }
    }
}

/// Elementwise functions of two arguments (with broadcasting). Comparisons give 1 or 0.
enum BinaryOperation: Sendable {
    case add, subtract, multiply, divide, minimum, maximum, power
    case equal, notEqual, less, lessOrEqual, greater, greaterOrEqual
}

extension BinaryOperation {
    /// The single-precision vector kernel (C, with AVX2 and AVX-512 versions) of the four
    /// arithmetic operations; nil for the others.
    var vectorKernel: diffuse_arithmetic_operation? {
        switch self {
        case .add: return diffuse_arithmetic_add
        case .subtract: return diffuse_arithmetic_subtract
        case .multiply: return diffuse_arithmetic_multiply
        case .divide: return diffuse_arithmetic_divide
        default: return nil
        }
    }
}

extension Kernels {
    /// `op` applied to every element of `x`, as a new contiguous tensor.
    static func unary<S: TensorScalar>(_ op: UnaryOperation, _ x: Tensor<S>) -> Tensor<S> {
        let out = Tensor<S>(buffer: TensorBuffer(uninitializedCount: x.count), shape: x.shape,
                            strides: Shape.contiguousStrides(for: x.shape), offset: 0)
        let nest = LoopNest(shape: x.shape, strides: [x.strides, out.strides])
        let xs = nest.innerStride(0), ys = nest.innerStride(1)
        let src = x.basePointer, dst = out.basePointer
        nest.run { offsets, start, n in
            unaryRun(op, src + offsets[0] + start * xs, xs, dst + offsets[1] + start * ys, ys, n)
        }
        _ = out.count
        return out
    }

    /// `op` applied in place to every element of `x` (made unique and contiguous first).
    static func unaryInPlace<S: TensorScalar>(_ op: UnaryOperation, _ x: inout Tensor<S>) {
        x.makeUniqueAndContiguous()
        let p = x.basePointer
        Parallel.forEachChunk(count: x.count, minimumChunk: 1 << 15) { r in
            unaryRun(op, p + r.lowerBound, 1, p + r.lowerBound, 1, r.count)
        }
    }

    /// `op(a, b)` with NumPy broadcasting, as a new contiguous tensor.
    static func binary<S: TensorScalar>(_ op: BinaryOperation, _ a: Tensor<S>, _ b: Tensor<S>) -> Tensor<S> {
        guard let shape = Shape.broadcast(a.shape, b.shape) else {
            preconditionFailure("shapes \(a.shape) and \(b.shape) do not broadcast")
        }
        let out = Tensor<S>(buffer: TensorBuffer(uninitializedCount: Shape.count(of: shape)), shape: shape,
                            strides: Shape.contiguousStrides(for: shape), offset: 0)
        binary(op, a, b, into: out)
        return out
    }

    /// `op(a, b)` written into `out`, whose shape is the broadcast shape (may alias `a`).
    static func binary<S: TensorScalar>(_ op: BinaryOperation, _ a: Tensor<S>, _ b: Tensor<S>, into out: Tensor<S>) {
        let nest = LoopNest(shape: out.shape, strides: [
            Shape.broadcastStrides(shape: a.shape, strides: a.strides, to: out.shape),
            Shape.broadcastStrides(shape: b.shape, strides: b.strides, to: out.shape),
            out.strides,
        ])
        let sa = nest.innerStride(0), sb = nest.innerStride(1), sc = nest.innerStride(2)
        let pa = a.basePointer, pb = b.basePointer, pc = out.basePointer
        if sa == 1 && sb == 1 && sc == 1 && nest.outerCount > 1 && nest.innerCount <= 1024 {
            // Many short contiguous runs (a bias row added to every row, a [B, 1, H] term added
            // along the length): dispatch on the element type once, not in a closure per run;
            // the generic path made these adds 2.8× slower than a contiguous add of the same
            // size, this one 1.6–1.9×.
            switch ScalarKind.of(S.self) {
            case .float: binaryShortRuns(op, nest, rebound(pa, to: Float.self), rebound(pb, to: Float.self), rebound(pc, to: Float.self), binaryFloat)
            case .double: binaryShortRuns(op, nest, rebound(pa, to: Double.self), rebound(pb, to: Double.self), rebound(pc, to: Double.self), binaryDouble)
            }
            return
        }
        nest.run { offsets, start, n in
            binaryRun(op, pa + offsets[0] + start * sa, sa, pb + offsets[1] + start * sb, sb,
                      pc + offsets[2] + start * sc, sc, n)
        }
    }

    /// The runs of a loop nest whose operands are all contiguous along the inner run.
    @inline(__always)
    private static func binaryShortRuns<T>(_ op: BinaryOperation, _ nest: LoopNest, _ a: UnsafeMutablePointer<T>, _ b: UnsafeMutablePointer<T>,
                                           _ c: UnsafeMutablePointer<T>,
                                           _ loop: (BinaryOperation, UnsafeMutablePointer<T>, Int, UnsafeMutablePointer<T>, Int, UnsafeMutablePointer<T>, Int, Int) -> Void) {
        let n = nest.innerCount
        Parallel.forEachChunk(count: nest.outerCount, minimumChunk: Swift.max(1, (1 << 15) / n)) { runs in
            nest.forEachRun(outer: runs) { offsets in loop(op, a + offsets[0], 1, b + offsets[1], 1, c + offsets[2], 1, n) }
        }
    }

    /// `condition != 0 ? a : b` with broadcasting of all three.
    static func select<S: TensorScalar>(_ condition: Tensor<S>, _ a: Tensor<S>, _ b: Tensor<S>) -> Tensor<S> {
        guard let ab = Shape.broadcast(a.shape, b.shape), let shape = Shape.broadcast(condition.shape, ab) else {
            preconditionFailure("shapes \(condition.shape), \(a.shape), \(b.shape) do not broadcast")
        }
        let out = Tensor<S>(buffer: TensorBuffer(uninitializedCount: Shape.count(of: shape)), shape: shape,
                            strides: Shape.contiguousStrides(for: shape), offset: 0)
        let nest = LoopNest(shape: shape, strides: [
            Shape.broadcastStrides(shape: condition.shape, strides: condition.strides, to: shape),
            Shape.broadcastStrides(shape: a.shape, strides: a.strides, to: shape),
            Shape.broadcastStrides(shape: b.shape, strides: b.strides, to: shape),
            out.strides,
        ])
        let s0 = nest.innerStride(0), s1 = nest.innerStride(1), s2 = nest.innerStride(2), s3 = nest.innerStride(3)
        let p0 = condition.basePointer, p1 = a.basePointer, p2 = b.basePointer, p3 = out.basePointer
        nest.run { o, start, n in
            switch ScalarKind.of(S.self) {
            case .float:
                selectLoop(rebound(p0 + o[0] + start * s0, to: Float.self), s0, rebound(p1 + o[1] + start * s1, to: Float.self), s1,
                           rebound(p2 + o[2] + start * s2, to: Float.self), s2, rebound(p3 + o[3] + start * s3, to: Float.self), s3, n)
            case .double:
                selectLoop(rebound(p0 + o[0] + start * s0, to: Double.self), s0, rebound(p1 + o[1] + start * s1, to: Double.self), s1,
                           rebound(p2 + o[2] + start * s2, to: Double.self), s2, rebound(p3 + o[3] + start * s3, to: Double.self), s3, n)
            }
        }
        return out
    }

    @inline(__always)
    private static func selectLoop<T: TensorScalar>(_ c: UnsafeMutablePointer<T>, _ sc: Int, _ a: UnsafeMutablePointer<T>, _ sa: Int,
                                                    _ b: UnsafeMutablePointer<T>, _ sb: Int, _ y: UnsafeMutablePointer<T>, _ sy: Int, _ n: Int) {
        var i0 = 0, i1 = 0, i2 = 0, i3 = 0
        for _ in 0..<n {
            y[i3] = c[i0] != 0 ? a[i1] : b[i2]
            i0 += sc; i1 += sa; i2 += sb; i3 += sy
        }
    }

    // MARK: Concrete dispatch

    @inline(__always)
    static func unaryRun<S: TensorScalar>(_ op: UnaryOperation, _ x: UnsafeMutablePointer<S>, _ xs: Int,
                                          _ y: UnsafeMutablePointer<S>, _ ys: Int, _ n: Int) {
        switch ScalarKind.of(S.self) {
        case .float: unaryFloat(op, rebound(x, to: Float.self), xs, rebound(y, to: Float.self), ys, n)
        case .double: unaryDouble(op, rebound(x, to: Double.self), xs, rebound(y, to: Double.self), ys, n)
        }
    }

    @inline(__always)
    static func binaryRun<S: TensorScalar>(_ op: BinaryOperation, _ a: UnsafeMutablePointer<S>, _ sa: Int,
                                           _ b: UnsafeMutablePointer<S>, _ sb: Int,
                                           _ c: UnsafeMutablePointer<S>, _ sc: Int, _ n: Int) {
        switch ScalarKind.of(S.self) {
        case .float: binaryFloat(op, rebound(a, to: Float.self), sa, rebound(b, to: Float.self), sb, rebound(c, to: Float.self), sc, n)
        case .double: binaryDouble(op, rebound(a, to: Double.self), sa, rebound(b, to: Double.self), sb, rebound(c, to: Double.self), sc, n)
        }
    }

    static func unaryFloat(_ op: UnaryOperation, _ x: UnsafeMutablePointer<Float>, _ xs: Int, _ y: UnsafeMutablePointer<Float>, _ ys: Int, _ n: Int) {
        if xs == 1 && ys == 1 {
            if let kernel = op.vectorKernel { return diffuse_activation_forward(kernel, x, y, n) }
        }
        unaryLoop(op, x, xs, y, ys, n)
    }

    static func unaryDouble(_ op: UnaryOperation, _ x: UnsafeMutablePointer<Double>, _ xs: Int, _ y: UnsafeMutablePointer<Double>, _ ys: Int, _ n: Int) {
        unaryLoop(op, x, xs, y, ys, n)
    }

    static func binaryFloat(_ op: BinaryOperation, _ a: UnsafeMutablePointer<Float>, _ sa: Int, _ b: UnsafeMutablePointer<Float>, _ sb: Int,
                            _ c: UnsafeMutablePointer<Float>, _ sc: Int, _ n: Int) {
        if sc == 1, (sa == 1 && (sb == 1 || sb == 0)) || (sa == 0 && sb == 1), let kernel = op.vectorKernel {
            return diffuse_arithmetic(kernel, a, sa, b, sb, c, n)
        }
        binaryLoop(op, a, sa, b, sb, c, sc, n)
    }

    static func binaryDouble(_ op: BinaryOperation, _ a: UnsafeMutablePointer<Double>, _ sa: Int, _ b: UnsafeMutablePointer<Double>, _ sb: Int,
                             _ c: UnsafeMutablePointer<Double>, _ sc: Int, _ n: Int) {
        binaryLoop(op, a, sa, b, sb, c, sc, n)
    }
}

// MARK: - Element loops (specialised through the concrete entry points above)

@inline(__always)
private func map<T>(_ x: UnsafeMutablePointer<T>, _ xs: Int, _ y: UnsafeMutablePointer<T>, _ ys: Int, _ n: Int, _ f: (T) -> T) {
    if xs == 1 && ys == 1 {
        for i in 0..<n { y[i] = f(x[i]) }
    } else {
        var a = 0, b = 0
        for _ in 0..<n {
            y[b] = f(x[a])
            a += xs
            b += ys
        }
    }
}

@inline(__always)
private func zip<T>(_ a: UnsafeMutablePointer<T>, _ sa: Int, _ b: UnsafeMutablePointer<T>, _ sb: Int,
                    _ c: UnsafeMutablePointer<T>, _ sc: Int, _ n: Int, _ f: (T, T) -> T) {
    if sa == 1 && sb == 1 && sc == 1 {
        for i in 0..<n { c[i] = f(a[i], b[i]) }
    } else if sa == 1 && sb == 0 && sc == 1 {
        let bv = b[0]
        for i in 0..<n { c[i] = f(a[i], bv) }
    } else if sa == 0 && sb == 1 && sc == 1 {
        let av = a[0]
        for i in 0..<n { c[i] = f(av, b[i]) }
    } else {
        var i = 0, j = 0, k = 0
        for _ in 0..<n {
            c[k] = f(a[i], b[j])
            i += sa
            j += sb
            k += sc
        }
    }
}

/// The logistic function 1/(1+e^{-x}), evaluated without overflow for either sign.
@inline(__always)
func logistic<T: TensorScalar>(_ x: T) -> T {
    if x >= 0 { return 1 / (1 + T.exp(-x)) }
    let e = T.exp(x)
    return e / (1 + e)
}

/// log(1 + e^x), evaluated without overflow: max(x, 0) + log1p(e^{-|x|}).
@inline(__always)
func softplusValue<T: TensorScalar>(_ x: T) -> T {
    Swift.max(x, 0) + T.log(onePlus: T.exp(-Swift.abs(x)))
}

@inline(__always)
private func unaryLoop<T: TensorScalar>(_ op: UnaryOperation, _ x: UnsafeMutablePointer<T>, _ xs: Int,
                                        _ y: UnsafeMutablePointer<T>, _ ys: Int, _ n: Int) {
    switch op {
    case .negate: map(x, xs, y, ys, n) { -$0 }
    case .absolute: map(x, xs, y, ys, n) { Swift.abs($0) }
    case .square: map(x, xs, y, ys, n) { $0 * $0 }
    case .squareRoot: map(x, xs, y, ys, n) { $0.squareRoot() }
    case .reciprocalSquareRoot: map(x, xs, y, ys, n) { 1 / $0.squareRoot() }
    case .reciprocal: map(x, xs, y, ys, n) { 1 / $0 }
    case .exp: map(x, xs, y, ys, n) { T.exp($0) }
    case .expMinusOne: map(x, xs, y, ys, n) { T.expMinusOne($0) }
    case .log: map(x, xs, y, ys, n) { T.log($0) }
    case .logOnePlus: map(x, xs, y, ys, n) { T.log(onePlus: $0) }
    case .sin: map(x, xs, y, ys, n) { T.sin($0) }
    case .cos: map(x, xs, y, ys, n) { T.cos($0) }
    case .tan: map(x, xs, y, ys, n) { T.tan($0) }
    case .tanh: map(x, xs, y, ys, n) { T.tanh($0) }
    case .erf: map(x, xs, y, ys, n) { T.erf($0) }
    case .sigmoid: map(x, xs, y, ys, n) { logistic($0) }
    case .logSigmoid: map(x, xs, y, ys, n) { -softplusValue(-$0) }
    case .softplus: map(x, xs, y, ys, n) { softplusValue($0) }
    case .relu: map(x, xs, y, ys, n) { $0 > 0 ? $0 : 0 }
    case .silu: map(x, xs, y, ys, n) { $0 * logistic($0) }
    case .gelu:
        let r: T = 1 / T(2).squareRoot()
        map(x, xs, y, ys, n) { 0.5 * $0 * (1 + T.erf($0 * r)) }
    case .geluTanh:
        let c: T = (2 / T.pi).squareRoot()
        map(x, xs, y, ys, n) { 0.5 * $0 * (1 + T.tanh(c * ($0 + 0.044715 * $0 * $0 * $0))) }
    case .selu:
        let alpha: T = 1.6732632423543772848170429916717
        let scale: T = 1.0507009873554804934193349852946
        map(x, xs, y, ys, n) { $0 > 0 ? scale * $0 : scale * alpha * T.expMinusOne($0) }
    case .gatedTanh: map(x, xs, y, ys, n) { T.tanh($0) * logistic($0) }
    case .sign: map(x, xs, y, ys, n) { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }
    case .floor: map(x, xs, y, ys, n) { $0.rounded(.down) }
    case .ceil: map(x, xs, y, ys, n) { $0.rounded(.up) }
    case .round: map(x, xs, y, ys, n) { $0.rounded(.toNearestOrEven) }
    case .leakyReLU(let slope):
        let s = T(slope)
        map(x, xs, y, ys, n) { $0 > 0 ? $0 : s * $0 }
    case .power(let p):
        let e = T(p)
        if p == 2 { map(x, xs, y, ys, n) { $0 * $0 } } else if p == 0.5 { map(x, xs, y, ys, n) { $0.squareRoot() } } else {
            map(x, xs, y, ys, n) { T.pow($0, e) }
        }
    case .affine(let scale, let shift):
        let a = T(scale), b = T(shift)
        map(x, xs, y, ys, n) { a * $0 + b }
    case .clamp(let lower, let upper):
        let lo = T(lower), hi = T(upper)
        map(x, xs, y, ys, n) { Swift.min(Swift.max($0, lo), hi) }
    case .isFinite: map(x, xs, y, ys, n) { $0.isFinite ? 1 : 0 }
    case .isNaN: map(x, xs, y, ys, n) { $0.isNaN ? 1 : 0 }
    }
}

@inline(__always)
private func binaryLoop<T: TensorScalar>(_ op: BinaryOperation, _ a: UnsafeMutablePointer<T>, _ sa: Int,
                                         _ b: UnsafeMutablePointer<T>, _ sb: Int,
                                         _ c: UnsafeMutablePointer<T>, _ sc: Int, _ n: Int) {
    switch op {
    case .add: zip(a, sa, b, sb, c, sc, n) { $0 + $1 }
    case .subtract: zip(a, sa, b, sb, c, sc, n) { $0 - $1 }
    case .multiply: zip(a, sa, b, sb, c, sc, n) { $0 * $1 }
    case .divide: zip(a, sa, b, sb, c, sc, n) { $0 / $1 }
    case .minimum: zip(a, sa, b, sb, c, sc, n) { $0.isNaN || $1.isNaN ? .nan : Swift.min($0, $1) }
    case .maximum: zip(a, sa, b, sb, c, sc, n) { $0.isNaN || $1.isNaN ? .nan : Swift.max($0, $1) }
    case .power: zip(a, sa, b, sb, c, sc, n) { T.pow($0, $1) }
    case .equal: zip(a, sa, b, sb, c, sc, n) { $0 == $1 ? 1 : 0 }
    case .notEqual: zip(a, sa, b, sb, c, sc, n) { $0 != $1 ? 1 : 0 }
    case .less: zip(a, sa, b, sb, c, sc, n) { $0 < $1 ? 1 : 0 }
    case .lessOrEqual: zip(a, sa, b, sb, c, sc, n) { $0 <= $1 ? 1 : 0 }
    case .greater: zip(a, sa, b, sb, c, sc, n) { $0 > $1 ? 1 : 0 }
    case .greaterOrEqual: zip(a, sa, b, sb, c, sc, n) { $0 >= $1 ? 1 : 0 }
    }
}
