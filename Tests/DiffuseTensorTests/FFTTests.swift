import Dispatch
import XCTest
import _DiffuseKernels
import _DiffuseTestSupport
@testable import DiffuseTensor

final class FFTTests: XCTestCase {
    /// The DFT by its definition, in Double: X_k = Σ_j x_j e^{−2πi jk/n}.
    private func naiveDFT(_ re: [Double], _ im: [Double], inverse: Bool = false) -> ([Double], [Double]) {
        let n = re.count
        var outRe = [Double](repeating: 0, count: n), outIm = [Double](repeating: 0, count: n)
        let sign = inverse ? 1.0 : -1.0
        for k in 0..<n {
            for j in 0..<n {
                let angle = sign * 2 * Double.pi * Double(j * k % n) / Double(n)
                outRe[k] += re[j] * cos(angle) - im[j] * sin(angle)
                outIm[k] += re[j] * sin(angle) + im[j] * cos(angle)
            }
            if inverse { outRe[k] /= Double(n); outIm[k] /= Double(n) }
        }
        return (outRe, outIm)
    }

    private func checkAgainstNaive<S: TensorScalar>(_: S.Type) {
        let tol = epsilon(S.self) * 200
        for n in [1, 2, 5, 8, 12, 17] {
            let re = Tensor<S>.randomNormal(shape: [3, n], key: RandomKey(seed: UInt64(n)))
            let im = Tensor<S>.randomNormal(shape: [3, n], key: RandomKey(seed: UInt64(n + 100)))
            let y = FFT.forward(ComplexTensor(real: re, imaginary: im))
            let r = FFT.realForward(re)
            XCTAssertEqual(r.shape, [3, n / 2 + 1])
            for b in 0..<3 {
                let (er, ei) = naiveDFT(re[b].scalars.map(Double.init), im[b].scalars.map(Double.init))
                assertClose(y.real[b], Tensor(er.map { S($0) }), absolute: tol * Double(n), relative: tol)
                assertClose(y.imaginary[b], Tensor(ei.map { S($0) }), absolute: tol * Double(n), relative: tol)
                let (rr, ri) = naiveDFT(re[b].scalars.map(Double.init), [Double](repeating: 0, count: n))
                assertClose(r.real[b], Tensor(rr[0...(n / 2)].map { S($0) }), absolute: tol * Double(n), relative: tol)
                assertClose(r.imaginary[b], Tensor(ri[0...(n / 2)].map { S($0) }), absolute: tol * Double(n), relative: tol)
            }
            // Round trips.
            let back = FFT.inverse(y)
            assertClose(back.real, re, absolute: tol * Double(n))
            assertClose(back.imaginary, im, absolute: tol * Double(n))
            assertClose(FFT.realInverse(r, length: n), re, absolute: tol * Double(n))
        }
    }

    func testAgainstNaiveDFTFloat() { checkAgainstNaive(Float.self) }
    func testAgainstNaiveDFTDouble() { checkAgainstNaive(Double.self) }

    func testTransformAlongInnerAxis() {
        let x = Tensor<Double>.randomNormal(shape: [2, 6, 3], key: RandomKey(seed: 5))
        let along1 = FFT.realForward(x, alongAxis: 1)
        let viaLast = FFT.realForward(x.swappingAxes(1, 2).contiguous())
        assertClose(along1.real, viaLast.real.swappingAxes(1, 2).contiguous(), absolute: 1e-12)
        assertClose(along1.imaginary, viaLast.imaginary.swappingAxes(1, 2).contiguous(), absolute: 1e-12)
        assertClose(FFT.realInverse(along1, length: 6, alongAxis: 1), x, absolute: 1e-12)
        // Zero-padding through the length argument.
        let padded = FFT.realForward(x, alongAxis: 1, length: 10)
        let manual = FFT.realForward(x.padded(alongAxis: 1, before: 0, after: 4), alongAxis: 1)
        assertClose(padded.real, manual.real, absolute: 1e-12)
    }

