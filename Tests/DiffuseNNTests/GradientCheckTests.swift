import XCTest
import _DiffuseTestSupport
import DiffuseTensor
@testable import DiffuseNN

/// Finite-difference checks in Float64 of every operation's and layer's pullback, with respect
/// to inputs and parameters. The bar is a relative error below 1e-6.
final class GradientCheckTests: XCTestCase {
    let tolerance = 1e-6

    private func random(_ shape: [Int], _ seed: UInt64, scale: Double = 1, shift: Double = 0) -> Tensor<Double> {
        Tensor<Double>.randomNormal(shape: shape, key: RandomKey(seed: seed)).affine(scale: scale, shift: shift)
    }

    /// Values kept away from the kink at 0 of ReLU-like functions.
    private func awayFromZero(_ shape: [Int], _ seed: UInt64) -> Tensor<Double> {
        let x = random(shape, seed)
        return x + x.sign() * 0.1
    }

    private func assertGradients(_ inputs: [Tensor<Double>], _ name: String, file: StaticString = #filePath, line: UInt = #line,
                                 _ f: ([Variable<Double>]) -> Variable<Double>) {
        let result = checkGradients(inputs, f)
        XCTAssertLessThan(result.worst, tolerance, "\(name): \(result)", file: file, line: line)
    }

    func testArithmeticWithBroadcasting() {
        let a = random([3, 4], 1), b = random([4], 2), c = random([3, 1], 3, shift: 3)
        assertGradients([a, b], "add") { $0[0] + $0[1] }
        assertGradients([a, b], "subtract") { $0[0] - $0[1] }
        assertGradients([a, b], "multiply") { $0[0] * $0[1] }
        assertGradients([a, c], "divide") { $0[0] / $0[1] }
        assertGradients([a], "scalars") { (2 - $0[0] * 3 + 1) / 4 }
        assertGradients([a], "affine") { $0[0].affine(scale: -1.5, shift: 2) }
        assertGradients([a, b], "maximum/minimum") { $0[0].maximum($0[1] * 1.01) + $0[0].minimum($0[1] * 0.99) }
    }

    func testPointwiseFunctions() {
        let x = random([2, 5], 4)
        let positive = random([2, 5], 5).abs() + 0.5
        assertGradients([x], "exp") { $0[0].exp() }
        assertGradients([positive], "log") { $0[0].log() }
        assertGradients([positive], "squareRoot") { $0[0].squareRoot() }
        assertGradients([x], "squared") { $0[0].squared() }
        assertGradients([positive], "pow") { $0[0].pow(1.7) }
        assertGradients([x], "sin/cos") { $0[0].sin() * $0[0].cos() }
        assertGradients([awayFromZero([2, 5], 6)], "abs") { $0[0].abs() }
        assertGradients([x], "logSigmoid") { $0[0].logSigmoid() }
    }

    func testActivations() {
        let x = awayFromZero([3, 4], 7) * 2
        let all: [Activation] = [.relu, .leakyReLU(slope: 0.02), .silu, .gelu, .geluTanh, .selu, .sigmoid, .tanh, .softplus]
        for a in all {
            assertGradients([x], "\(a)") { $0[0].activated(a) }
        }
    }

    func testReductions() {
        let x = random([2, 3, 4], 8)
        assertGradients([x], "sum") { $0[0].sum() }
        assertGradients([x], "sum axes") { $0[0].sum(alongAxes: [0, 2]) }
        assertGradients([x], "sum keep") { $0[0].sum(alongAxis: 1, keepingDimension: true) * $0[0] }
        assertGradients([x], "mean") { $0[0].mean(alongAxes: [1]) }
        assertGradients([x], "logSumExp") { $0[0].logSumExp(alongAxes: [2]) }
        assertGradients([x], "max") { $0[0].max(alongAxis: 1) }
    }

    func testMatrixProductsAndLinear() {
        let a = random([2, 3, 4], 9), b = random([4, 5], 10), bb = random([2, 4, 5], 11)
        assertGradients([a, b], "matmul broadcast") { matmul($0[0], $0[1]) }
        assertGradients([a, bb], "matmul batched") { matmul($0[0], $0[1]) }
        assertGradients([a.transposed().contiguous(), b], "matmul transposed view") { matmul($0[0].transposed(), $0[1]) }
        let w = random([3, 4], 12), bias = random([3], 13)
        assertGradients([a, w, bias], "linear") { linear($0[0], weight: $0[1], bias: $0[2]) }
        assertGradients([a, w], "linear without bias") { linear($0[0], weight: $0[1], bias: nil) }
        let residual = random([2, 3, 3], 16)
        assertGradients([a, w, bias, residual], "linear adding a residual") { linear($0[0], weight: $0[1], bias: $0[2], adding: $0[3]) }
        assertGradients([a, w, residual], "linear without bias adding a residual") { linear($0[0], weight: $0[1], bias: nil, adding: $0[2]) }
        let x = Variable(a), weight = Variable(w), shift = Variable(bias), r = Variable(residual)
        assertClose(linear(x, weight: weight, bias: shift, adding: r).value, (linear(x, weight: weight, bias: shift) + r).value, absolute: 1e-14)
    }

