import Foundation
import XCTest
import _DiffuseKernels
@testable import DiffuseTensor

/// The vectorised single-precision approximations (C kernels) against the C library in Double.
final class FastMathTests: XCTestCase {
    func testExpAccuracy() {
        let xs = (0..<20_000).map { -87 + 175 * Float($0) / 20_000 }
        let ys = Tensor<Float>(xs).exp().scalars
        XCTAssertLessThan(zip(xs, ys).map { abs(Double($1) / Foundation.exp(Double($0)) - 1) }.max()!, 3e-7)
        let edges = Tensor<Float>([-200, -87.5, 0, 89, 1000, .nan, -.infinity, .infinity]).exp().scalars
        XCTAssertEqual(edges[0], 0); XCTAssertEqual(edges[1], 0); XCTAssertEqual(edges[2], 1)
        XCTAssertEqual(edges[3], .infinity); XCTAssertEqual(edges[4], .infinity); XCTAssertTrue(edges[5].isNaN)
        XCTAssertEqual(edges[6], 0); XCTAssertEqual(edges[7], .infinity)
        // Through the tensor API (a tail shorter than one vector included).
        let t = Tensor<Float>((0..<13).map { Float($0) - 6 })
        for (a, b) in zip(t.exp().scalars, t.scalars) { XCTAssertEqual(Double(a), Foundation.exp(Double(b)), accuracy: 3e-7 * Foundation.exp(Double(b))) }
        for (a, b) in zip(t.silu().scalars, t.scalars) { XCTAssertEqual(Double(a), Double(b) / (1 + Foundation.exp(-Double(b))), accuracy: 1e-6) }
    }

    /// The C kernels' log, √, sin 2πx and exp (Gaussian noise, mixture scores) against the C
    /// library in Double.
    func testKernelVectorFunctionAccuracy() {
        func apply(_ f: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void, _ xs: [Float]) -> [Float] {
            var ys = [Float](repeating: .nan, count: xs.count)
            ys.withUnsafeMutableBufferPointer { y in xs.withUnsafeBufferPointer { x in f(x.baseAddress!, y.baseAddress!, xs.count) } }
            return ys
        }
        let positive = (0..<20_003).map { Float(Foundation.exp(-80 + 160 * Double($0) / 20_003)) }
        let logs = apply(diffuse_vector_log, positive)
        XCTAssertLessThan(zip(positive, logs).map { abs(Double($1) - Foundation.log(Double($0))) / (abs(Foundation.log(Double($0))) + 1) }.max()!, 2e-7)
        let roots = apply(diffuse_vector_sqrt, positive + [0])
        XCTAssertLessThan(zip(positive, roots).map { abs(Double($1) / Double($0).squareRoot() - 1) }.max()!, 3e-7)
        XCTAssertEqual(roots.last, 0)
        let turns = (0..<20_001).map { Float($0) / 20_000 - 0.5 }
        let sines = apply(diffuse_vector_sin_turns, turns)
        XCTAssertLessThan(zip(turns, sines).map { abs(Double($1) - Foundation.sin(2 * Double.pi * Double($0))) }.max()!, 3e-7)
        let arguments = (0..<20_001).map { -87 + 175 * Float($0) / 20_000 }
        let exps = apply(diffuse_vector_exp, arguments)
        XCTAssertLessThan(zip(arguments, exps).map { abs(Double($1) / Foundation.exp(Double($0)) - 1) }.max()!, 3e-7)
        XCTAssertEqual(apply(diffuse_vector_exp, [-100, 100, .nan]).map { $0.isNaN ? -1 : $0 }, [0, .infinity, -1])
    }
}

final class FastActivationTests: XCTestCase {
    /// The vectorised Float tanh and GELU (and their derivatives) against the C library in Double.
    func testTanhAndGELU() {
        let xs = (0..<4001).map { -10 + Float($0) / 200 }
        let t = Tensor<Float>(xs)
        var worstTanh = 0.0, worstGELU = 0.0, worstTanhGrad = 0.0, worstGELUGrad = 0.0
        let tanh = t.tanh().scalars, gelu = t.gelu().scalars
        let one = Tensor<Float>(ones: [xs.count])
        let dtanh = t.activationGradient(.tanh, upstream: one).scalars, dgelu = t.activationGradient(.gelu, upstream: one).scalars
        for (i, x) in xs.enumerated() {
            let d = Double(x)
            worstTanh = max(worstTanh, abs(Double(tanh[i]) - Foundation.tanh(d)))
            let g = 0.5 * d * (1 + Foundation.erf(d / 2.0.squareRoot()))
            worstGELU = max(worstGELU, abs(Double(gelu[i]) - g) / max(1, abs(g)))
            worstTanhGrad = max(worstTanhGrad, abs(Double(dtanh[i]) - (1 - Foundation.tanh(d) * Foundation.tanh(d))))
            let dg = 0.5 * (1 + Foundation.erf(d / 2.0.squareRoot())) + d * Foundation.exp(-0.5 * d * d) / (2 * Double.pi).squareRoot()
            worstGELUGrad = max(worstGELUGrad, abs(Double(dgelu[i]) - dg))
        }
        XCTAssertLessThan(worstTanh, 5e-7)
        XCTAssertLessThan(worstGELU, 1e-6)
        XCTAssertLessThan(worstTanhGrad, 1e-6)
        XCTAssertLessThan(worstGELUGrad, 1e-6)
    }

