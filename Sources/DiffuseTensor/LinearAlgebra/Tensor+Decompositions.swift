// Matrix decompositions and solves through LAPACK. Matrices are the last two axes of rank-2
// tensors; results are new tensors and inputs are never modified. Every failure is a thrown
// `LinearAlgebraError` naming the routine and LAPACK's info code.

extension Tensor {
    private func requireMatrix(_ routine: String, square: Bool = false) throws {
        guard rank == 2 else {
            throw LinearAlgebraError.shapeMismatch(routine: routine, detail: "expected a matrix, got shape \(shape)")
        }
        if square && shape[0] != shape[1] {
            throw LinearAlgebraError.shapeMismatch(routine: routine, detail: "expected a square matrix, got shape \(shape)")
        }
        guard isFinite else { throw LinearAlgebraError.nonFiniteInput(routine: routine) }
    }

    private static var routines: LAPACKRoutines.Type { lapack(Scalar.self) }
    private static func name(_ routine: String) -> String { routines.prefix + routine }

    /// A private contiguous copy to hand to LAPACK (which overwrites its input).
    private func workingCopy() -> Tensor {
        var copy = contiguous()
        copy.makeUniqueAndContiguous()
        if copy.buffer === buffer { copy = Tensor(shape: shape, scalars: copy.scalars) }
        return copy
    }

    /// Right-hand sides as a matrix (a vector becomes one column) and whether it was a vector.
    private func rightHandSide(rows: Int, routine: String) throws -> (Tensor, Bool) {
        let isVector = rank == 1
        let b = isVector ? reshaped([count, 1]) : self
        guard b.rank == 2, b.shape[0] == rows else {
            throw LinearAlgebraError.shapeMismatch(routine: routine, detail: "right-hand side of shape \(shape) does not have \(rows) rows")
        }
        guard b.isFinite else { throw LinearAlgebraError.nonFiniteInput(routine: routine) }
        return (b.workingCopy(), isVector)
    }

    // MARK: Cholesky

    /// The lower-triangular Cholesky factor L with `self = L·Lᵀ` (LAPACK `potrf`).
    ///
    /// - Throws: ``LinearAlgebraError/notPositiveDefinite(routine:info:)`` when the matrix is
    ///   not (numerically) positive definite.
    public func cholesky() throws -> Tensor {
        let routine = Self.name("potrf")
        try requireMatrix(routine, square: true)
        let n = shape[0]
        var a = workingCopy()
        let info = a.withUnsafeMutableBufferPointer { Self.routines.potrf(UInt8(ascii: "L"), n, $0.baseAddress!, n) }
        try LinearAlgebraError.check(info, routine: routine) { .notPositiveDefinite(routine: $0, info: $1) }
        a.withUnsafeMutableBufferPointer { p in
            for i in 0..<n { for j in (i + 1)..<Swift.max(n, i + 1) { p[i * n + j] = 0 } }
        }
        return a
    }

    /// Solves `A x = b` given this tensor as the Cholesky factor L of A (LAPACK `potrs`).
    public func choleskySolve(_ b: Tensor) throws -> Tensor {
        let routine = Self.name("potrs")
        try requireMatrix(routine, square: true)
        let n = shape[0]
        var (x, isVector) = try b.rightHandSide(rows: n, routine: routine)
        let l = contiguous()
        let nrhs = x.shape[1]
        let info = x.withUnsafeMutableBufferPointer { xp in
            l.withUnsafeBufferPointer { Self.routines.potrs(UInt8(ascii: "L"), n, nrhs, $0.baseAddress!, n, xp.baseAddress!, nrhs) }
        }
        try LinearAlgebraError.check(info, routine: routine) { .illegalArgument(routine: $0, info: $1) }
        return isVector ? x.reshaped([n]) : x
    }

    /// Solves a triangular system `T x = b` (or `Tᵀ x = b`) with this tensor as T (LAPACK `trtrs`).
    ///
    /// - Throws: ``LinearAlgebraError/singular(routine:info:)`` for a zero diagonal element.
    public func solveTriangular(_ b: Tensor, lower: Bool, transposed: Bool = false, unitDiagonal: Bool = false) throws -> Tensor {
        let routine = Self.name("trtrs")
        try requireMatrix(routine, square: true)
        let n = shape[0]
        var (x, isVector) = try b.rightHandSide(rows: n, routine: routine)
        let t = contiguous()
        let nrhs = x.shape[1]
        let info = x.withUnsafeMutableBufferPointer { xp in
            t.withUnsafeBufferPointer {
                Self.routines.trtrs(UInt8(ascii: lower ? "L" : "U"), UInt8(ascii: transposed ? "T" : "N"),
                                    UInt8(ascii: unitDiagonal ? "U" : "N"), n, nrhs, $0.baseAddress!, n, xp.baseAddress!, nrhs)
            }
        }
        try LinearAlgebraError.check(info, routine: routine) { .singular(routine: $0, info: $1) }
        return isVector ? x.reshaped([n]) : x
    }

