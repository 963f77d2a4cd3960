// Elementwise arithmetic and mathematical functions with NumPy broadcasting.

extension Tensor {
    // MARK: Arithmetic operators

    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor { Kernels.binary(.add, lhs, rhs) }
    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor { Kernels.binary(.subtract, lhs, rhs) }
    public static func * (lhs: Tensor, rhs: Tensor) -> Tensor { Kernels.binary(.multiply, lhs, rhs) }
    public static func / (lhs: Tensor, rhs: Tensor) -> Tensor { Kernels.binary(.divide, lhs, rhs) }

    public static func + (lhs: Tensor, rhs: Scalar) -> Tensor { Kernels.binary(.add, lhs, Tensor(rhs)) }
    public static func - (lhs: Tensor, rhs: Scalar) -> Tensor { Kernels.binary(.subtract, lhs, Tensor(rhs)) }
    public static func * (lhs: Tensor, rhs: Scalar) -> Tensor { Kernels.binary(.multiply, lhs, Tensor(rhs)) }
    public static func / (lhs: Tensor, rhs: Scalar) -> Tensor { Kernels.binary(.divide, lhs, Tensor(rhs)) }
    public static func + (lhs: Scalar, rhs: Tensor) -> Tensor { Kernels.binary(.add, Tensor(lhs), rhs) }
    public static func - (lhs: Scalar, rhs: Tensor) -> Tensor { Kernels.binary(.subtract, Tensor(lhs), rhs) }
    public static func * (lhs: Scalar, rhs: Tensor) -> Tensor { Kernels.binary(.multiply, Tensor(lhs), rhs) }
    public static func / (lhs: Scalar, rhs: Tensor) -> Tensor { Kernels.binary(.divide, Tensor(lhs), rhs) }

    public static prefix func - (x: Tensor) -> Tensor { Kernels.unary(.negate, x) }

    /// Applies `op` in place when `rhs` broadcasts to this tensor's shape; otherwise replaces
    /// this tensor with the broadcast result.
    private mutating func update(_ op: BinaryOperation, with rhs: Tensor) {
        if Shape.broadcast(shape, rhs.shape) == shape {
            makeUniqueAndContiguous()
            Kernels.binary(op, self, rhs, into: self)
        } else {
            self = Kernels.binary(op, self, rhs)
        }
    }

    public static func += (lhs: inout Tensor, rhs: Tensor) { lhs.update(.add, with: rhs) }
    public static func -= (lhs: inout Tensor, rhs: Tensor) { lhs.update(.subtract, with: rhs) }
    public static func *= (lhs: inout Tensor, rhs: Tensor) { lhs.update(.multiply, with: rhs) }
    public static func /= (lhs: inout Tensor, rhs: Tensor) { lhs.update(.divide, with: rhs) }
    public static func += (lhs: inout Tensor, rhs: Scalar) { lhs.update(.add, with: Tensor(rhs)) }
    public static func -= (lhs: inout Tensor, rhs: Scalar) { lhs.update(.subtract, with: Tensor(rhs)) }
    public static func *= (lhs: inout Tensor, rhs: Scalar) { lhs.update(.multiply, with: Tensor(rhs)) }
    public static func /= (lhs: inout Tensor, rhs: Scalar) { lhs.update(.divide, with: Tensor(rhs)) }

    /// Σₖ coefficients[k]·tensors[k] for tensors of one shape, in one pass, each element summed
    /// left to right ((c₀t₀ + c₁t₁) + c₂t₂ …).
    public static func linearCombination(_ coefficients: [Scalar], _ tensors: [Tensor]) -> Tensor {
        precondition(!tensors.isEmpty && coefficients.count == tensors.count,
                     "linearCombination needs matching, non-empty lists (\(coefficients.count) coefficients, \(tensors.count) tensors)")
        for t in tensors { precondition(t.shape == tensors[0].shape, "linearCombination of shapes \(t.shape) and \(tensors[0].shape)") }
        let sources = tensors.map { $0.contiguous() }
        return Tensor(shape: tensors[0].shape) { out in
            let pointers = sources.map { UnsafePointer($0.basePointer) }
            Parallel.forEachChunk(count: out.count, minimumChunk: 1 << 15) { r in
                switch ScalarKind.of(Scalar.self) {
                case .float:
                    Kernels.combinationLoop(coefficients.map { Float($0) }, pointers.map { rebound($0, to: Float.self) + r.lowerBound },
                                            rebound(out.baseAddress! + r.lowerBound, to: Float.self), r.count)
                case .double:
                    Kernels.combinationLoop(coefficients.map { Double($0) }, pointers.map { rebound($0, to: Double.self) + r.lowerBound },
                                            rebound(out.baseAddress! + r.lowerBound, to: Double.self), r.count)
                }
            }
            withExtendedLifetime(sources) {}
        }
    }

