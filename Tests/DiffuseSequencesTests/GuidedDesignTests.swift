import Foundation
import XCTest
import _DiffuseTestSupport
import DiffuseCore
import DiffuseNN
import DiffuseTensor
@testable import DiffuseSequences

/// Reward-guided design end to end on a small trained model: SVDD over the masked sampler raises
/// a motif reward above the unguided model's.
final class GuidedDesignTests: XCTestCase {
    func testSVDDRaisesAMotifRewardOverTheTrainedModel() throws {
        // Toy data: random DNA with a TATA-like site at a random place in half the sequences.
        let site = [3, 0, 3, 0, 0, 0]
        let train = (0..<256).map { i -> [Int] in
            var stream = RandomStream(key: RandomKey(seed: 1).folding(in: i))
            var x = (0..<16).map { _ in stream.integer(below: 4) }
            if i % 2 == 0 { let start = stream.integer(below: 10); x.replaceSubrange(start..<(start + 6), with: site) }
            return x
        }
        let network = DilatedConvolutionNetwork(hidden: 16, kernelSize: 3, dilations: [1, 2, 4], stacks: 1)
        let (model, _) = try MaskedDiffusionTrainer.train(network: .convolution(network), on: train,
                                                          configuration: SequenceTrainingConfiguration(steps: 400, batchSize: 32, learningRate: 1e-2, emaDecay: 0.9))
        let pfm = PositionFrequencyMatrix(identifier: "SITE", name: "toy", counts: (0..<4).map { b in site.map { $0 == b ? 20.0 : 1.0 } })
        let reward = MotifReward(motifs: [PositionWeightMatrix(pfm)])
        let sampler = MaskedDiffusionSampler(model: model.denoiser, schedule: LogLinearMasking(), steps: 16)
        let kernel = MaskedDiffusionKernel(sampler: sampler)
        let n = 64
        let start = TokenBatch.masked(count: n, length: 16, vocabularySize: 4)
        let base = DiffuseCore.sample(sampler, from: start, key: RandomKey(seed: 2))
        let guided = ParticleGuidance.svdd(kernel, from: start, candidates: 4, key: RandomKey(seed: 2)) { reward($0) }
        let baseRewards = reward(base.samples), guidedRewards = guided.rewards
        XCTAssertEqual(guidedRewards, reward(guided.samples))
        XCTAssertGreaterThan(SequenceMetrics.quantile(guidedRewards, 0.5), SequenceMetrics.quantile(baseRewards, 0.5) + 2,
                             "medians \(SequenceMetrics.quantile(guidedRewards, 0.5)) against \(SequenceMetrics.quantile(baseRewards, 0.5))")
        // SVDD pays for its candidates: per step and sample, the 4 copies of the particle are one
        // distinct row (the network's rows are independent, so it runs once), and at most 4 rows
        // are estimated (fewer when candidates coincide or no mask is left), plus a final noise
        // removal: between 1 and 1 + 4 rows per step.
        XCTAssertGreaterThanOrEqual(guided.statistics.sampleEvaluations, Double(16))
        XCTAssertLessThanOrEqual(guided.statistics.sampleEvaluations, Double(16 + 4 * 16 + 4))
        XCTAssertEqual(base.statistics.functionEvaluations, 16 + (base.statistics.functionEvaluations > 16 ? 1 : 0))
    }
}
