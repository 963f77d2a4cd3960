import Foundation
import XCTest
import _DiffuseTestSupport
import DiffuseTensor
@testable import DiffuseCore

/// Guidance terms stack in any order, and every stacked model that claims differentiability
/// differentiates correctly (finite differences in Float64).
final class GuidanceCompositionTests: XCTestCase {
    let schedule = DiscreteVPSchedule(trainingSteps: 1000)
    let pair = ConditionalExactModel(unconditional: GaussianMixture(means: Tensor(rows: [[-2, 0], [2, 1]]), standardDeviation: 0.4),
                                     conditional: GaussianMixture(means: Tensor(rows: [[-1, 1], [3, 1]]), standardDeviation: 0.5))
    let x = Tensor<Double>(rows: [[0.3, -0.4], [1.5, 0.8], [-0.7, 0.2]])
    let v = Tensor<Double>(rows: [[0.7, -1.1], [0.2, 0.5], [-0.3, 0.9]])

    /// The classifier-free combination is a function on any vector space: logits too.
    func testClassifierFreeRuleOnLogits() {
        let conditional: [Double] = [2.0, -1.0, 0.5], unconditional: [Double] = [1.0, 0.0, 0.5]
        XCTAssertEqual(ClassifierFreeRule.standard(scale: 3).combine(conditional: conditional, unconditional: unconditional), [4.0, -3.0, 0.5])
        XCTAssertEqual(ClassifierFreeRule.original(scale: 2).combine(conditional: conditional, unconditional: unconditional),
                       ClassifierFreeRule.standard(scale: 3).combine(conditional: conditional, unconditional: unconditional))
        XCTAssertEqual(ClassifierFreeRule.standard(scale: 1).combine(conditional: conditional, unconditional: unconditional), conditional)
        for rule in [ClassifierFreeRule.standard(scale: 7.5), .original(scale: 2), .plusPlus(lambda: 0.6)] {
            XCTAssertEqual(rule.weights.conditional + rule.weights.unconditional, 1, accuracy: 1e-15)
        }
    }

    /// Classifier-free guidance (standard, CFG++) and adaptive guidance over a differentiable
    /// conditional model differentiate exactly; the post-step term forwards its base's gradient.
    func testGuidedModelsDifferentiateExactly() {
        let point = schedule.point(at: 300)
        let energy = ObservationEnergy(observed: Tensor(shape: [3, 2], repeating: 0.5), mask: Tensor(shape: [3, 2], repeating: 1), loss: .squared)
        XCTAssertLessThan(modelGradientError(ClassifierFreeGuidance(pair, condition: 1, rule: .standard(scale: 3)), at: x, point: point, cotangent: v), 1e-6)
        XCTAssertLessThan(modelGradientError(ClassifierFreeGuidance(pair, condition: 1, rule: .plusPlus(lambda: 0.6)), at: x, point: point, cotangent: v), 1e-6)
        XCTAssertLessThan(modelGradientError(AdaptiveGuidance(pair, condition: 1, scale: 3), at: x, point: point, cotangent: v), 1e-6)
        XCTAssertLessThan(modelGradientError(PostStepGuidance(ClassifierFreeGuidance(pair, condition: 1, rule: .standard(scale: 2)), energy: energy,
                                                              rule: .tsdiff(scale: 1)), at: x, point: point, cotangent: v), 1e-6)
        // Outside its active window CFG is the conditional model, gradient included.
        XCTAssertLessThan(modelGradientError(ClassifierFreeGuidance(pair, condition: 1, rule: .standard(scale: 3), activeTimes: 500...900),
                                             at: x, point: point, cotangent: v), 1e-6)
    }

