import CBLAS

/// The BLAS entry points Diffuse uses, for one element type. `Float` and `Double` conform with
/// the `s` and `d` routines; generic code reaches them through ``blas(_:)``.
protocol BLASRoutines {
    static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Double,
                     a: UnsafeRawPointer, lda: Int, b: UnsafeRawPointer, ldb: Int,
                     beta: Double, c: UnsafeMutableRawPointer, ldc: Int)
}

extension Float: BLASRoutines {
    static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Double,
                     a: UnsafeRawPointer, lda: Int, b: UnsafeRawPointer, ldb: Int,
                     beta: Double, c: UnsafeMutableRawPointer, ldc: Int) {
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), Float(alpha),
                    a.assumingMemoryBound(to: Float.self), Int32(lda), b.assumingMemoryBound(to: Float.self), Int32(ldb),
                    Float(beta), c.assumingMemoryBound(to: Float.self), Int32(ldc))
    }
}

extension Double: BLASRoutines {
    static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Double,
                     a: UnsafeRawPointer, lda: Int, b: UnsafeRawPointer, ldb: Int,
                     beta: Double, c: UnsafeMutableRawPointer, ldc: Int) {
        cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha,
                    a.assumingMemoryBound(to: Double.self), Int32(lda), b.assumingMemoryBound(to: Double.self), Int32(ldb),
                    beta, c.assumingMemoryBound(to: Double.self), Int32(ldc))
    }
}

/// The BLAS routines for an element type (after making sure OpenBLAS is configured).
func blas<S: TensorScalar>(_: S.Type) -> BLASRoutines.Type {
    BLAS.ensureConfigured()
    return S.self as! BLASRoutines.Type
}