    /// `alpha * self + beta * other`, elementwise with broadcasting, in one pass when shapes match.
    public func scaled(by alpha: Scalar, adding other: Tensor, scaledBy beta: Scalar) -> Tensor {
        if shape == other.shape {
            var out = self.contiguous().copiedIfShared()
            out.withUnsafeMutableBufferPointer { y in
                other.withUnsafeBufferPointer { x in
                    Kernels.axpby(alpha: alpha, x: y.baseAddress!, beta: beta, y: x.baseAddress!, count: y.count)
                }
            }
            return out
        }
        return self * alpha + other * beta
    }

    /// This tensor with its own storage (a copy if the storage is shared).
    func copiedIfShared() -> Tensor {
        var t = self
        t.makeUniqueAndContiguous()
        return t
    }

    /// Elementwise minimum (NaN if either is NaN).
    public func minimum(_ other: Tensor) -> Tensor { Kernels.binary(.minimum, self, other) }
    /// Elementwise maximum (NaN if either is NaN).
    public func maximum(_ other: Tensor) -> Tensor { Kernels.binary(.maximum, self, other) }
    /// Elementwise power `self ** exponent`.
    public func pow(_ exponent: Tensor) -> Tensor { Kernels.binary(.power, self, exponent) }
    /// Elementwise power with a scalar exponent.
    public func pow(_ exponent: Scalar) -> Tensor { Kernels.unary(.power(Double(exponent)), self) }

    // MARK: Mathematical functions

    public func squared() -> Tensor { Kernels.unary(.square, self) }
    public func squareRoot() -> Tensor { Kernels.unary(.squareRoot, self) }
    public func reciprocalSquareRoot() -> Tensor { Kernels.unary(.reciprocalSquareRoot, self) }
    public func reciprocal() -> Tensor { Kernels.unary(.reciprocal, self) }
    public func abs() -> Tensor { Kernels.unary(.absolute, self) }
    public func exp() -> Tensor { Kernels.unary(.exp, self) }
    /// e^x − 1, accurate for small x.
    public func expm1() -> Tensor { Kernels.unary(.expMinusOne, self) }
    public func log() -> Tensor { Kernels.unary(.log, self) }
    /// log(1 + x), accurate for small x.
    public func log1p() -> Tensor { Kernels.unary(.logOnePlus, self) }
    public func sin() -> Tensor { Kernels.unary(.sin, self) }
    public func cos() -> Tensor { Kernels.unary(.cos, self) }
    public func tan() -> Tensor { Kernels.unary(.tan, self) }
    public func tanh() -> Tensor { Kernels.unary(.tanh, self) }
    public func erf() -> Tensor { Kernels.unary(.erf, self) }
    /// The logistic function 1/(1+e^{−x}), stable for large |x|.
    public func sigmoid() -> Tensor { Kernels.unary(.sigmoid, self) }
    /// log σ(x) = −softplus(−x), stable for large |x|.
    public func logSigmoid() -> Tensor { Kernels.unary(.logSigmoid, self) }
    /// log(1 + e^x), stable for large |x|.
    public func softplus() -> Tensor { Kernels.unary(.softplus, self) }
    /// max(x, 0).
    public func relu() -> Tensor { Kernels.unary(.relu, self) }
    /// x for x > 0, slope·x otherwise.
    public func leakyReLU(slope: Scalar = 0.01) -> Tensor { Kernels.unary(.leakyReLU(slope: Double(slope)), self) }
    /// x·σ(x) (also called swish).
    public func silu() -> Tensor { Kernels.unary(.silu, self) }
    /// ½x(1 + erf(x/√2)), PyTorch's default GELU.
    public func gelu() -> Tensor { Kernels.unary(.gelu, self) }
    /// The tanh approximation of GELU.
    public func geluTanhApproximation() -> Tensor { Kernels.unary(.geluTanh, self) }
    /// Scaled ELU with the constants of Klambauer et al. (2017).
    public func selu() -> Tensor { Kernels.unary(.selu, self) }
    /// −1, 0 or 1.
    public func sign() -> Tensor { Kernels.unary(.sign, self) }
    public func floor() -> Tensor { Kernels.unary(.floor, self) }
    public func ceil() -> Tensor { Kernels.unary(.ceil, self) }
    /// Rounds half to even, as NumPy does.
    public func rounded() -> Tensor { Kernels.unary(.round, self) }
    /// Each element limited to `range`.
    public func clamped(to range: ClosedRange<Scalar>) -> Tensor {
        Kernels.unary(.clamp(lower: Double(range.lowerBound), upper: Double(range.upperBound)), self)
    }
    /// `scale * x + shift` in one pass.
    public func affine(scale: Scalar, shift: Scalar) -> Tensor {
        Kernels.unary(.affine(scale: Double(scale), shift: Double(shift)), self)
    }

    // MARK: Comparisons and masks (1 where true, 0 where false)