    func testConvolutionAgainstDirectSum() {
        let signal = Tensor<Double>.randomNormal(shape: [2, 3, 11], key: RandomKey(seed: 6))
        let kernel = Tensor<Double>.randomNormal(shape: [3, 4], key: RandomKey(seed: 7))
        let full = FFT.convolve(signal, kernel)
        XCTAssertEqual(full.shape, [2, 3, 14])
        for b in 0..<2 { for c in 0..<3 { for t in 0..<14 {
            var s = 0.0
            for j in 0..<4 where t - j >= 0 && t - j < 11 { s += kernel[element: c, j] * signal[element: b, c, t - j] }
            XCTAssertEqual(full[element: b, c, t], s, accuracy: 1e-12)
        } } }
        assertClose(FFT.convolve(signal, kernel, mode: .causal), full.slice(axis: 2, 0..<11).contiguous(), absolute: 1e-12)
        assertClose(FFT.convolve(signal, kernel, mode: .same), full.slice(axis: 2, 1..<12).contiguous(), absolute: 1e-12)
        assertClose(FFT.convolve(signal, kernel, mode: .valid), full.slice(axis: 2, 3..<11).contiguous(), absolute: 1e-12)
        // A causal kernel longer than the signal is cut to the signal length.
        let long = Tensor<Double>.randomNormal(shape: [3, 20], key: RandomKey(seed: 8))
        assertClose(FFT.convolve(signal, long, mode: .causal),
                    FFT.convolve(signal, long, mode: .full).slice(axis: 2, 0..<11).contiguous(), absolute: 1e-12)
        XCTAssertEqual(FFT.nextFastLength(11), 12)
        XCTAssertEqual(FFT.nextFastLength(97), 98)
    }

    /// Paired-channel convolution (channels last) against per-channel real FFT convolution, and
    /// its cross spectrum against the real spectra, in both precisions, for an odd batch (a
    /// partial chunk) and odd and even transform lengths.
    private func checkChannelPairs<S: TensorScalar>(_: S.Type) {
        let tol = Double(epsilon(S.self)) * 400
        // 6 channels: FFTW; 16 (a multiple of 8) in Float: the C kernels where n has no prime
        // factor above 5 (16, 15, 720), FFTW for n = 14.
        for (n, l, h) in [(16, 9, 6), (15, 9, 6), (16, 9, 16), (15, 9, 16), (14, 9, 16), (720, 360, 16)] {
            let b = 5
            let signal = Tensor<S>.randomNormal(shape: [b, l, h], key: RandomKey(seed: UInt64(n)))
            let kernel = Tensor<S>.randomNormal(shape: [n, h], key: RandomKey(seed: UInt64(n + 1)))
            let z = ChannelPairFFT.transform(signal, length: n)
            let signalSpectrum = FFT.realForward(signal, alongAxis: 1, length: n)
            let kernelSpectrum = FFT.realForward(kernel, alongAxis: 0)
            for conjugated in [false, true] {
                let y = ChannelPairFFT.convolve(spectra: z, with: ChannelPairFFT.Spectrum(kernel: kernel, conjugated: conjugated), outputLength: l)
                let expected = FFT.realInverse(signalSpectrum.multiplied(by: kernelSpectrum, conjugatingOther: conjugated), length: n, alongAxis: 1)
                    .slice(axis: 1, 0..<l).contiguous()
                assertClose(y, expected, absolute: tol * Double(n))
            }
            let other = Tensor<S>.randomNormal(shape: [b, l, h], key: RandomKey(seed: UInt64(n + 2)))
            let cross = ChannelPairFFT.crossSpectrumSum(ChannelPairFFT.transform(other, length: n), z)
            let direct = FFT.realForward(other, alongAxis: 1, length: n).multiplied(by: signalSpectrum, conjugatingOther: true)
            assertClose(cross.real, direct.real.sum(alongAxes: [0]), absolute: tol * Double(n * b))
            assertClose(cross.imaginary, direct.imaginary.sum(alongAxes: [0]), absolute: tol * Double(n * b))
        }
    }