    func testShapeOperations() {
        let x = random([2, 3, 4], 14), y = random([2, 2, 4], 15)
        assertGradients([x], "reshape") { $0[0].reshaped([6, 4]) * $0[0].reshaped([6, 4]) }
        assertGradients([x], "permute") { $0[0].permuted([2, 0, 1]).squared() }
        assertGradients([x], "transpose") { matmul($0[0].transposed(), $0[0]) }
        assertGradients([x], "slice") { $0[0].slice(axis: 1, 1..<3).exp() }
        assertGradients([x], "select") { $0[0].selecting(axis: 2, index: 1).squared() }
        assertGradients([x, y], "concatenate") { Variable.concatenate([$0[0], $0[1]], alongAxis: 1).squared() }
        assertGradients([x, x * 2], "stack") { Variable.stack([$0[0], $0[1]], alongAxis: 1).squared() }
        assertGradients([x], "pad") { $0[0].padded(alongAxis: 2, before: 1, after: 2, value: 3).squared() }
        assertGradients([x], "reverse") { $0[0].reversed(axis: 2) * $0[0] }
        assertGradients([x], "broadcast") { $0[0].sum(alongAxis: 0, keepingDimension: true).broadcast(to: [2, 3, 4]) * $0[0] }
        assertGradients([x], "indexSelect") { $0[0].indexSelect(alongAxis: 1, indices: [2, 0, 2]).squared() }
        let idx = IndexTensor(shape: [2, 3, 1], indices: [0, 3, 1, 2, 2, 0])
        assertGradients([x], "gather") { $0[0].gather(alongAxis: 2, indices: idx).squared() }
        assertGradients([x], "expand/squeeze") { $0[0].expandingShape(at: 1).squeezingShape(at: [1]).squared() }
    }

    func testSoftmaxAndLosses() {
        let logits = random([4, 5], 16)
        assertGradients([logits], "softmax") { $0[0].softmax(alongAxis: 1) }
        assertGradients([logits], "logSoftmax") { $0[0].logSoftmax(alongAxis: 0) }
        let targets = [1, 4, 0, 2]
        assertGradients([logits], "cross-entropy") { Loss.crossEntropy(logits: $0[0], targets: targets) }
        assertGradients([logits], "masked cross-entropy") { Loss.crossEntropy(logits: $0[0], targets: targets, mask: Tensor([1, 0, 1, 1])) }
        let prediction = random([3, 4], 17), target = random([3, 4], 18)
        assertGradients([prediction], "mse") { Loss.meanSquaredError($0[0], target) }
        let offTarget = target + (prediction - target).sign() * 0.2 - (prediction - target)
        assertGradients([prediction], "mae") { Loss.meanAbsoluteError($0[0], offTarget) }
        let levels = Tensor<Double>(shape: [3, 1], scalars: [0.1, 0.5, 0.9])
        assertGradients([prediction], "quantile") { Loss.quantile($0[0], offTarget, level: levels) }
    }

    func testConvolutions() {
        let x = random([2, 4, 9], 19), w = random([6, 2, 3], 20), b = random([6], 21)
        assertGradients([x, w, b], "conv1d grouped dilated padded") {
            convolution1D($0[0], weight: $0[1], bias: $0[2], padding: 2, dilation: 2, groups: 2)
        }
        let w1 = random([5, 4, 3], 22)
        assertGradients([x, w1], "conv1d strided") { convolution1D($0[0], weight: $0[1], stride: 2, padding: 1) }
        let wp = random([3, 4, 1], 23)
        assertGradients([x, wp], "conv1d pointwise") { convolution1D($0[0], weight: $0[1]) }
        // Channels last: "same" padding (dilated), valid (no padding) and one-sided shapes.
        let xc = random([2, 9, 3], 38), wc = random([4, 3, 3], 39), bc = random([4], 40)
        assertGradients([xc, wc, bc], "channels-last conv1d same dilated") { channelsLastConvolution1D($0[0], weight: $0[1], bias: $0[2], padding: 2, dilation: 2) }
        assertGradients([xc, wc], "channels-last conv1d valid") { channelsLastConvolution1D($0[0], weight: $0[1], padding: 0, dilation: 3) }
        assertGradients([xc, wc], "channels-last conv1d wide padding") { channelsLastConvolution1D($0[0], weight: $0[1], padding: 3, dilation: 1) }
        let kernel = random([4, 18], 24)
        assertGradients([x, kernel], "circular FFT convolution") { circularConvolution($0[0], kernel: $0[1]) }
        // Channels last with an even channel count: the paired complex-FFT path.
        let xl = random([3, 5, 4], 34), kl = random([11, 4], 35)
        assertGradients([xl, kl], "channels-last circular convolution") { circularConvolution($0[0], kernel: $0[1], alongAxis: 1) }
    }