    // MARK: General systems

    /// Solves `A x = b` for a general square A = self by LU with partial pivoting (LAPACK `gesv`).
    public func solve(_ b: Tensor) throws -> Tensor {
        let routine = Self.name("gesv")
        try requireMatrix(routine, square: true)
        let n = shape[0]
        var (x, isVector) = try b.rightHandSide(rows: n, routine: routine)
        var a = workingCopy()
        let nrhs = x.shape[1]
        var pivots = [Int32](repeating: 0, count: Swift.max(n, 1))
        let info = a.withUnsafeMutableBufferPointer { ap in
            x.withUnsafeMutableBufferPointer { Self.routines.gesv(n, nrhs, ap.baseAddress!, n, &pivots, $0.baseAddress!, nrhs) }
        }
        try LinearAlgebraError.check(info, routine: routine) { .singular(routine: $0, info: $1) }
        return isVector ? x.reshaped([n]) : x
    }

    /// The inverse of a square matrix (LU, LAPACK `gesv` against the identity).
    public func inverse() throws -> Tensor {
        try requireMatrix(Self.name("gesv"), square: true)
        return try solve(Tensor.identity(shape[0]))
    }

    /// The sign and log of the absolute value of the determinant (LU, LAPACK `getrf`), as
    /// NumPy's `slogdet`: a singular matrix gives sign 0 and log −∞.
    public func logDeterminant() throws -> (sign: Scalar, logAbsoluteValue: Scalar) {
        let routine = Self.name("getrf")
        try requireMatrix(routine, square: true)
        let n = shape[0]
        var a = workingCopy()
        var pivots = [Int32](repeating: 0, count: Swift.max(n, 1))
        let info = a.withUnsafeMutableBufferPointer { Self.routines.getrf(n, n, $0.baseAddress!, n, &pivots) }
        if info > 0 { return (0, -.infinity) }
        try LinearAlgebraError.check(info, routine: routine) { .singular(routine: $0, info: $1) }
        var sign: Scalar = 1
        var logAbs: Scalar = 0
        a.withUnsafeBufferPointer { p in
            for i in 0..<n {
                let u = p[i * n + i]
                if u < 0 { sign = -sign }
                if Int(pivots[i]) != i + 1 { sign = -sign }
                logAbs += Scalar.log(Swift.abs(u))
            }
        }
        return (sign, logAbs)
    }

    /// log det of a symmetric positive-definite matrix, 2 Σ log Lᵢᵢ from its Cholesky factor.
    public func choleskyLogDeterminant() throws -> Scalar {
        let l = try cholesky()
        return 2 * l.diagonalPart().log().sum().scalar
    }

    // MARK: Eigen- and singular-value decompositions

    /// Eigenvalues (ascending) and orthonormal eigenvectors (the columns of `eigenvectors`) of a
    /// symmetric matrix, by divide and conquer (LAPACK `syevd`). Only the lower triangle is read.
    public func symmetricEigendecomposition() throws -> (eigenvalues: Tensor, eigenvectors: Tensor) {
        let routine = Self.name("syevd")
        try requireMatrix(routine, square: true)
        let n = shape[0]
        var a = workingCopy()
        var w = Tensor(zeros: [n])
        let info = a.withUnsafeMutableBufferPointer { ap in
            w.withUnsafeMutableBufferPointer { Self.routines.syevd(UInt8(ascii: "V"), UInt8(ascii: "L"), n, ap.baseAddress!, n, $0.baseAddress!) }
        }
        try LinearAlgebraError.check(info, routine: routine) { .noConvergence(routine: $0, info: $1) }
        return (w, a)
    }

    /// The singular value decomposition `self = U · diag(S) · Vᵀ` by divide and conquer
    /// (LAPACK `gesdd`). Thin by default (U is m×k, Vᵀ is k×n with k = min(m, n)); `full: true`
    /// gives square U (m×m) and Vᵀ (n×n). Singular values are in descending order.
    public func singularValueDecomposition(full: Bool = false) throws -> (u: Tensor, singularValues: Tensor, vt: Tensor) {
        let routine = Self.name("gesdd")
        try requireMatrix(routine)
        let m = shape[0], n = shape[1], k = Swift.min(m, n)
        var a = workingCopy()
        var s = Tensor(zeros: [k])
        var u = Tensor(zeros: full ? [m, m] : [m, k])
        var vt = Tensor(zeros: full ? [n, n] : [k, n])
        let ldu = u.shape[1], ldvt = n
        let info = a.withUnsafeMutableBufferPointer { ap in
            s.withUnsafeMutableBufferPointer { sp in
                u.withUnsafeMutableBufferPointer { up in
                    vt.withUnsafeMutableBufferPointer { vp in
                        Self.routines.gesdd(UInt8(ascii: full ? "A" : "S"), m, n, ap.baseAddress!, Swift.max(n, 1), sp.baseAddress!,
                                            up.baseAddress!, Swift.max(ldu, 1), vp.baseAddress!, Swift.max(ldvt, 1))
                    }
                }
            }
        }
        try LinearAlgebraError.check(info, routine: routine) { .noConvergence(routine: $0, info: $1) }
        return (u, s, vt)
    }

