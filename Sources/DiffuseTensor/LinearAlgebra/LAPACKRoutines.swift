import CLAPACKE

/// The LAPACK routines Diffuse wraps, for one element type, all called in row-major layout.
/// `Float` conforms with the `s` routines and `Double` with the `d` routines; each returns
/// LAPACK's `info` code.
protocol LAPACKRoutines {
    static var prefix: String { get }
    static func potrf(_ uplo: UInt8, _ n: Int, _ a: UnsafeMutableRawPointer, _ lda: Int) -> Int
    static func potrs(_ uplo: UInt8, _ n: Int, _ nrhs: Int, _ a: UnsafeRawPointer, _ lda: Int, _ b: UnsafeMutableRawPointer, _ ldb: Int) -> Int
    static func trtrs(_ uplo: UInt8, _ trans: UInt8, _ diag: UInt8, _ n: Int, _ nrhs: Int, _ a: UnsafeRawPointer, _ lda: Int,
                      _ b: UnsafeMutableRawPointer, _ ldb: Int) -> Int
    static func gesv(_ n: Int, _ nrhs: Int, _ a: UnsafeMutableRawPointer, _ lda: Int, _ ipiv: UnsafeMutablePointer<Int32>,
                     _ b: UnsafeMutableRawPointer, _ ldb: Int) -> Int
    static func getrf(_ m: Int, _ n: Int, _ a: UnsafeMutableRawPointer, _ lda: Int, _ ipiv: UnsafeMutablePointer<Int32>) -> Int
    static func syevd(_ jobz: UInt8, _ uplo: UInt8, _ n: Int, _ a: UnsafeMutableRawPointer, _ lda: Int, _ w: UnsafeMutableRawPointer) -> Int
    static func gesdd(_ jobz: UInt8, _ m: Int, _ n: Int, _ a: UnsafeMutableRawPointer, _ lda: Int, _ s: UnsafeMutableRawPointer,
                      _ u: UnsafeMutableRawPointer, _ ldu: Int, _ vt: UnsafeMutableRawPointer, _ ldvt: Int) -> Int
    static func geqrf(_ m: Int, _ n: Int, _ a: UnsafeMutableRawPointer, _ lda: Int, _ tau: UnsafeMutableRawPointer) -> Int
    static func orgqr(_ m: Int, _ n: Int, _ k: Int, _ a: UnsafeMutableRawPointer, _ lda: Int, _ tau: UnsafeRawPointer) -> Int
    static func gelsd(_ m: Int, _ n: Int, _ nrhs: Int, _ a: UnsafeMutableRawPointer, _ lda: Int, _ b: UnsafeMutableRawPointer, _ ldb: Int,
                      _ s: UnsafeMutableRawPointer, _ rcond: Double, _ rank: UnsafeMutablePointer<Int32>) -> Int
}

private let rowMajor = Int32(LAPACK_ROW_MAJOR)
private func c(_ x: UInt8) -> CChar { CChar(bitPattern: x) }
private func f(_ p: UnsafeMutableRawPointer) -> UnsafeMutablePointer<Float> { p.assumingMemoryBound(to: Float.self) }
private func f(_ p: UnsafeRawPointer) -> UnsafePointer<Float> { p.assumingMemoryBound(to: Float.self) }
private func d(_ p: UnsafeMutableRawPointer) -> UnsafeMutablePointer<Double> { p.assumingMemoryBound(to: Double.self) }
private func d(_ p: UnsafeRawPointer) -> UnsafePointer<Double> { p.assumingMemoryBound(to: Double.self) }
private func i(_ x: Int) -> Int32 { Int32(x) }