    func testConvolutionMatchesDirectSum() {
        let x = random([1, 2, 7], 25)
        // Direct definition: y[o, t] = Σ_c Σ_k w[o, c, k] · xpad[c, t + 2k].
        let w2 = random([3, 2, 3], 27)
        let y2 = convolution1D(Variable(x), weight: Variable(w2), padding: 1, dilation: 2).value
        let xp = x.padded(alongAxis: 2, before: 1, after: 1)
        XCTAssertEqual(y2.shape, [1, 3, 5])
        for o in 0..<3 { for t in 0..<5 {
            var s = 0.0
            for c in 0..<2 { for k in 0..<3 { s += w2[element: o, c, k] * xp[element: 0, c, t + 2 * k] } }
            XCTAssertEqual(y2[element: 0, o, t], s, accuracy: 1e-12)
        } }
        // A causal kernel padded to 2L equals the linear causal convolution.
        let u = random([2, 3, 6], 28), k = random([3, 6], 29)
        let circ = circularConvolution(Variable(u), kernel: Variable(k.padded(alongAxis: 1, before: 0, after: 6))).value
        XCTAssertEqual(circ.scalars.count, FFT.convolve(u, k, mode: .causal).scalars.count)
        for (a, b) in zip(circ.scalars, FFT.convolve(u, k, mode: .causal).scalars) { XCTAssertEqual(a, b, accuracy: 1e-12) }
        // The channels-last convolution equals the channels-first one on the transposes.
        for (padding, dilation) in [(0, 1), (4, 2), (1, 3), (6, 1)] {
            let xc = random([3, 8, 5], 41), wc = random([6, 5, 3], 42), bc = random([6], 43)
            let last = channelsLastConvolution1D(Variable(xc), weight: Variable(wc), bias: Variable(bc), padding: padding, dilation: dilation).value
            let first = convolution1D(Variable(xc.permuted([0, 2, 1]).contiguous()), weight: Variable(wc), bias: Variable(bc),
                                      padding: padding, dilation: dilation).value.permuted([0, 2, 1]).contiguous()
            XCTAssertEqual(last.shape, first.shape, "padding \(padding), dilation \(dilation)")
            for (a, b) in zip(last.scalars, first.scalars) { XCTAssertEqual(a, b, accuracy: 1e-12) }
        }
        // Channels last (paired complex FFTs) equals channels first (real FFTs), even and odd N.
        for n in [14, 13] {
            let ul = random([3, 7, 6], 36), kl = random([n, 6], 37)
            let last = circularConvolution(Variable(ul), kernel: Variable(kl), alongAxis: 1).value
            let first = circularConvolution(Variable(ul.permuted([0, 2, 1]).contiguous()), kernel: Variable(kl.transposed().contiguous())).value
            XCTAssertEqual(last.shape, [3, 7, 6])
            for (a, b) in zip(last.scalars, first.permuted([0, 2, 1]).contiguous().scalars) { XCTAssertEqual(a, b, accuracy: 1e-12) }
        }
    }