    /// The gated activation tanh x·σ(x) (one exponential) and its derivative against the C
    /// library in Double, including the clamped far negative range and NaN.
    func testGatedTanh() {
        let xs = (0..<8001).map { -40 + Float($0) / 100 }
        let t = Tensor<Float>(xs)
        let value = t.activated(.gatedTanh).scalars
        let gradient = t.activationGradient(.gatedTanh, upstream: Tensor<Float>(ones: [xs.count])).scalars
        var worstValue = 0.0, worstGradient = 0.0
        for (i, x) in xs.enumerated() {
            let d = Double(x), th = Foundation.tanh(d), s = 1 / (1 + Foundation.exp(-d))
            worstValue = max(worstValue, abs(Double(value[i]) - th * s))
            worstGradient = max(worstGradient, abs(Double(gradient[i]) - ((1 - th * th) * s + th * s * (1 - s))))
        }
        XCTAssertLessThan(worstValue, 5e-7)
        XCTAssertLessThan(worstGradient, 1e-6)
        XCTAssertTrue(Tensor<Float>([.nan]).activated(.gatedTanh).scalars[0].isNaN)
        XCTAssertEqual(Tensor<Float>([-1000, 1000, -.infinity, .infinity]).activated(.gatedTanh).scalars.map { abs($0) < 1e-12 ? 0 : $0 }, [0, 1, 0, 1])
        XCTAssertEqual(Tensor<Float>([-1000, -.infinity]).activationGradient(.gatedTanh, upstream: Tensor<Float>(ones: [2])).scalars.map { abs($0) }, [0, 0])
    }

    /// The one-pass value and derivative a taped forward pass keeps: the value is `activated`'s
    /// bit for bit, and upstream·derivative is `activationGradient`'s bit for bit (a length with
    /// a tail); no derivative for ReLU (its gradient passes the upstream value itself) or Double.
    func testValueAndDerivativeInOnePass() {
        let n = 1_003
        let x = Tensor<Float>((0..<n).map { -12 + 24 * Float($0) / Float(n - 1) })
        let g = Tensor<Float>.randomNormal(shape: [n], key: RandomKey(seed: 3))
        for activation in [Activation.sigmoid, .silu, .tanh, .gatedTanh, .gelu] {
            let (value, derivative) = x.activatedWithDerivative(activation)
            XCTAssertEqual(value.scalars.map(\.bitPattern), x.activated(activation).scalars.map(\.bitPattern), "\(activation)")
            guard let derivative else { return XCTFail("\(activation) has a one-pass derivative") }
            XCTAssertEqual((g * derivative).scalars.map(\.bitPattern), x.activationGradient(activation, upstream: g).scalars.map(\.bitPattern), "\(activation)")
        }
        XCTAssertNil(x.activatedWithDerivative(.relu).derivative)
        XCTAssertNil(x.activatedWithDerivative(.softplus).derivative)
        let double = Tensor<Double>([0.5, -1])
        XCTAssertNil(double.activatedWithDerivative(.gelu).derivative)
        XCTAssertEqual(double.activatedWithDerivative(.gelu).value, double.gelu())
    }

    /// The arithmetic kernel against Swift's scalar operations bit for bit, for contiguous
    /// operands and a scalar on either side, lengths with and without a tail, in place too.
    func testArithmeticKernel() {
        for n in [0, 5, 16, 37] {
            let a = Tensor<Float>.randomNormal(shape: [max(n, 1)], key: RandomKey(seed: 60)).scalars
            let b = Tensor<Float>.randomNormal(shape: [max(n, 1)], key: RandomKey(seed: 61)).scalars.map { $0 + 3 }
            let operations: [(diffuse_arithmetic_operation, (Float, Float) -> Float)] = [
                (diffuse_arithmetic_add, { $0 + $1 }), (diffuse_arithmetic_subtract, { $0 - $1 }),
                (diffuse_arithmetic_multiply, { $0 * $1 }), (diffuse_arithmetic_divide, { $0 / $1 }),
            ]
            for (kernel, f) in operations {
                for (sa, sb) in [(1, 1), (1, 0), (0, 1)] {
                    var c = [Float](repeating: .nan, count: n)
                    diffuse_arithmetic(kernel, a, sa, b, sb, &c, n)
                    let expected = (0..<n).map { f(a[$0 * sa], b[$0 * sb]) }
                    XCTAssertEqual(c.map(\.bitPattern), expected.map(\.bitPattern), "\(kernel) strides \(sa), \(sb), n = \(n)")
                }
                var inPlace = Array(a.prefix(n))
                inPlace.withUnsafeMutableBufferPointer { p in
                    if let base = p.baseAddress { diffuse_arithmetic(kernel, base, 1, b, 1, base, n) }
                }
                XCTAssertEqual(inPlace.map(\.bitPattern), (0..<n).map { f(a[$0], b[$0]).bitPattern })
            }
        }
    }

    /// ReLU and its gradient in single precision (vector kernel, with a tail): x > 0 ? x : 0, so
    /// NaN and −0 give +0, and the gradient passes only where x > 0.
    func testReLUKernel() {
        let xs: [Float] = [-2, -0.0, 0, .leastNonzeroMagnitude, 3, .nan, -.infinity, .infinity, 5, -1, 2.5]
        let expected: [Float] = [0, 0, 0, .leastNonzeroMagnitude, 3, 0, 0, .infinity, 5, 0, 2.5]
        let t = Tensor<Float>(xs)
        XCTAssertEqual(t.relu().scalars.map(\.bitPattern), expected.map(\.bitPattern))
        let g = Tensor<Float>(xs.indices.map { Float($0) + 1 })
        let gradient = t.activationGradient(.relu, upstream: g).scalars
        XCTAssertEqual(gradient, xs.indices.map { xs[$0] > 0 ? Float($0) + 1 : 0 })
    }
}
