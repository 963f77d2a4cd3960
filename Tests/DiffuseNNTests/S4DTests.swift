import Foundation
import XCTest
import _DiffuseTestSupport
import DiffuseTensor
@testable import DiffuseNN

final class S4DTests: XCTestCase {
    /// The closed-form kernel equals the impulse response of the discretised recurrence
    /// x_{k+1} = Ā x_k + B̄ u_k, y_k = 2·Re(C x_k) (state started at B̄u₀ for the first input).
    func testKernelMatchesDirectRecurrence() {
        let layer = S4D(name: "s4", channels: 3, stateSize: 8, bidirectional: true)
        let p: ParameterSet<Double> = layer.makeParameters(key: RandomKey(seed: 1))
        let length = 12
        let k = layer.kernel(length: length, p.constants).value   // [2, 3, L]
        let logDt = p["s4.log_dt"]!.scalars, logAReal = p["s4.log_A_real"]!, aImag = p["s4.A_imag"]!, c = p["s4.C"]!
        for d in 0..<2 { for h in 0..<3 {
            let dt = Foundation.exp(logDt[h])
            var response = [Double](repeating: 0, count: length)
            for n in 0..<4 {
                let a0 = -Foundation.exp(logAReal[element: h, n]), a1 = aImag[element: h, n]
                // Ā = exp(ΔA); B̄ = (Ā − 1)/A.
                let zr = Foundation.exp(dt * a0) * Foundation.cos(dt * a1), zi = Foundation.exp(dt * a0) * Foundation.sin(dt * a1)
                let den = a0 * a0 + a1 * a1
                let br = ((zr - 1) * a0 + zi * a1) / den, bi = (zi * a0 - (zr - 1) * a1) / den
                let cr = c[element: d, h, n, 0], ci = c[element: d, h, n, 1]
                // Impulse: x_0 = B̄, then x_{k} = Ā x_{k−1}; y_k = 2 Re(C x_k).
                var xr = br, xi = bi
                for l in 0..<length {
                    response[l] += 2 * (cr * xr - ci * xi)
                    (xr, xi) = (xr * zr - xi * zi, xr * zi + xi * zr)
                }
            }
            for l in 0..<length { XCTAssertEqual(k[element: d, h, l], response[l], accuracy: 1e-12) }
        } }
    }

    /// The bidirectional layer's convolution part equals the direct sums
    /// y[t] = Σ_{s≤t} K₀[t−s]u[s] + Σ_{s>t} K₁[s−t−1]u[s].
    func testBidirectionalConvolutionMatchesDirectSum() {
        let layer = S4D(name: "s4", channels: 2, stateSize: 4, bidirectional: true)
        let p: ParameterSet<Double> = layer.makeParameters(key: RandomKey(seed: 2))
        let length = 7
        let u = Tensor<Double>.randomNormal(shape: [1, 2, length], key: RandomKey(seed: 3))
        let k = layer.kernel(length: length, p.constants).value
        let forward = k[0].padded(alongAxis: 1, before: 0, after: length)
        let combined = forward + k[1].reversed(axis: 1).padded(alongAxis: 1, before: length, after: 0)
        let y = circularConvolution(Variable(u), kernel: Variable(combined)).value
        for h in 0..<2 { for t in 0..<length {
            var s = 0.0
            for j in 0...t { s += k[element: 0, h, t - j] * u[element: 0, h, j] }
            for j in (t + 1)..<max(length, t + 1) { s += k[element: 1, h, j - t - 1] * u[element: 0, h, j] }
            XCTAssertEqual(y[element: 0, h, t], s, accuracy: 1e-12)
        } }
    }

    func testGradientsOfKernelAndLayer() {
        let cr = Tensor<Double>.randomNormal(shape: [2, 3], key: RandomKey(seed: 4))
        let ci = Tensor<Double>.randomNormal(shape: [2, 3], key: RandomKey(seed: 5))
        let zr = Tensor<Double>.randomUniform(shape: [2, 3], in: -0.9..<0.9, key: RandomKey(seed: 6))
        let zi = Tensor<Double>.randomUniform(shape: [2, 3], in: -0.3..<0.3, key: RandomKey(seed: 7))
        let kernel = checkGradients([cr, ci, zr, zi]) {
            vandermondeKernel(coefficientsReal: $0[0], coefficientsImaginary: $0[1], nodesReal: $0[2], nodesImaginary: $0[3], length: 6)
        }
        XCTAssertLessThan(kernel.worst, 1e-6, "\(kernel)")
        for bidirectional in [false, true] {
            let layer = S4D(name: "s4", channels: 2, stateSize: 4, bidirectional: bidirectional)
            let parameters: ParameterSet<Double> = layer.makeParameters(key: RandomKey(seed: 8))
            let names = parameters.names
            let u = Tensor<Double>.randomNormal(shape: [2, 2, 5], key: RandomKey(seed: 9))
            let result = checkGradients([u] + names.map { parameters[$0]! }) { vars in
                let bound = BoundParameters(tape: nil, names: names, variables: Dictionary(uniqueKeysWithValues: zip(names, vars.dropFirst())))
                return layer(vars[0], bound)
            }
            XCTAssertLessThan(result.worst, 1e-6, "bidirectional \(bidirectional): \(result)")
            // Channels last (paired FFTs with the fused D skip for an even channel count, the
            // generic path for an odd one): same values as channels first, and exact gradients.
            for channels in [2, 3] {
                let layer = S4D(name: "s4", channels: channels, stateSize: 4, bidirectional: bidirectional)
                let parameters: ParameterSet<Double> = layer.makeParameters(key: RandomKey(seed: 10))
                let names = parameters.names
                let u = Tensor<Double>.randomNormal(shape: [3, 5, channels], key: RandomKey(seed: 11))
                let last = layer.channelsLast(Variable(u), parameters.constants).value
                let first = layer(Variable(u.permuted([0, 2, 1]).contiguous()), parameters.constants).value.permuted([0, 2, 1]).contiguous()
                assertClose(last, first, absolute: 1e-12)
                let result = checkGradients([u] + names.map { parameters[$0]! }) { vars in
                    let bound = BoundParameters(tape: nil, names: names, variables: Dictionary(uniqueKeysWithValues: zip(names, vars.dropFirst())))
                    return layer.channelsLast(vars[0], bound)
                }
                XCTAssertLessThan(result.worst, 1e-6, "channels last, \(channels) channels, bidirectional \(bidirectional): \(result)")
            }
        }
    }

    func testInitialization() {
        let layer = S4D(name: "block.s4", channels: 4, stateSize: 8, bidirectional: true)
        let p: ParameterSet<Float> = layer.makeParameters(key: RandomKey(seed: 1))
        XCTAssertEqual(p.names, ["block.s4.log_dt", "block.s4.log_A_real", "block.s4.A_imag", "block.s4.C", "block.s4.D",
                                 "block.s4.output_linear.weight", "block.s4.output_linear.bias"])
        let dt = p["block.s4.log_dt"]!.exp().scalars
        XCTAssertTrue(dt.allSatisfy { $0 >= 0.001 && $0 <= 0.1 })
        // S4D-Inv: (N/π)(N/(2n+1) − 1) for N = 8.
        XCTAssertEqual(Double(p["block.s4.A_imag"]![element: 0, 1]), 8 / Double.pi * (8.0 / 3 - 1), accuracy: 1e-5)
        XCTAssertEqual(p["block.s4.C"]!.shape, [2, 4, 4, 2])
    }
}