    func testNormalizationAndAttention() {
        let x = random([2, 3, 4], 30)
        assertGradients([x], "standardized") { $0[0].standardized(overLastAxes: 1) }
        assertGradients([x], "standardized two axes") { $0[0].standardized(overLastAxes: 2) }
        let q = random([2, 3, 4], 31), k = random([2, 5, 4], 32), v = random([2, 5, 2], 33)
        let allowed = Tensor<Double>(shape: [1, 3, 5], scalars: [1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 1, 1, 1, 1])
        assertGradients([q, k, v], "attention with mask") {
            scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], mask: attentionMask(allowed: allowed))
        }
    }

    func testLayersWithRespectToInputsAndParameters() {
        func checkLayer(_ name: String, parameters: ParameterSet<Double>, input: Tensor<Double>,
                        _ f: @escaping (Variable<Double>, BoundParameters<Double>) -> Variable<Double>) {
            let names = parameters.names
            let inputs = [input] + names.map { parameters[$0]! }
            assertGradients(inputs, name) { vars in
                // Bind the parameter variables themselves so gradients flow into them.
                let bp = BoundParameters(tape: nil, names: names, variables: Dictionary(uniqueKeysWithValues: zip(names, vars.dropFirst())))
                return f(vars[0], bp)
            }
        }
        let key = RandomKey(seed: 40)
        let lin = Linear(name: "fc", inputSize: 4, outputSize: 3)
        checkLayer("Linear", parameters: lin.makeParameters(key: key), input: random([2, 4], 41)) { lin($0, $1) }
        let mlp = MLP(name: "mlp", sizes: [3, 5, 2], activation: .silu)
        checkLayer("MLP", parameters: mlp.makeParameters(key: key), input: random([4, 3], 42)) { mlp($0, $1) }
        let conv = Convolution1D(name: "conv", inputChannels: 2, outputChannels: 4, kernelSize: 3, padding: 1, groups: 2)
        checkLayer("Conv1d", parameters: conv.makeParameters(key: key), input: random([2, 2, 5], 43)) { conv($0, $1) }
        let ln = LayerNorm(name: "ln", size: 4)
        var lnParameters: ParameterSet<Double> = ln.makeParameters(key: key)
        lnParameters["ln.weight"] = random([4], 44)
        lnParameters["ln.bias"] = random([4], 45)
        checkLayer("LayerNorm", parameters: lnParameters, input: random([3, 4], 46)) { ln($0, $1) }
        let gn = GroupNorm(name: "gn", groups: 2, channels: 4)
        var gnParameters: ParameterSet<Double> = gn.makeParameters(key: key)
        gnParameters["gn.weight"] = random([4], 47)
        checkLayer("GroupNorm", parameters: gnParameters, input: random([2, 4, 3], 48)) { gn($0, $1) }
        let attention = MultiHeadAttention(name: "attn", embedSize: 4, heads: 2)
        var attentionParameters: ParameterSet<Double> = attention.makeParameters(key: key)
        attentionParameters["attn.in_proj_bias"] = random([12], 49, scale: 0.1)
        let causal = causalAttentionMask(length: 3, as: Double.self)
        checkLayer("MultiHeadAttention (causal mask)", parameters: attentionParameters, input: random([2, 3, 4], 50)) { attention($0, $1, mask: causal) }
        let encoder = TransformerEncoderLayer(name: "enc", modelSize: 4, heads: 2, feedForwardSize: 6, dropout: 0, activation: .gelu)
        checkLayer("TransformerEncoderLayer", parameters: encoder.makeParameters(key: key), input: random([1, 3, 4], 51)) { encoder($0, $1) }
        let embedding = Embedding(name: "emb", count: 5, size: 3)
        checkLayer("Embedding", parameters: embedding.makeParameters(key: key), input: random([1], 52)) { x, p in
            embedding(IndexTensor(shape: [2, 2], indices: [4, 0, 4, 2]), p) * x
        }
    }
}

/// Single-precision layer normalisation (the C kernels: eight-lane row sums, affine part fused)
/// against the double-precision path, forward and every gradient, for rows with and without a
/// tail beyond the vector width and with and without the affine parameters.
final class SinglePrecisionLayerNormTests: XCTestCase {
    func testMatchesDoublePrecision() {
        for (width, affine) in [(64, true), (13, true), (5, false), (24, false)] {
            let x = Tensor<Double>.randomNormal(shape: [7, width], key: RandomKey(seed: UInt64(width))) * 3 + 1
            let weight = Tensor<Double>.randomNormal(shape: [width], key: RandomKey(seed: 100 + UInt64(width)))
            let bias = Tensor<Double>.randomNormal(shape: [width], key: RandomKey(seed: 200 + UInt64(width)))
            let seed = Tensor<Double>.randomNormal(shape: [7, width], key: RandomKey(seed: 300 + UInt64(width)))
            func run<S: TensorScalar>(_: S.Type) -> [Tensor<Double>] {
                let tape = Tape<S>()
                let (vx, vw, vb) = (tape.watch(Tensor<S>(x)), tape.watch(Tensor<S>(weight)), tape.watch(Tensor<S>(bias)))
                let y = layerNormalization(vx, weight: affine ? vw : nil, bias: affine ? vb : nil)
                let g = tape.gradient(of: y, seed: Tensor<S>(seed))
                return ([y.value, g[vx]] + (affine ? [g[vw], g[vb]] : [])).map { Tensor<Double>($0) }
            }
            let (single, double) = (run(Float.self), run(Double.self))
            for (name, (s, d)) in zip(["output", "∂x", "∂weight", "∂bias"], zip(single, double)) {
                assertClose(s, d, absolute: 2e-5 * Double(width).squareRoot(), relative: 1e-5, "\(name), width \(width)")
            }
        }
    }
}
