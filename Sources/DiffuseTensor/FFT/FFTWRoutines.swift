import CFFTW

/// One-dimensional, batched FFTW plans over interleaved complex arrays (the guru interface),
/// for one precision. Strides and distances are in units of the array's element: complex
/// elements for complex arrays, reals for real arrays.
protocol FFTWRoutines {
    static func planComplex(_ dims: [fftw_iodim], _ batch: [fftw_iodim], _ input: UnsafeMutableRawPointer,
                            _ output: UnsafeMutableRawPointer, _ sign: Int32, _ flags: UInt32) -> OpaquePointer?
    static func planRealToComplex(_ dims: [fftw_iodim], _ batch: [fftw_iodim], _ input: UnsafeMutableRawPointer,
                                  _ output: UnsafeMutableRawPointer, _ flags: UInt32) -> OpaquePointer?
    static func planComplexToReal(_ dims: [fftw_iodim], _ batch: [fftw_iodim], _ input: UnsafeMutableRawPointer,
                                  _ output: UnsafeMutableRawPointer, _ flags: UInt32) -> OpaquePointer?
    static func executeComplex(_ plan: OpaquePointer, _ input: UnsafeMutableRawPointer, _ output: UnsafeMutableRawPointer)
    static func executeRealToComplex(_ plan: OpaquePointer, _ input: UnsafeMutableRawPointer, _ output: UnsafeMutableRawPointer)
    static func executeComplexToReal(_ plan: OpaquePointer, _ input: UnsafeMutableRawPointer, _ output: UnsafeMutableRawPointer)
    static func alignment(of p: UnsafeMutableRawPointer) -> Int
}

private func f(_ p: UnsafeMutableRawPointer) -> UnsafeMutablePointer<Float> { p.assumingMemoryBound(to: Float.self) }
private func d(_ p: UnsafeMutableRawPointer) -> UnsafeMutablePointer<Double> { p.assumingMemoryBound(to: Double.self) }
private func fc(_ p: UnsafeMutableRawPointer) -> UnsafeMutablePointer<fftwf_complex> { p.assumingMemoryBound(to: fftwf_complex.self) }
private func dc(_ p: UnsafeMutableRawPointer) -> UnsafeMutablePointer<fftw_complex> { p.assumingMemoryBound(to: fftw_complex.self) }

extension Float: FFTWRoutines {
    static func planComplex(_ dims: [fftw_iodim], _ batch: [fftw_iodim], _ input: UnsafeMutableRawPointer,
                            _ output: UnsafeMutableRawPointer, _ sign: Int32, _ flags: UInt32) -> OpaquePointer? {
        fftwf_plan_guru_dft(Int32(dims.count), dims, Int32(batch.count), batch, fc(input), fc(output), sign, flags)
    }
    static func planRealToComplex(_ dims: [fftw_iodim], _ batch: [fftw_iodim], _ input: UnsafeMutableRawPointer,
                                  _ output: UnsafeMutableRawPointer, _ flags: UInt32) -> OpaquePointer? {
        fftwf_plan_guru_dft_r2c(Int32(dims.count), dims, Int32(batch.count), batch, f(input), fc(output), flags)
    }
    static func planComplexToReal(_ dims: [fftw_iodim], _ batch: [fftw_iodim], _ input: UnsafeMutableRawPointer,
                                  _ output: UnsafeMutableRawPointer, _ flags: UInt32) -> OpaquePointer? {
        fftwf_plan_guru_dft_c2r(Int32(dims.count), dims, Int32(batch.count), batch, fc(input), f(output), flags)
    }
    static func executeComplex(_ plan: OpaquePointer, _ input: UnsafeMutableRawPointer, _ output: UnsafeMutableRawPointer) {
        fftwf_execute_dft(plan, fc(input), fc(output))
    }
    static func executeRealToComplex(_ plan: OpaquePointer, _ input: UnsafeMutableRawPointer, _ output: UnsafeMutableRawPointer) {
        fftwf_execute_dft_r2c(plan, f(input), fc(output))
    }
    static func executeComplexToReal(_ plan: OpaquePointer, _ input: UnsafeMutableRawPointer, _ output: UnsafeMutableRawPointer) {
        fftwf_execute_dft_c2r(plan, fc(input), f(output))
    }
    static func alignment(of p: UnsafeMutableRawPointer) -> Int { Int(fftwf_alignment_of(f(p))) }
}

extension Double: FFTWRoutines {
    static func planComplex(_ dims: [fftw_iodim], _ batch: [fftw_iodim], _ input: UnsafeMutableRawPointer,
                            _ output: UnsafeMutableRawPointer, _ sign: Int32, _ flags: UInt32) -> OpaquePointer? {
        fftw_plan_guru_dft(Int32(dims.count), dims, Int32(batch.count), batch, dc(input), dc(output), sign, flags)
    }
    static func planRealToComplex(_ dims: [fftw_iodim], _ batch: [fftw_iodim], _ input: UnsafeMutableRawPointer,
                                  _ output: UnsafeMutableRawPointer, _ flags: UInt32) -> OpaquePointer? {
        fftw_plan_guru_dft_r2c(Int32(dims.count), dims, Int32(batch.count), batch, d(input), dc(output), flags)
    }
    static func planComplexToReal(_ dims: [fftw_iodim], _ batch: [fftw_iodim], _ input: UnsafeMutableRawPointer,
                                  _ output: UnsafeMutableRawPointer, _ flags: UInt32) -> OpaquePointer? {
        fftw_plan_guru_dft_c2r(Int32(dims.count), dims, Int32(batch.count), batch, dc(input), d(output), flags)
    }
    static func executeComplex(_ plan: OpaquePointer, _ input: UnsafeMutableRawPointer, _ output: UnsafeMutableRawPointer) {
        fftw_execute_dft(plan, dc(input), dc(output))
    }
    static func executeRealToComplex(_ plan: OpaquePointer, _ input: UnsafeMutableRawPointer, _ output: UnsafeMutableRawPointer) {
        fftw_execute_dft_r2c(plan, d(input), dc(output))
    }
    static func executeComplexToReal(_ plan: OpaquePointer, _ input: UnsafeMutableRawPointer, _ output: UnsafeMutableRawPointer) {
        fftw_execute_dft_c2r(plan, dc(input), d(output))
    }
    static func alignment(of p: UnsafeMutableRawPointer) -> Int { Int(fftw_alignment_of(d(p))) }
}

func fftw<S: TensorScalar>(_: S.Type) -> FFTWRoutines.Type { S.self as! FFTWRoutines.Type }
