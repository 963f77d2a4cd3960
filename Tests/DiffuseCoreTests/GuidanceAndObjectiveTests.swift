import Foundation
import XCTest
import _DiffuseTestSupport
import DiffuseNN
import DiffuseTensor
@testable import DiffuseCore

final class GuidanceAndObjectiveTests: XCTestCase {
    /// Training targets: for every parameterisation, converting the target back gives x₀ and ε.
    func testObjectiveTargetsInvertToDataAndNoise() {
        let schedules: [any NoiseSchedule] = [DiscreteVPSchedule(), ContinuousVPSchedule.linear, FlowMatchingSchedule(), EDMSchedule()]
        let x0 = Tensor<Double>.randomNormal(shape: [5, 3], key: RandomKey(seed: 1))
        for schedule in schedules {
            for type in PredictionType.allCases where !(type == .denoiser && !(schedule is EDMSchedule)) {
                let objective = DenoisingObjective(schedule: schedule, prediction: type, timeSampling: schedule is DiscreteVPSchedule ? .uniformSteps : .uniform)
                let example = objective.example(for: x0, key: RandomKey(seed: 2))
                for i in 0..<5 {
                    let p = example.points[i]
                    let row = example.noisy[i]
                    let prediction = Prediction.from(example.target[i], type: type, x: row, point: p,
                                                     alphaDerivative: schedule.alphaDerivative(at: p.time), sigmaDerivative: schedule.sigmaDerivative(at: p.time))
                    assertClose(prediction.denoised, x0[i].contiguous(), absolute: 1e-9, relative: 1e-9, "\(type) \(schedule)")
                    assertClose(prediction.noise, example.noise[i].contiguous(), absolute: 1e-9, relative: 1e-9, "\(type) \(schedule)")
                }
            }
        }
        // Min-SNR-γ and EDM weights.
        let point = TimePoint(time: 0, alpha: 0.8, sigma: 0.6)     // SNR 16/9
        XCTAssertEqual(DenoisingObjective(schedule: DiscreteVPSchedule(), prediction: .noise, weighting: .minSNR(gamma: 1)).weight(at: point), 9.0 / 16, accuracy: 1e-12)
        XCTAssertEqual(DenoisingObjective(schedule: DiscreteVPSchedule(), prediction: .velocity, weighting: .minSNR(gamma: 5)).weight(at: point), (16.0 / 9) / (16.0 / 9 + 1), accuracy: 1e-12)
        XCTAssertEqual(DenoisingObjective(schedule: EDMSchedule(), prediction: .denoiser, weighting: .edm(sigmaData: 0.5)).weight(at: TimePoint(time: 1, alpha: 1, sigma: 1)), 5, accuracy: 1e-12)
        // Stratified times cover the range evenly.
        let stratified = DenoisingObjective(schedule: ContinuousVPSchedule.linear, timeSampling: .stratified).sampleTimes(count: 10, key: RandomKey(seed: 3))
        for (i, t) in stratified.enumerated() { XCTAssertTrue(t >= Double(i) / 10 && t < Double(i + 1) / 10) }
        // Power-law steps: integers in 0..<1000 with P(t < k) = (k/1000)^(1/3); the empirical
        // CDF of 20 000 draws is within the Kolmogorov–Smirnov 0.1% bound (1.95/√n) of it.
        let steps = DenoisingObjective(schedule: DiscreteVPSchedule(), timeSampling: .powerSteps(exponent: 3)).sampleTimes(count: 20_000, key: RandomKey(seed: 6))
        XCTAssertTrue(steps.allSatisfy { $0 >= 0 && $0 <= 999 && $0 == $0.rounded() })
        var counts = [Int](repeating: 0, count: 1000)
        for t in steps { counts[Int(t)] += 1 }
        var below = 0, largestGap = 0.0
        for k in 1...1000 {
            below += counts[k - 1]
            largestGap = max(largestGap, abs(Double(below) / 20_000 - Foundation.pow(Double(k) / 1000, 1.0 / 3)))
        }
        XCTAssertLessThan(largestGap, 1.95 / 20_000.0.squareRoot())
        XCTAssertEqual(Double(counts[0..<20].reduce(0, +)) / 20_000, Foundation.pow(0.02, 1.0 / 3), accuracy: 0.02)
    }