    /// An in-place plan (channel pairs) and an out-of-place transform of the same shape and
    /// alignment must not share a cached plan.
    func testInPlaceAndOutOfPlacePlansAreDistinct() {
        let x = Tensor<Double>.randomNormal(shape: [2, 8, 6], key: RandomKey(seed: 40))
        _ = ChannelPairFFT.transform(x, length: 8)   // in place on [2 rows, 8, 3 complex]
        let re = Tensor<Double>.randomNormal(shape: [2, 8, 3], key: RandomKey(seed: 41))
        let im = Tensor<Double>.randomNormal(shape: [2, 8, 3], key: RandomKey(seed: 42))
        let y = FFT.forward(ComplexTensor(real: re, imaginary: im), alongAxis: 1)
        for b in 0..<2 { for c in 0..<3 {
            let (er, ei) = naiveDFT((0..<8).map { re[element: b, $0, c] }, (0..<8).map { im[element: b, $0, c] })
            for k in 0..<8 {
                XCTAssertEqual(y.real[element: b, k, c], er[k], accuracy: 1e-10)
                XCTAssertEqual(y.imaginary[element: b, k, c], ei[k], accuracy: 1e-10)
            }
        } }
    }

    /// The channel-vectorised Stockham FFT of the C kernels against the DFT in Double, for every
    /// radix (2, 3, 4, 5) alone and mixed, both directions, with only the first half of the input
    /// rows given (the rest are zeros and not read); other lengths are refused.
    func testVectorisedPairFFTAgainstNaiveDFT() {
        for (n, pairs) in [1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 15, 16, 25, 27, 30, 60, 64, 720].map({ ($0, 4) }) + [(12, 12), (90, 8), (720, 16)] {
            let width = 2 * pairs
            let rows = max(1, n / 2)
            let input = Tensor<Float>.randomNormal(shape: [rows * width], key: RandomKey(seed: UInt64(n))).scalars
            for sign: Int32 in [-1, 1] {
                var output = [Float](repeating: .nan, count: n * width)
                XCTAssertEqual(diffuse_pair_fft(input, rows, &output, n, pairs, sign), 0, "n = \(n)")
                let tol = 3e-6 * Double(n).squareRoot() * max(1, log2(Double(n)))
                for c in 0..<pairs {
                    let re = (0..<n).map { $0 < rows ? Double(input[$0 * width + 2 * c]) : 0 }
                    let im = (0..<n).map { $0 < rows ? Double(input[$0 * width + 2 * c + 1]) : 0 }
                    let (er, ei) = naiveDFT(re, im, inverse: sign == 1)
                    let scale = sign == 1 ? Double(n) : 1
                    for k in 0..<n {
                        XCTAssertEqual(Double(output[k * width + 2 * c]), er[k] * scale, accuracy: tol, "n = \(n), sign \(sign), channel \(c), k = \(k)")
                        XCTAssertEqual(Double(output[k * width + 2 * c + 1]), ei[k] * scale, accuracy: tol, "n = \(n), sign \(sign), channel \(c), k = \(k)")
                    }
                }
            }
        }
        let width = 8
        var output = [Float](repeating: 0, count: 14 * width)
        XCTAssertEqual(diffuse_pair_fft_supports(14), 0)
        XCTAssertEqual(diffuse_pair_fft([Float](repeating: 1, count: 14 * width), 14, &output, 14, 4, -1), -1)
        XCTAssertEqual(diffuse_pair_fft([Float](repeating: 1, count: 8 * 6), 8, &output, 8, 3, -1), -1, "2·pairs must be a multiple of 8")
    }

