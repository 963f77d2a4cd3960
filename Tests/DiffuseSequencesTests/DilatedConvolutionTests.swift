import Foundation
import XCTest
import _DiffuseTestSupport
import DiffuseCore
import DiffuseNN
import DiffuseTensor
@testable import DiffuseSequences

final class DilatedConvolutionTests: XCTestCase {
    /// The default network has the SVDD DNA model's size; logits have the batch's shape and do not
    /// depend on the other sequences of the batch, nor on the chunking.
    func testShapesParameterCountAndRowIndependence() {
        let network = DilatedConvolutionNetwork()
        let parameters = network.makeParameters(as: Float.self, key: RandomKey(seed: 1))
        // Embedding 5·128, 20 × (conv 128·128·9 + 128 and norm 2·128), final norm 2·128, output 128·4 + 4.
        XCTAssertEqual(parameters.scalarCount, 5 * 128 + 20 * (128 * 128 * 9 + 128 + 256) + 256 + 128 * 4 + 4)
        let small = DilatedConvolutionNetwork(hidden: 8, kernelSize: 3, dilations: [1, 2], stacks: 2)
        let p = small.makeParameters(as: Double.self, key: RandomKey(seed: 2))
        let x = TokenBatch(tokens: (0..<(3 * 12)).map { ($0 * 7) % 5 }, length: 12, vocabularySize: 4)
        let logits = small(x, p.constants).value
        XCTAssertEqual(logits.shape, [3, 12, 4])
        let alone = small(x.gatheringSamples([1]), p.constants).value
        assertClose(alone, logits.slice(axis: 0, 1..<2).contiguous(), absolute: 1e-12)
        let chunked = DilatedConvolutionDenoiser(network: small, parameters: p, batchChunkSize: 1)
        var unit: Void = ()
        XCTAssertEqual(chunked.logits(x, at: [0.5, 0.5, 0.5], key: .fixed, state: &unit), logits)
    }

    /// With the network's Float32 logits, the cached sampler (whole batch and row by row) draws the
    /// same sequences bit for bit as the uncached one, for plain sampling and for SVDD and SMC over
    /// its kernel, with fewer evaluated rows.
    func testCachedSamplingEqualsUncachedBitForBit() {
        let network = DilatedConvolutionNetwork(hidden: 16, kernelSize: 5, dilations: [1, 4], stacks: 2)
        let denoiser = DilatedConvolutionDenoiser(network: network, parameters: network.makeParameters(as: Float.self, key: RandomKey(seed: 5)), batchChunkSize: 2)
        let reward: (TokenBatch) -> [Double] = { x in (0..<x.sampleCount).map { i in Double(x[sample: i].filter { $0 == 2 }.count) } }
        let start = TokenBatch.masked(count: 6, length: 24, vocabularySize: 4)
        func sampler(_ cache: Bool) -> MaskedDiffusionSampler<DilatedConvolutionDenoiser<Float>> {
            MaskedDiffusionSampler(model: denoiser, schedule: LogLinearMasking(), steps: 48, cache: cache)
        }
        let cached = DiffuseCore.sample(sampler(true), from: start, key: RandomKey(seed: 6))
        let uncached = DiffuseCore.sample(sampler(false), from: start, key: RandomKey(seed: 6))
        XCTAssertEqual(cached.samples, uncached.samples)
        for method in ["svdd", "smc"] {
            func run(_ cache: Bool) -> SampleResult<TokenBatch> {
                let kernel = MaskedDiffusionKernel(sampler: sampler(cache))
                return method == "svdd"
                    ? ParticleGuidance.svdd(kernel, from: start, candidates: 3, key: RandomKey(seed: 7), reward: reward)
                    : ParticleGuidance.smc(kernel, from: start, particles: 3, temperature: 0.5, key: RandomKey(seed: 7), reward: reward)
            }
            let (a, b) = (run(true), run(false))
            XCTAssertEqual(a.samples, b.samples, method)
            XCTAssertEqual(a.rewards, b.rewards, method)
            XCTAssertLessThan(a.statistics.sampleEvaluations, b.statistics.sampleEvaluations, method)
        }
    }

    /// Gradients of the masked-diffusion loss through the network against central differences in
    /// Float64.
    func testLossGradientsAgainstFiniteDifferences() {
        let small = DilatedConvolutionNetwork(hidden: 4, kernelSize: 3, dilations: [1, 2], stacks: 1)
        let parameters = small.makeParameters(as: Double.self, key: RandomKey(seed: 3))
        let clean = TokenBatch(tokens: [0, 1, 2, 3, 3, 2, 1, 0, 0, 2, 2, 1], length: 6, vocabularySize: 4)
        let objective = MaskedDiffusionObjective()
        let example = objective.example(for: clean, key: RandomKey(seed: 4))
        XCTAssertGreaterThan(example.noisy.maskedCount, 0)
        func loss(_ p: ParameterSet<Double>) -> Double { objective.loss(logits: small(example.noisy, p.constants), example).value.scalar }
        let tape = Tape<Double>()
        let bound = parameters.bound(to: tape)
        let value = objective.loss(logits: small(example.noisy, bound), example)
        let gradients = bound.gradients(tape.gradient(of: value))
        for name in ["embedding.weight", "blocks.1.conv.weight", "blocks.0.norm.weight", "output.bias"] {
            let analytic = gradients[name]!
            for index in [0, analytic.count / 2, analytic.count - 1] {
                let h = 1e-6
                func shifted(_ delta: Double) -> ParameterSet<Double> {
                    var p = parameters
                    p.modify(name) { tensor in
                        var values = tensor.scalars
                        values[index] += delta
                        tensor = Tensor(shape: tensor.shape, scalars: values)
                    }
                    return p
                }
                XCTAssertEqual(analytic.scalars[index], (loss(shifted(h)) - loss(shifted(-h))) / (2 * h), accuracy: 1e-7, "\(name)[\(index)]")
            }
        }
    }
}