    /// The network model's gradient through the tape equals the exact model's closed form when
    /// the "network" computes the exact posterior mean with tensor ops.
    func testNetworkModelGradientMatchesFiniteDifferences() {
        let w = Tensor<Double>.randomNormal(shape: [3, 3], key: RandomKey(seed: 4)) * 0.5
        let model = NetworkModel<Double>(type: .noise, schedule: DiscreteVPSchedule()) { x, point in
            (matmul(x, Variable(w)).tanh() * (point.time / 1000)) + x * 0.1
        }
        let x = Tensor<Double>.randomNormal(shape: [2, 3], key: RandomKey(seed: 5))
        let point = DiscreteVPSchedule().point(at: 400)
        let v = Tensor<Double>.randomNormal(shape: [2, 3], key: RandomKey(seed: 6))
        var unit: Void = ()
        let (prediction, gradient) = model.predictWithGradient(x, at: point, key: .fixed, state: &unit) { _ in v }
        assertClose(prediction.denoised, model.predict(x, at: point).denoised, absolute: 1e-14)
        let h = 1e-6
        for i in 0..<2 { for j in 0..<3 {
            var plus = x, minus = x
            plus[[i, j]] += h
            minus[[i, j]] -= h
            let numeric = ((model.predict(plus, at: point).denoised - model.predict(minus, at: point).denoised) * v).sum().scalar / (2 * h)
            XCTAssertEqual(gradient[element: i, j], numeric, accuracy: 1e-7)
        } }
    }

    /// A network evaluated in chunks of rows gives the whole batch's prediction and gradient,
    /// also when the cotangent couples rows (it is taken of the whole prediction).
    func testChunkedNetworkModelMatchesWholeBatch() {
        let w = Tensor<Double>.randomNormal(shape: [3, 3], key: RandomKey(seed: 4)) * 0.5
        let network: (Variable<Double>, TimePoint) -> Variable<Double> = { x, point in
            (matmul(x, Variable(w)).tanh() * (point.time / 1000)) + x * 0.1
        }
        let whole = NetworkModel<Double>(type: .velocity, schedule: DiscreteVPSchedule(), network: network)
        let chunked = NetworkModel<Double>(type: .velocity, schedule: DiscreteVPSchedule(), batchChunkSize: 2, network: network)
        let x = Tensor<Double>.randomNormal(shape: [5, 3], key: RandomKey(seed: 5))
        let point = DiscreteVPSchedule().point(at: 400)
        let cotangent: (Prediction<Tensor<Double>>) -> Tensor<Double> = { $0.denoised * 2 + $0.noise.sum().scalar }
        var unit: Void = ()
        let (p1, g1) = whole.predictWithGradient(x, at: point, key: .fixed, state: &unit, cotangent: cotangent)
        let (p2, g2) = chunked.predictWithGradient(x, at: point, key: .fixed, state: &unit, cotangent: cotangent)
        assertClose(p2.denoised, p1.denoised, absolute: 1e-14)
        assertClose(p2.noise, p1.noise, absolute: 1e-14)
        assertClose(g2, g1, absolute: 1e-14)
        assertClose(chunked.predict(x, at: point).noise, whole.predict(x, at: point).noise, absolute: 1e-14)
    }