    /// Rows whose width is a multiple of 16 floats run on 16-float vectors, others on 8-float
    /// vectors; every channel sees the same operations either way, so 16 channels transformed,
    /// convolved and cross-multiplied alone (16-lane path) equal the same channels inside 24
    /// (8-lane path) bit for bit.
    func testSixteenAndEightFloatRowsAgree() {
        let (n, l) = (720, 360)
        let wide = Tensor<Float>.randomNormal(shape: [3, l, 24], key: RandomKey(seed: 50))
        let kernel = Tensor<Float>.randomNormal(shape: [n, 24], key: RandomKey(seed: 51))
        let narrow = wide.slice(axis: 2, 0..<16).contiguous()
        for conjugated in [false, true] {
            let y24 = ChannelPairFFT.convolve(spectra: ChannelPairFFT.transform(wide, length: n),
                                              with: ChannelPairFFT.Spectrum(kernel: kernel, conjugated: conjugated), outputLength: l)
            let y16 = ChannelPairFFT.convolve(spectra: ChannelPairFFT.transform(narrow, length: n),
                                              with: ChannelPairFFT.Spectrum(kernel: kernel.slice(axis: 1, 0..<16).contiguous(), conjugated: conjugated), outputLength: l)
            XCTAssertEqual(y24.slice(axis: 2, 0..<16).contiguous().scalars.map(\.bitPattern), y16.scalars.map(\.bitPattern))
        }
        // The cross spectrum of the kernel gradient, the same way.
        let other = Tensor<Float>.randomNormal(shape: [3, l, 24], key: RandomKey(seed: 53))
        let cross24 = ChannelPairFFT.crossSpectrumSum(ChannelPairFFT.transform(other, length: n), ChannelPairFFT.transform(wide, length: n))
        let cross16 = ChannelPairFFT.crossSpectrumSum(ChannelPairFFT.transform(other.slice(axis: 2, 0..<16).contiguous(), length: n),
                                                      ChannelPairFFT.transform(narrow, length: n))
        let last = cross24.real.rank - 1
        for (wideParts, narrowParts) in [(cross24.real, cross16.real), (cross24.imaginary, cross16.imaginary)] {
            XCTAssertEqual(wideParts.slice(axis: last, 0..<16).contiguous().scalars.map(\.bitPattern), narrowParts.scalars.map(\.bitPattern))
        }
        // The transform alone: rows of 12 pairs (24 floats) against their first 8 pairs (16).
        let input = Tensor<Float>.randomNormal(shape: [l * 24], key: RandomKey(seed: 52)).scalars
        let firstSixteen = (0..<l).flatMap { input[($0 * 24)..<($0 * 24 + 16)] }
        for sign: Int32 in [-1, 1] {
            var out24 = [Float](repeating: .nan, count: n * 24), out16 = [Float](repeating: .nan, count: n * 16)
            XCTAssertEqual(diffuse_pair_fft(input, l, &out24, n, 12, sign), 0)
            XCTAssertEqual(diffuse_pair_fft(firstSixteen, l, &out16, n, 8, sign), 0)
            XCTAssertEqual((0..<n).flatMap { out24[($0 * 24)..<($0 * 24 + 16)] }.map(\.bitPattern), out16.map(\.bitPattern))
        }
    }

    func testChannelPairConvolutionFloat() { checkChannelPairs(Float.self) }
    func testChannelPairConvolutionDouble() { checkChannelPairs(Double.self) }

    /// Planning many shapes from several threads at once must neither crash nor mix up plans.
    func testConcurrentPlanning() {
        let sizes = Array(30..<70)
        var ok = [Bool](repeating: false, count: sizes.count)
        ok.withUnsafeMutableBufferPointer { flags in
            DispatchQueue.concurrentPerform(iterations: sizes.count) { i in
                let n = sizes[i]
                let x = Tensor<Float>.randomNormal(shape: [4, n], key: RandomKey(seed: UInt64(n)))
                let back = FFT.realInverse(FFT.realForward(x), length: n)
                flags[i] = zip(back.scalars, x.scalars).allSatisfy { abs($0 - $1) < 1e-4 }
            }
        }
        XCTAssertTrue(ok.allSatisfy { $0 })
    }
}