    /// The thin QR decomposition `self = Q·R` (LAPACK `geqrf` and `orgqr`): for an m×n matrix,
    /// Q is m×k with orthonormal columns and R is k×n upper triangular, k = min(m, n).
    public func qrDecomposition() throws -> (q: Tensor, r: Tensor) {
        let routine = Self.name("geqrf")
        try requireMatrix(routine)
        let m = shape[0], n = shape[1], k = Swift.min(m, n)
        var a = workingCopy()
        var tau = Tensor(zeros: [Swift.max(k, 1)])
        let info = a.withUnsafeMutableBufferPointer { ap in
            tau.withUnsafeMutableBufferPointer { Self.routines.geqrf(m, n, ap.baseAddress!, Swift.max(n, 1), $0.baseAddress!) }
        }
        try LinearAlgebraError.check(info, routine: routine) { .illegalArgument(routine: $0, info: $1) }
        var r = Tensor(zeros: [k, n])
        a.withUnsafeBufferPointer { ap in
            r.withUnsafeMutableBufferPointer { rp in
                for i in 0..<k { for j in i..<n { rp[i * n + j] = ap[i * n + j] } }
            }
        }
        // Q: the first k columns of the reflectors, formed in place.
        var q = a.slice(axis: 1, 0..<k).contiguous()
        q.makeUniqueAndContiguous()
        let routine2 = Self.name("orgqr")
        let info2 = q.withUnsafeMutableBufferPointer { qp in
            tau.withUnsafeBufferPointer { Self.routines.orgqr(m, k, k, qp.baseAddress!, Swift.max(k, 1), $0.baseAddress!) }
        }
        try LinearAlgebraError.check(info2, routine: routine2) { .illegalArgument(routine: $0, info: $1) }
        return (q, r)
    }

    /// The minimum-norm least-squares solution of `self · x ≈ b` by SVD (LAPACK `gelsd`);
    /// singular values below `rcond` times the largest are treated as zero (−1: machine precision).
    public func leastSquares(_ b: Tensor, rcond: Scalar = -1) throws -> (solution: Tensor, rank: Int, singularValues: Tensor) {
        let routine = Self.name("gelsd")
        try requireMatrix(routine)
        let m = shape[0], n = shape[1]
        let (rhs, isVector) = try b.rightHandSide(rows: m, routine: routine)
        let nrhs = rhs.shape[1]
        // gelsd needs room for max(m, n) rows in b.
        var x = rhs.padded(alongAxis: 0, before: 0, after: Swift.max(0, n - m))
        x.makeUniqueAndContiguous()
        var a = workingCopy()
        var s = Tensor(zeros: [Swift.max(Swift.min(m, n), 1)])
        var rank: Int32 = 0
        let info = a.withUnsafeMutableBufferPointer { ap in
            x.withUnsafeMutableBufferPointer { xp in
                s.withUnsafeMutableBufferPointer {
                    Self.routines.gelsd(m, n, nrhs, ap.baseAddress!, Swift.max(n, 1), xp.baseAddress!, Swift.max(nrhs, 1),
                                        $0.baseAddress!, Double(rcond), &rank)
                }
            }
        }
        try LinearAlgebraError.check(info, routine: routine) { .noConvergence(routine: $0, info: $1) }
        let solution = x.slice(axis: 0, 0..<n).contiguous()
        return (isVector ? solution.reshaped([n]) : solution, Int(rank), s.slice(axis: 0, 0..<Swift.min(m, n)).contiguous())
    }

    // MARK: Functions of symmetric matrices

    /// The symmetric positive semi-definite square root V·diag(√λ)·Vᵀ, with eigenvalues
    /// below zero (round-off) clamped to zero.
    public func psdSquareRoot() throws -> Tensor {
        try symmetricFunction { $0 > 0 ? $0.squareRoot() : 0 }
    }

    /// V·diag(f(λ))·Vᵀ for a symmetric matrix with eigendecomposition V·diag(λ)·Vᵀ.
    public func symmetricFunction(_ f: (Scalar) -> Scalar) throws -> Tensor {
        let (w, v) = try symmetricEigendecomposition()
        let fw = Tensor(shape: w.shape, scalars: w.scalars.map(f))
        return DiffuseTensor.matmul(v * fw, v.transposed())
    }
}
