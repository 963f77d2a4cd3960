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

    /// With a time embedding the logits depend on each sequence's own time (not on the other rows
    /// or the chunking), the masked sampler cannot reuse them (one evaluation per step), and the
    /// configuration round-trips through a checkpoint; an odd embedding width is refused naming
    /// the field.
    func testTimeConditionedNetwork() throws {
        let network = DilatedConvolutionNetwork(hidden: 8, kernelSize: 3, dilations: [1, 2], stacks: 1, timeEmbedding: 6)
        XCTAssertTrue(network.usesTime)
        let p = network.makeParameters(as: Double.self, key: RandomKey(seed: 8))
        XCTAssertEqual(p.scalarCount, 5 * 8 + (6 * 8 + 8) + 2 * (8 * 8 * 3 + 8 + 16 + 8 * 8 + 8) + 16 + 8 * 4 + 4)
        let x = TokenBatch(tokens: (0..<(3 * 10)).map { ($0 * 3) % 5 }, length: 10, vocabularySize: 4)
        let times = [0.1, 0.5, 0.9]
        let logits = network(x, times: times, p.constants).value
        let alone = network(x.gatheringSamples([2]), times: [0.9], p.constants).value
        assertClose(alone, logits.slice(axis: 0, 2..<3).contiguous(), absolute: 1e-12)
        let later = network(x.gatheringSamples([2]), times: [0.2], p.constants).value
        XCTAssertGreaterThan(zip(later.scalars, alone.scalars).map { Swift.abs($0 - $1) }.max()!, 1e-4)
        let chunked = DilatedConvolutionDenoiser(network: network, parameters: p, batchChunkSize: 1)
        var unit: Void = ()
        XCTAssertTrue(chunked.usesTime)
        XCTAssertEqual(chunked.logits(x, at: times, key: .fixed, state: &unit), logits)
        let sampled = MaskedDiffusionSampler(model: chunked, schedule: LogLinearMasking(), steps: 30, finalNoiseRemoval: false)
            .sample(count: 2, length: 10, key: RandomKey(seed: 9))
        XCTAssertEqual(sampled.statistics.functionEvaluations, 30)

        let model = SequenceModel(configuration: .init(network: .convolution(network), length: 10, training: SequenceTrainingConfiguration(), process: .uniform),
                                  parameters: network.makeParameters(as: Float.self, key: RandomKey(seed: 10)))
        let folder = try makeTemporaryFolder()
        try model.save(to: folder)
        let loaded = try SequenceModel.load(from: folder)
        XCTAssertEqual(loaded.configuration, model.configuration)
        XCTAssertEqual(loaded.parameters, model.parameters)
        var odd = model.configuration
        var oddNetwork = network
        oddNetwork.timeEmbedding = 7
        odd.network = .convolution(oddNetwork)
        try Checkpoint.save(parameters: model.parameters, configuration: odd, to: folder)
        XCTAssertThrowsError(try SequenceModel.load(from: folder)) { XCTAssertTrue("\($0)".contains("network.timeEmbedding = 7"), "\($0)") }
    }

    /// Gradients of the masked- and uniform-diffusion losses through the network (without and
    /// with a time embedding) against central differences in Float64.
    func testLossGradientsAgainstFiniteDifferences() {
        let clean = TokenBatch(tokens: [0, 1, 2, 3, 3, 2, 1, 0, 0, 2, 2, 1], length: 6, vocabularySize: 4)
        for timeEmbedding in [nil, 4] as [Int?] {
            let small = DilatedConvolutionNetwork(hidden: 4, kernelSize: 3, dilations: [1, 2], stacks: 1, timeEmbedding: timeEmbedding)
            var names = ["embedding.weight", "blocks.1.conv.weight", "blocks.0.norm.weight", "output.bias"]
            if timeEmbedding != nil { names += ["time_embedding.weight", "blocks.1.time.weight", "blocks.0.time.bias"] }
            if timeEmbedding == nil {
                checkGradients(small, MaskedDiffusionObjective(), clean: clean, names: names)
            } else {
                checkGradients(small, UniformDiffusionObjective(), clean: clean, names: names)
            }
        }
    }

    private func checkGradients<O: DiscreteDiffusionObjective>(_ small: DilatedConvolutionNetwork, _ objective: O, clean: TokenBatch, names: [String],
                                                              file: StaticString = #filePath, line: UInt = #line) {
        let parameters = small.makeParameters(as: Double.self, key: RandomKey(seed: 3))
        let example = objective.example(for: clean, key: RandomKey(seed: 4), sampleOffset: 0, batchCount: clean.sampleCount)
        let input = objective.input(of: example)
        func loss(_ p: ParameterSet<Double>) -> Double { objective.loss(logits: small(input.tokens, times: input.times, p.constants), example).value.scalar }
        let tape = Tape<Double>()
        let bound = parameters.bound(to: tape)
        let value = objective.loss(logits: small(input.tokens, times: input.times, bound), example)
        let gradients = bound.gradients(tape.gradient(of: value))
        for name in names {
            let analytic = gradients[name]!
            for index in [0, analytic.count / 2, analytic.count - 1] {
                // D3PM's bound multiplies by T = 1 000: round-off at h = 10⁻⁶ reaches 10⁻⁷, so a larger h.
                let h = 1e-4
                func shifted(_ delta: Double) -> ParameterSet<Double> {
                    var p = parameters
                    p.modify(name) { tensor in
                        var values = tensor.scalars
                        values[index] += delta
                        tensor = Tensor(shape: tensor.shape, scalars: values)
                    }
                    return p
                }
                XCTAssertEqual(analytic.scalars[index], (loss(shifted(h)) - loss(shifted(-h))) / (2 * h), accuracy: 1e-7, "\(name)[\(index)]", file: file, line: line)
            }
        }
    }
}