extension Float: LAPACKRoutines {
    static var prefix: String { "s" }
    static func potrf(_ uplo: UInt8, _ n: Int, _ a: UnsafeMutableRawPointer, _ lda: Int) -> Int {
        Int(LAPACKE_spotrf(rowMajor, c(uplo), i(n), f(a), i(lda)))
    }
    static func potrs(_ uplo: UInt8, _ n: Int, _ nrhs: Int, _ a: UnsafeRawPointer, _ lda: Int, _ b: UnsafeMutableRawPointer, _ ldb: Int) -> Int {
        Int(LAPACKE_spotrs(rowMajor, c(uplo), i(n), i(nrhs), f(a), i(lda), f(b), i(ldb)))
    }
    static func trtrs(_ uplo: UInt8, _ trans: UInt8, _ diag: UInt8, _ n: Int, _ nrhs: Int, _ a: UnsafeRawPointer, _ lda: Int,
                      _ b: UnsafeMutableRawPointer, _ ldb: Int) -> Int {
        Int(LAPACKE_strtrs(rowMajor, c(uplo), c(trans), c(diag), i(n), i(nrhs), f(a), i(lda), f(b), i(ldb)))
    }
    static func gesv(_ n: Int, _ nrhs: Int, _ a: UnsafeMutableRawPointer, _ lda: Int, _ ipiv: UnsafeMutablePointer<Int32>,
                     _ b: UnsafeMutableRawPointer, _ ldb: Int) -> Int {
        Int(LAPACKE_sgesv(rowMajor, i(n), i(nrhs), f(a), i(lda), ipiv, f(b), i(ldb)))
    }
    static func getrf(_ m: Int, _ n: Int, _ a: UnsafeMutableRawPointer, _ lda: Int, _ ipiv: UnsafeMutablePointer<Int32>) -> Int {
        Int(LAPACKE_sgetrf(rowMajor, i(m), i(n), f(a), i(lda), ipiv))
    }
    static func syevd(_ jobz: UInt8, _ uplo: UInt8, _ n: Int, _ a: UnsafeMutableRawPointer, _ lda: Int, _ w: UnsafeMutableRawPointer) -> Int {
        Int(LAPACKE_ssyevd(rowMajor, c(jobz), c(uplo), i(n), f(a), i(lda), f(w)))
    }
    static func gesdd(_ jobz: UInt8, _ m: Int, _ n: Int, _ a: UnsafeMutableRawPointer, _ lda: Int, _ s: UnsafeMutableRawPointer,
                      _ u: UnsafeMutableRawPointer, _ ldu: Int, _ vt: UnsafeMutableRawPointer, _ ldvt: Int) -> Int {
        Int(LAPACKE_sgesdd(rowMajor, c(jobz), i(m), i(n), f(a), i(lda), f(s), f(u), i(ldu), f(vt), i(ldvt)))
    }
    static func geqrf(_ m: Int, _ n: Int, _ a: UnsafeMutableRawPointer, _ lda: Int, _ tau: UnsafeMutableRawPointer) -> Int {
        Int(LAPACKE_sgeqrf(rowMajor, i(m), i(n), f(a), i(lda), f(tau)))
    }
    static func orgqr(_ m: Int, _ n: Int, _ k: Int, _ a: UnsafeMutableRawPointer, _ lda: Int, _ tau: UnsafeRawPointer) -> Int {
        Int(LAPACKE_sorgqr(rowMajor, i(m), i(n), i(k), f(a), i(lda), f(tau)))
    }
    static func gelsd(_ m: Int, _ n: Int, _ nrhs: Int, _ a: UnsafeMutableRawPointer, _ lda: Int, _ b: UnsafeMutableRawPointer, _ ldb: Int,
                      _ s: UnsafeMutableRawPointer, _ rcond: Double, _ rank: UnsafeMutablePointer<Int32>) -> Int {
        Int(LAPACKE_sgelsd(rowMajor, i(m), i(n), i(nrhs), f(a), i(lda), f(b), i(ldb), f(s), Float(rcond), rank))
    }
}