    public func isEqual(to other: Tensor) -> Tensor { Kernels.binary(.equal, self, other) }
    public func isNotEqual(to other: Tensor) -> Tensor { Kernels.binary(.notEqual, self, other) }
    public func isLess(than other: Tensor) -> Tensor { Kernels.binary(.less, self, other) }
    public func isLessOrEqual(to other: Tensor) -> Tensor { Kernels.binary(.lessOrEqual, self, other) }
    public func isGreater(than other: Tensor) -> Tensor { Kernels.binary(.greater, self, other) }
    public func isGreaterOrEqual(to other: Tensor) -> Tensor { Kernels.binary(.greaterOrEqual, self, other) }
    public func isGreater(than value: Scalar) -> Tensor { Kernels.binary(.greater, self, Tensor(value)) }
    public func isLess(than value: Scalar) -> Tensor { Kernels.binary(.less, self, Tensor(value)) }
    /// 1 where the element is finite, 0 where it is infinite or NaN.
    public func isFiniteMask() -> Tensor { Kernels.unary(.isFinite, self) }
    /// 1 where the element is NaN.
    public func isNaNMask() -> Tensor { Kernels.unary(.isNaN, self) }

    /// Whether every element is finite (no NaN or infinity).
    public var isFinite: Bool {
        withUnsafeBufferPointer { b in Kernels.allFinite(b) }
    }

    /// `condition != 0 ? a : b`, elementwise with broadcasting.
    public static func select(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        Kernels.select(condition, a, b)
    }

    /// This tensor with `value` wherever `mask` is nonzero.
    public func masked(where mask: Tensor, with value: Scalar) -> Tensor {
        Kernels.select(mask, Tensor(value), self)
    }
}

extension Kernels {
    /// y ← alpha·y + beta·x over contiguous storage.
    static func axpby<S: TensorScalar>(alpha: S, x y: UnsafeMutablePointer<S>, beta: S, y x: UnsafePointer<S>, count: Int) {
        Parallel.forEachChunk(count: count, minimumChunk: 1 << 15) { r in
            switch ScalarKind.of(S.self) {
            case .float:
                axpbyLoop(Float(alpha), rebound(y + r.lowerBound, to: Float.self), Float(beta), rebound(x + r.lowerBound, to: Float.self), r.count)
            case .double:
                axpbyLoop(Double(alpha), rebound(y + r.lowerBound, to: Double.self), Double(beta), rebound(x + r.lowerBound, to: Double.self), r.count)
            }
        }
    }

    @inline(__always)
    static func combinationLoop<T: TensorScalar>(_ c: [T], _ x: [UnsafePointer<T>], _ y: UnsafeMutablePointer<T>, _ n: Int) {
        switch x.count {
        case 1:
            let (c0, x0) = (c[0], x[0])
            for i in 0..<n { y[i] = c0 * x0[i] }
        case 2:
            let (c0, c1, x0, x1) = (c[0], c[1], x[0], x[1])
            for i in 0..<n { y[i] = c0 * x0[i] + c1 * x1[i] }
        case 3:
            let (c0, c1, c2, x0, x1, x2) = (c[0], c[1], c[2], x[0], x[1], x[2])
            for i in 0..<n { y[i] = c0 * x0[i] + c1 * x1[i] + c2 * x2[i] }
        case 4:
            let (c0, c1, c2, c3, x0, x1, x2, x3) = (c[0], c[1], c[2], c[3], x[0], x[1], x[2], x[3])
            for i in 0..<n { y[i] = c0 * x0[i] + c1 * x1[i] + c2 * x2[i] + c3 * x3[i] }
        default:
            for i in 0..<n {
                var s = c[0] * x[0][i]
                for k in 1..<x.count { s = s + c[k] * x[k][i] }
                y[i] = s
            }
        }
    }

    @inline(__always)
    private static func axpbyLoop<T: TensorScalar>(_ a: T, _ y: UnsafeMutablePointer<T>, _ b: T, _ x: UnsafePointer<T>, _ n: Int) {
        for i in 0..<n { y[i] = a * y[i] + b * x[i] }
    }

    /// Whether every element of a buffer is finite, from the exponent bits: an all-ones exponent
    /// (NaN or ±∞) plus one exponent unit carries into the sign bit. Integer OR-accumulation
    /// vectorises; a floating-point sum would not (its order is fixed).
    static func allFinite<S: TensorScalar>(_ b: UnsafeBufferPointer<S>) -> Bool {
        switch ScalarKind.of(S.self) {
        case .float:
            let p = UnsafeRawPointer(b.baseAddress!).assumingMemoryBound(to: UInt32.self)
            var acc: UInt32 = 0
            for i in 0..<b.count { acc |= (p[i] & 0x7F80_0000) &+ 0x0080_0000 }
            return acc & 0x8000_0000 == 0
        case .double:
            let p = UnsafeRawPointer(b.baseAddress!).assumingMemoryBound(to: UInt64.self)
            var acc: UInt64 = 0
            for i in 0..<b.count { acc |= (p[i] & 0x7FF0_0000_0000_0000) &+ 0x0010_0000_0000_0000 }
            return acc & 0x8000_0000_0000_0000 == 0
        }
    }
}
