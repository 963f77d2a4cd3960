import CFFTW

/// One-dimensional, batched FFTW plans in split-complex form (separate real and imaginary
/// arrays), for one precision. Plans are described by the transform length `n`, its input and
/// output strides, and up to two batch ("howmany") loops.
protocol FFTWRoutines {
    static func planComplex(_ dims: [fftw_iodim], _ batch: [fftw_iodim], _ ri: UnsafeMutableRawPointer, _ ii: UnsafeMutableRawPointer,
                            _ ro: UnsafeMutableRawPointer, _ io: UnsafeMutableRawPointer, _ flags: UInt32) -> OpaquePointer?
    static func planRealToComplex(_ dims: [fftw_iodim], _ batch: [fftw_iodim], _ input: UnsafeMutableRawPointer,
                                  _ ro: UnsafeMutableRawPointer, _ io: UnsafeMutableRawPointer, _ flags: UInt32) -> OpaquePointer?
    static func planComplexToReal(_ dims: [fftw_iodim], _ batch: [fftw_iodim], _ ri: UnsafeMutableRawPointer, _ ii: UnsafeMutableRawPointer,
                                  _ output: UnsafeMutableRawPointer, _ flags: UInt32) -> OpaquePointer?
    static func executeComplex(_ plan: OpaquePointer, _ ri: UnsafeMutableRawPointer, _ ii: UnsafeMutableRawPointer,
                               _ ro: UnsafeMutableRawPointer, _ io: UnsafeMutableRawPointer)
    static func executeRealToComplex(_ plan: OpaquePointer, _ input: UnsafeMutableRawPointer, _ ro: UnsafeMutableRawPointer, _ io: UnsafeMutableRawPointer)
    static func executeComplexToReal(_ plan: OpaquePointer, _ ri: UnsafeMutableRawPointer, _ ii: UnsafeMutableRawPointer, _ output: UnsafeMutableRawPointer)
    static func alignment(of p: UnsafeMutableRawPointer) -> Int
}

private func f(_ p: UnsafeMutableRawPointer) -> UnsafeMutablePointer<Float> { p.assumingMemoryBound(to: Float.self) }
private func d(_ p: UnsafeMutableRawPointer) -> UnsafeMutablePointer<Double> { p.assumingMemoryBound(to: Double.self) }

extension Float: FFTWRoutines {
    static func planComplex(_ dims: [fftw_iodim], _ batch: [fftw_iodim], _ ri: UnsafeMutableRawPointer, _ ii: UnsafeMutableRawPointer,
                            _ ro: UnsafeMutableRawPointer, _ io: UnsafeMutableRawPointer, _ flags: UInt32) -> OpaquePointer? {
        fftwf_plan_guru_split_dft(Int32(dims.count), dims, Int32(batch.count), batch, f(ri), f(ii), f(ro), f(io), flags)
    }
    static func planRealToComplex(_ dims: [fftw_iodim], _ batch: [fftw_iodim], _ input: UnsafeMutableRawPointer,
                                  _ ro: UnsafeMutableRawPointer, _ io: UnsafeMutableRawPointer, _ flags: UInt32) -> OpaquePointer? {
        fftwf_plan_guru_split_dft_r2c(Int32(dims.count), dims, Int32(batch.count), batch, f(input), f(ro), f(io), flags)
    }
    static func planComplexToReal(_ dims: [fftw_iodim], _ batch: [fftw_iodim], _ ri: UnsafeMutableRawPointer, _ ii: UnsafeMutableRawPointer,
                                  _ output: UnsafeMutableRawPointer, _ flags: UInt32) -> OpaquePointer? {
        fftwf_plan_guru_split_dft_c2r(Int32(dims.count), dims, Int32(batch.count), batch, f(ri), f(ii), f(output), flags)
    }
    static func executeComplex(_ plan: OpaquePointer, _ ri: UnsafeMutableRawPointer, _ ii: UnsafeMutableRawPointer,
                               _ ro: UnsafeMutableRawPointer, _ io: UnsafeMutableRawPointer) {
        fftwf_execute_split_dft(plan, f(ri), f(ii), f(ro), f(io))
    }
    static func executeRealToComplex(_ plan: OpaquePointer, _ input: UnsafeMutableRawPointer, _ ro: UnsafeMutableRawPointer, _ io: UnsafeMutableRawPointer) {
        fftwf_execute_split_dft_r2c(plan, f(input), f(ro), f(io))
    }
    static func executeComplexToReal(_ plan: OpaquePointer, _ ri: UnsafeMutableRawPointer, _ ii: UnsafeMutableRawPointer, _ output: UnsafeMutableRawPointer) {
        fftwf_execute_split_dft_c2r(plan, f(ri), f(ii), f(output))
    }
    static func alignment(of p: UnsafeMutableRawPointer) -> Int { Int(fftwf_alignment_of(f(p))) }
}

extension Double: FFTWRoutines {
    static func planComplex(_ dims: [fftw_iodim], _ batch: [fftw_iodim], _ ri: UnsafeMutableRawPointer, _ ii: UnsafeMutableRawPointer,
                            _ ro: UnsafeMutableRawPointer, _ io: UnsafeMutableRawPointer, _ flags: UInt32) -> OpaquePointer? {
        fftw_plan_guru_split_dft(Int32(dims.count), dims, Int32(batch.count), batch, d(ri), d(ii), d(ro), d(io), flags)
    }
    static func planRealToComplex(_ dims: [fftw_iodim], _ batch: [fftw_iodim], _ input: UnsafeMutableRawPointer,
                                  _ ro: UnsafeMutableRawPointer, _ io: UnsafeMutableRawPointer, _ flags: UInt32) -> OpaquePointer? {
        fftw_plan_guru_split_dft_r2c(Int32(dims.count), dims, Int32(batch.count), batch, d(input), d(ro), d(io), flags)
    }
    static func planComplexToReal(_ dims: [fftw_iodim], _ batch: [fftw_iodim], _ ri: UnsafeMutableRawPointer, _ ii: UnsafeMutableRawPointer,
                                  _ output: UnsafeMutableRawPointer, _ flags: UInt32) -> OpaquePointer? {
        fftw_plan_guru_split_dft_c2r(Int32(dims.count), dims, Int32(batch.count), batch, d(ri), d(ii), d(output), flags)
    }
    static func executeComplex(_ plan: OpaquePointer, _ ri: UnsafeMutableRawPointer, _ ii: UnsafeMutableRawPointer,
                               _ ro: UnsafeMutableRawPointer, _ io: UnsafeMutableRawPointer) {
        fftw_execute_split_dft(plan, d(ri), d(ii), d(ro), d(io))
    }
    static func executeRealToComplex(_ plan: OpaquePointer, _ input: UnsafeMutableRawPointer, _ ro: UnsafeMutableRawPointer, _ io: UnsafeMutableRawPointer) {
        fftw_execute_split_dft_r2c(plan, d(input), d(ro), d(io))
    }
    static func executeComplexToReal(_ plan: OpaquePointer, _ ri: UnsafeMutableRawPointer, _ ii: UnsafeMutableRawPointer, _ output: UnsafeMutableRawPointer) {
        fftw_execute_split_dft_c2r(plan, d(ri), d(ii), d(output))
    }
    static func alignment(of p: UnsafeMutableRawPointer) -> Int { Int(fftw_alignment_of(d(p))) }
}

func fftw<S: TensorScalar>(_: S.Type) -> FFTWRoutines.Type { S.self as! FFTWRoutines.Type }