    /// Observation energies: gradients against finite differences, and guidance pulls samples
    /// toward the observations.
    func testObservationEnergiesAndGuidance() {
        let y = Tensor<Double>(rows: [[1, 2, 3], [-1, 0, 1]])
        let mask = Tensor<Double>(rows: [[1, 0, 1], [1, 1, 0]])
        let x = Tensor<Double>(rows: [[0.5, 5, 3.3], [-2, 0.4, 9]])
        for loss in [ObservationEnergy<Double>.Loss.squared, .quantile(levels: [0.2, 0.7]), .norm] {
            let energy = ObservationEnergy(observed: y, mask: mask, loss: loss)
            let g = energy.gradient(x)
            let h = 1e-6
            for i in 0..<2 { for j in 0..<3 {
                var plus = x, minus = x
                plus[[i, j]] += h
                minus[[i, j]] -= h
                let numeric = (energy.energy(plus)[i] - energy.energy(minus)[i]) / (2 * h)
                XCTAssertEqual(g[element: i, j], numeric, accuracy: 1e-6, "\(loss)")
            } }
        }
        // TSDiff-style DDPM guidance on a 1-D mixture with modes at ±2: observing +2 in the
        // first coordinate moves every sample to the positive mode.
        let mixture = GaussianMixture(means: Tensor(rows: [[-2, 0], [2, 0]]), standardDeviation: 0.3)
        let model = mixture.exactModel(as: Double.self)
        let schedule = DiscreteVPSchedule(trainingSteps: 100, betaSchedule: .linear(start: 1e-4, end: 0.1))
        let grid = TimeGrid.diffusers(schedule, scheduler: .ddpm, steps: 100)
        let start = Tensor<Double>.randomNormal(shape: [64, 2], key: RandomKey(seed: 7))
        let observed = ObservationEnergy(observed: Tensor(shape: [1, 2], scalars: [2, 0]), mask: Tensor(shape: [1, 2], scalars: [1, 0]), loss: .squared)
        let guided = sample(PostStepGuidance(model, energy: observed, rule: .tsdiff(scale: 4)), from: start, grid: grid, using: DDPMSampler(), key: RandomKey(seed: 8))
        let plain = sample(model, from: start, grid: grid, using: DDPMSampler(), key: RandomKey(seed: 8))
        let positiveGuided = guided.samples.selecting(axis: 1, index: 0).isGreater(than: 0).mean().scalar
        let positivePlain = plain.samples.selecting(axis: 1, index: 0).isGreater(than: 0).mean().scalar
        XCTAssertGreaterThan(positiveGuided, 0.95)
        XCTAssertLessThan(positivePlain, 0.8)
        XCTAssertEqual(guided.statistics.functionEvaluations, 100 + 99)
        // The DDIM form (prediction-level guidance through the denoiser) does the same.
        let ddimGuided = sample(GradientGuidedModel(model, source: .throughDenoiser(observed), scale: 2), from: start,
                                grid: TimeGrid.diffusers(schedule, scheduler: .ddim, steps: 50), using: DDIMSampler())
        XCTAssertGreaterThan(ddimGuided.samples.selecting(axis: 1, index: 0).isGreater(than: 0).mean().scalar, 0.95)
    }

