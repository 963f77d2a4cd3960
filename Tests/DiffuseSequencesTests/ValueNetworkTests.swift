import Foundation
import XCTest
import _DiffuseTestSupport
import DiffuseCore
import DiffuseNN
import DiffuseTensor
@testable import DiffuseSequences

/// SVDD-MC's value network: its gradients against finite differences, and a fit on rollouts whose
/// values track the reward of the sequences they are given.
final class ValueNetworkTests: XCTestCase {
    func testGradientsAgainstFiniteDifferences() {
        let network = ValueNetwork(hidden: 4, kernelSize: 3, dilations: [1, 2])
        let parameters = network.makeParameters(as: Double.self, key: RandomKey(seed: 1))
        let x = TokenBatch(tokens: [0, 1, 4, 3, 2, 4, 1, 0, 3, 3, 2, 1], length: 6, vocabularySize: 4)
        let targets = Tensor<Double>(shape: [2], scalars: [0.5, -1])
        func loss(_ p: ParameterSet<Double>) -> Double { Loss.meanSquaredError(network(x, p.constants), targets).value.scalar }
        let tape = Tape<Double>()
        let bound = parameters.bound(to: tape)
        let gradients = bound.gradients(tape.gradient(of: Loss.meanSquaredError(network(x, bound), targets)))
        for name in parameters.names {
            let analytic = gradients[name]!.scalars
            let values = parameters[name]!.scalars
            for i in stride(from: 0, to: values.count, by: Swift.max(1, values.count / 5)) {
                var plus = parameters, minus = parameters
                var up = values, down = values
                up[i] += 1e-6; down[i] -= 1e-6
                plus[name] = Tensor(shape: parameters[name]!.shape, scalars: up)
                minus[name] = Tensor(shape: parameters[name]!.shape, scalars: down)
                let numeric = (loss(plus) - loss(minus)) / 2e-6
                XCTAssertEqual(analytic[i], numeric, accuracy: 1e-6 * Swift.max(1, Swift.abs(numeric)), "\(name)[\(i)]")
            }
        }
    }

    func testFittedValuesTrackTheReward() {
        // An untrained (random) CNN as the pretrained model; the reward counts G's.
        let denoiserNetwork = DilatedConvolutionNetwork(hidden: 8, kernelSize: 3, dilations: [1], stacks: 1)
        let denoiser = DilatedConvolutionDenoiser(network: denoiserNetwork, parameters: denoiserNetwork.makeParameters(as: Float.self, key: RandomKey(seed: 2)))
        let sampler = MaskedDiffusionSampler(model: denoiser, schedule: LogLinearMasking(), steps: 8)
        let reward: (TokenBatch) -> [Double] = { x in (0..<x.sampleCount).map { i in Double(x[sample: i].filter { $0 == 2 }.count) } }
        let fitted = ValueNetwork(hidden: 16, kernelSize: 3, dilations: [1, 2]).fit(sampler: sampler, length: 12, reward: reward, rollouts: 128,
                                                                                   key: RandomKey(seed: 3), steps: 400, batchSize: 32, learningRate: 3e-3)
        XCTAssertEqual(fitted.rolloutCount, 128)
        // On fresh clean sequences the value correlates with the reward.
        let fresh = sampler.sample(count: 200, length: 12, key: RandomKey(seed: 4)).samples
        let values = fitted.network.values(fresh, parameters: fitted.parameters)
        XCTAssertGreaterThan(SequenceMetrics.correlation(values, reward(fresh)), 0.8)
    }
}