    /// Gradient guidance's derivative holds the guidance shift constant (a stop-gradient): with a
    /// classifier gradient that does not depend on x it is exact.
    func testGradientGuidedModelDerivativeWithAConstantShift() {
        let point = schedule.point(at: 300)
        let shift = Tensor<Double>(rows: [[0.2, -0.1], [0.0, 0.3], [0.5, 0.5]])
        let guided = GradientGuidedModel<Conditioned<ConditionalExactModel>, ObservationEnergy<Double>>(Conditioned(pair, condition: 1),
                                                                                                       source: .classifier { _, _ in shift }, scale: 2)
        XCTAssertLessThan(modelGradientError(guided, at: x, point: point, cotangent: v), 1e-6)
    }

    /// Terms stack in either order and run through any sampler: classifier-free guidance inside
    /// gradient guidance inside post-step guidance, and adaptive guidance inside post-step inside
    /// gradient guidance. Evaluations add up as the terms say.
    func testTermsStackInAnyOrder() {
        let grid = TimeGrid.diffusers(schedule, scheduler: .ddpm, steps: 20)
        let start = Tensor<Double>.randomNormal(shape: [4, 2], key: RandomKey(seed: 1))
        let energy = ObservationEnergy(observed: Tensor(shape: [4, 2], repeating: 1), mask: Tensor(shape: [4, 2], repeating: 1), loss: .squared)
        let cfg = ClassifierFreeGuidance(pair, condition: 1, rule: .standard(scale: 2))
        let first = PostStepGuidance(GradientGuidedModel(cfg, source: .throughDenoiser(energy), scale: 0.5), energy: energy, rule: .tsdiff(scale: 1))
        let second = GradientGuidedModel(PostStepGuidance(AdaptiveGuidance(pair, condition: 1, scale: 2), energy: energy, rule: .tsdiff(scale: 1)),
                                         source: .throughDenoiser(energy), scale: 0.5)
        for result in [sample(first, from: start, grid: grid, using: DDPMSampler(), key: RandomKey(seed: 2)),
                       sample(second, from: start, grid: grid, using: DDPMSampler(), key: RandomKey(seed: 2))] {
            XCTAssertEqual(result.statistics.status, .completed)
            XCTAssertEqual(result.statistics.steps, 20)
        }
        let plain = sample(first, from: start, grid: grid, using: DDPMSampler(), key: RandomKey(seed: 2))
        // Per step: CFG's two evaluations in the sampler's prediction, and 2 × 2 in the post-step
        // gradient through the gradient-guided model (it needs the energy's gradient first), on
        // the 19 steps that do not end at the clean point.
        XCTAssertEqual(plain.statistics.functionEvaluations, 20 * 2 + 19 * 4)
        // The guided samples are closer to the observations than unguided ones.
        let unguided = sample(cfg, from: start, grid: grid, using: DDPMSampler(), key: RandomKey(seed: 2))
        XCTAssertLessThan((plain.samples - 1).squared().sum().scalar, (unguided.samples - 1).squared().sum().scalar)
    }

    /// Gradient guidance shifts both fields, so over CFG++ (whose ε̂ is the unconditional one on
    /// purpose) a zero gradient leaves CFG++ as it is, bit for bit.
    func testGradientGuidanceKeepsCFGPlusPlusEstimates() {
        let grid = TimeGrid.diffusers(schedule, scheduler: .ddim, steps: 15)
        let start = Tensor<Double>.randomNormal(shape: [4, 2], key: RandomKey(seed: 3))
        let cfgpp = ClassifierFreeGuidance(pair, condition: 1, rule: .plusPlus(lambda: 0.6))
        let zero = Tensor<Double>(zeros: [4, 2])
        let guided = GradientGuidedModel<ClassifierFreeGuidance<ConditionalExactModel>, ObservationEnergy<Double>>(cfgpp, source: .classifier { _, _ in zero }, scale: 3)
        XCTAssertEqual(sample(guided, from: start, grid: grid, using: DDIMSampler()).samples, sample(cfgpp, from: start, grid: grid, using: DDIMSampler()).samples)
    }
}