    /// Step-start post-step guidance takes its gradient from the sampler's own evaluation when
    /// the state type is `Equatable`: the samples are those of a fresh evaluation at the step's
    /// start (the generic initialiser, which cannot compare states, always evaluates afresh) with
    /// one model evaluation per step instead of two; a sampler that evaluates elsewhere (Heun
    /// with churn evaluates at a raised noise level, then at the step's end) gets fresh
    /// gradients, so both forms agree there too. The step-start form is a different rule from
    /// TSDiff's step-end form.
    func testStepStartGuidanceReusesTheSamplersEvaluation() {
        func alwaysFresh<B, E>(_ base: B, _ energy: E, _ rule: PostStepGuidance<B, E>.Rule) -> PostStepGuidance<B, E> {
            PostStepGuidance(base, energy: energy, rule: rule)
        }
        let mixture = GaussianMixture(means: Tensor(rows: [[-2, 0], [2, 0]]), standardDeviation: 0.3)
        let model = mixture.exactModel(as: Double.self)
        let schedule = DiscreteVPSchedule(trainingSteps: 100, betaSchedule: .linear(start: 1e-4, end: 0.1))
        let start = Tensor<Double>.randomNormal(shape: [32, 2], key: RandomKey(seed: 7))
        let observed = ObservationEnergy(observed: Tensor(shape: [1, 2], scalars: [2, 0]), mask: Tensor(shape: [1, 2], scalars: [1, 0]), loss: .squared)
        let rule = PostStepGuidance<ExactMixtureModel<Double>, ObservationEnergy<Double>>.Rule.tsdiff(scale: 4, at: .stepStart)
        let ddpmGrid = TimeGrid.diffusers(schedule, scheduler: .ddpm, steps: 50, spacing: .leading)
        let reused = sample(PostStepGuidance(model, energy: observed, rule: rule), from: start, grid: ddpmGrid, using: DDPMSampler(), key: RandomKey(seed: 8))
        let fresh = sample(alwaysFresh(model, observed, rule), from: start, grid: ddpmGrid, using: DDPMSampler(), key: RandomKey(seed: 8))
        XCTAssertLessThan((reused.samples - fresh.samples).abs().max().scalar, 1e-12)
        XCTAssertEqual(reused.statistics.functionEvaluations, 50)
        XCTAssertEqual(fresh.statistics.functionEvaluations, 50 + 49)
        let stepEnd = sample(PostStepGuidance(model, energy: observed, rule: .tsdiff(scale: 4)), from: start, grid: ddpmGrid, using: DDPMSampler(), key: RandomKey(seed: 8))
        XCTAssertGreaterThan((reused.samples - stepEnd.samples).abs().max().scalar, 1e-3)
        XCTAssertGreaterThan(reused.samples.selecting(axis: 1, index: 0).isGreater(than: 0).mean().scalar, 0.95)

        let heunGrid = TimeGrid.karras(schedule, steps: 12)
        let heun = HeunSampler<Tensor<Double>>(churn: Churn(amount: 10, schedule: schedule))
        let dps = PostStepGuidance<ExactMixtureModel<Double>, ObservationEnergy<Double>>.Rule.diffusionPosteriorSampling(step: 0.05)
        let heunReused = sample(PostStepGuidance(model, energy: observed, rule: dps), from: start,
                                grid: heunGrid, using: heun, key: RandomKey(seed: 9))
        let heunFresh = sample(alwaysFresh(model, observed, dps), from: start, grid: heunGrid, using: heun, key: RandomKey(seed: 9))
        XCTAssertLessThan((heunReused.samples - heunFresh.samples).abs().max().scalar, 1e-12)
        XCTAssertEqual(heunReused.statistics.functionEvaluations, heunFresh.statistics.functionEvaluations)
    }

    /// The interpolant SDE family has the same marginals for every ε: Gaussian-to-Gaussian
    /// transport with exact fields reaches N(2, 0.25) for ε = 0 (ODE), 0.5 and 2.
    func testInterpolantSDEFamilySharesMarginals() {
        struct GaussianFields: InterpolantModel {
            let interpolant = StochasticInterpolant(path: .linear, gamma: .brownian(scale: 1))
            // ρ₀ = N(0, 1), ρ₁ = N(2, 0.25): x_t ~ N(2b, a² + b²/4 + γ²), exact fields.
            func fields(_ x: Tensor<Double>, at t: Double) -> (velocity: Tensor<Double>, score: Tensor<Double>) {
                let c = interpolant.coefficients(at: t)
                let mean = 2 * c.b, variance = c.a * c.a + 0.25 * c.b * c.b + c.gamma * c.gamma
                let dVariance = 2 * c.a * c.aDot + 0.5 * c.b * c.bDot + 2 * c.gamma * c.gammaDot
                let velocity = (x - mean) * (0.5 * dVariance / variance) + 2 * c.bDot
                return (velocity, (x - mean) * (-1 / variance))
            }
        }
        let times = (0...400).map { 1e-4 + (1 - 2e-4) * Double($0) / 400 }
        let start = Tensor<Double>.randomNormal(shape: [8000, 1], key: RandomKey(seed: 9))
        for epsilon in [0.0, 0.5, 2.0] {
            let x = InterpolantSDESampler(epsilon: epsilon).sample(GaussianFields(), from: start, times: times, key: RandomKey(seed: 10)).samples
            XCTAssertEqual(x.mean().scalar, 2, accuracy: 0.03, "ε = \(epsilon)")
            XCTAssertEqual(x.variance().scalar, 0.25, accuracy: 0.03, "ε = \(epsilon)")
        }
    }
}