extension Double: LAPACKRoutines {
    static var prefix: String { "d" }
    static func potrf(_ uplo: UInt8, _ n: Int, _ a: UnsafeMutableRawPointer, _ lda: Int) -> Int {
        Int(LAPACKE_dpotrf(rowMajor, c(uplo), i(n), d(a), i(lda)))
    }
    static func potrs(_ uplo: UInt8, _ n: Int, _ nrhs: Int, _ a: UnsafeRawPointer, _ lda: Int, _ b: UnsafeMutableRawPointer, _ ldb: Int) -> Int {
        Int(LAPACKE_dpotrs(rowMajor, c(uplo), i(n), i(nrhs), d(a), i(lda), d(b), i(ldb)))
    }
    static func trtrs(_ uplo: UInt8, _ trans: UInt8, _ diag: UInt8, _ n: Int, _ nrhs: Int, _ a: UnsafeRawPointer, _ lda: Int,
                      _ b: UnsafeMutableRawPointer, _ ldb: Int) -> Int {
        Int(LAPACKE_dtrtrs(rowMajor, c(uplo), c(trans), c(diag), i(n), i(nrhs), d(a), i(lda), d(b), i(ldb)))
    }
    static func gesv(_ n: Int, _ nrhs: Int, _ a: UnsafeMutableRawPointer, _ lda: Int, _ ipiv: UnsafeMutablePointer<Int32>,
                     _ b: UnsafeMutableRawPointer, _ ldb: Int) -> Int {
        Int(LAPACKE_dgesv(rowMajor, i(n), i(nrhs), d(a), i(lda), ipiv, d(b), i(ldb)))
    }
    static func getrf(_ m: Int, _ n: Int, _ a: UnsafeMutableRawPointer, _ lda: Int, _ ipiv: UnsafeMutablePointer<Int32>) -> Int {
        Int(LAPACKE_dgetrf(rowMajor, i(m), i(n), d(a), i(lda), ipiv))
    }
    static func syevd(_ jobz: UInt8, _ uplo: UInt8, _ n: Int, _ a: UnsafeMutableRawPointer, _ lda: Int, _ w: UnsafeMutableRawPointer) -> Int {
        Int(LAPACKE_dsyevd(rowMajor, c(jobz), c(uplo), i(n), d(a), i(lda), d(w)))
    }
    static func gesdd(_ jobz: UInt8, _ m: Int, _ n: Int, _ a: UnsafeMutableRawPointer, _ lda: Int, _ s: UnsafeMutableRawPointer,
                      _ u: UnsafeMutableRawPointer, _ ldu: Int, _ vt: UnsafeMutableRawPointer, _ ldvt: Int) -> Int {
        Int(LAPACKE_dgesdd(rowMajor, c(jobz), i(m), i(n), d(a), i(lda), d(s), d(u), i(ldu), d(vt), i(ldvt)))
    }
    static func geqrf(_ m: Int, _ n: Int, _ a: UnsafeMutableRawPointer, _ lda: Int, _ tau: UnsafeMutableRawPointer) -> Int {
        Int(LAPACKE_dgeqrf(rowMajor, i(m), i(n), d(a), i(lda), d(tau)))
    }
    static func orgqr(_ m: Int, _ n: Int, _ k: Int, _ a: UnsafeMutableRawPointer, _ lda: Int, _ tau: UnsafeRawPointer) -> Int {
        Int(LAPACKE_dorgqr(rowMajor, i(m), i(n), i(k), d(a), i(lda), d(tau)))
    }
    static func gelsd(_ m: Int, _ n: Int, _ nrhs: Int, _ a: UnsafeMutableRawPointer, _ lda: Int, _ b: UnsafeMutableRawPointer, _ ldb: Int,
                      _ s: UnsafeMutableRawPointer, _ rcond: Double, _ rank: UnsafeMutablePointer<Int32>) -> Int {
        Int(LAPACKE_dgelsd(rowMajor, i(m), i(n), i(nrhs), d(a), i(lda), d(b), i(ldb), d(s), rcond, rank))
    }
}

/// The LAPACK routines for an element type (after making sure OpenBLAS is configured).
func lapack<S: TensorScalar>(_: S.Type) -> LAPACKRoutines.Type {
    BLAS.ensureConfigured()
    return S.self as! LAPACKRoutines.Type
}
