import Foundation
import XCTest
import _DiffuseTestSupport
import DiffuseTensor
@testable import DiffuseCore

/// Identities every implementation must satisfy exactly.
final class IdentityTests: XCTestCase {
    let schedule = DiscreteVPSchedule(trainingSteps: 1000)

    /// A mixture with three modes in 2-D.
    let mixture = GaussianMixture(means: Tensor(rows: [[-2, 0], [2, 1], [0, -2]]), standardDeviation: 0.4)

    /// A conditional model: the condition shifts the mixture (different "conditional" mixture).
    private func conditional() -> ConditionalOutputModel<Tensor<Double>, Int> {
        let base = mixture.exactModel(as: Double.self)
        let shifted = GaussianMixture(means: Tensor(rows: [[-1, 1], [3, 1]]), standardDeviation: 0.5).exactModel(as: Double.self)
        return ConditionalOutputModel { x, point, condition in
            condition == nil ? base.predict(x, at: point) : shifted.predict(x, at: point)
        }
    }

    private var start: Tensor<Double> { Tensor<Double>.randomNormal(shape: [6, 2], key: RandomKey(seed: 1)) }

    func testClassifierFreeGuidanceWithUnitScaleIsTheConditionalModel() {
        let model = conditional()
        let grid = TimeGrid.diffusers(schedule, scheduler: .ddim, steps: 20)
        let guided = sample(ClassifierFreeGuidance(model, condition: 1, rule: .standard(scale: 1)), from: start, grid: grid, using: DDIMSampler())
        let plain = sample(Conditioned(model, condition: 1), from: start, grid: grid, using: DDIMSampler())
        XCTAssertEqual(guided.samples, plain.samples)
        XCTAssertEqual(guided.statistics.functionEvaluations, 40)
        // The paper's form with w = 0 is also the conditional model.
        let original = sample(ClassifierFreeGuidance(model, condition: 1, rule: .original(scale: 0)), from: start, grid: grid, using: DDIMSampler())
        XCTAssertEqual(original.samples, plain.samples)
    }

    func testCFGPlusPlusWithZeroLambdaIsUnconditionalDDIM() {
        let model = conditional()
        let grid = TimeGrid.diffusers(schedule, scheduler: .ddim, steps: 20)
        let guided = sample(ClassifierFreeGuidance(model, condition: 1, rule: .plusPlus(lambda: 0)), from: start, grid: grid, using: DDIMSampler())
        let unconditional = sample(Conditioned(model, condition: nil), from: start, grid: grid, using: DDIMSampler())
        assertClose(guided.samples, unconditional.samples, absolute: 1e-12)
        let euler = sample(ClassifierFreeGuidance(model, condition: 1, rule: .plusPlus(lambda: 0)), from: start, grid: grid, using: EulerSampler())
        assertClose(euler.samples, unconditional.samples, absolute: 1e-12)
    }

    func testAdaptiveGuidanceWithIdenticalPredictionsCostsOneEvaluationPerStep() {
        let base = mixture.exactModel(as: Double.self)
        let same = ConditionalOutputModel<Tensor<Double>, Int> { x, point, _ in base.predict(x, at: point) }
        let grid = TimeGrid.diffusers(schedule, scheduler: .ddim, steps: 15)
        let result = sample(AdaptiveGuidance(same, condition: 0, scale: 5, threshold: 0.99), from: start, grid: grid, using: DDIMSampler())
        // The first step evaluates both models and finds them equal; every later step one.
        XCTAssertEqual(result.statistics.functionEvaluations, grid.stepCount + 1)
        let unguided = sample(base, from: start, grid: grid, using: DDIMSampler())
        assertClose(result.samples, unguided.samples, absolute: 1e-12)
        // Different models keep guiding (two evaluations a step) while they disagree.
        let differing = sample(AdaptiveGuidance(conditional(), condition: 1, scale: 3, threshold: 0.9999999), from: start, grid: grid, using: DDIMSampler())
        XCTAssertGreaterThan(differing.statistics.functionEvaluations, grid.stepCount + 1)
    }

    func testSVDDWithOneCandidateIsTheBaseSampler() {
        let model = mixture.exactModel(as: Double.self)
        let grid = TimeGrid.diffusers(schedule, scheduler: .ddpm, steps: 25)
        let kernel = ContinuousParticleKernel(model: model, sampler: DDPMSampler(), grid: grid)
        let key = RandomKey(seed: 9)
        let guided = ParticleGuidance.svdd(kernel, from: start, candidates: 1, key: key) { x in x.sampleDots(x) }
        XCTAssertEqual(guided.statistics.steps, 25)
        let plain = sample(model, from: start, grid: grid, using: DDPMSampler(), key: key)
        XCTAssertEqual(guided.samples, plain.samples)
    }

    func testBDIAInvertsExactly() {
        let model = mixture.exactModel(as: Double.self)
        let grid = TimeGrid.diffusers(schedule, scheduler: .ddim, steps: 30)
        let bdia = BDIA(gamma: 1)
        let run = bdia.sample(model, from: start, grid: grid)
        XCTAssertEqual(run.statistics.functionEvaluations, 30)
        let recovered = bdia.invert(model, final: run.samples.current, previous: run.samples.previous, grid: grid).samples.previous
        XCTAssertLessThan((recovered - start).abs().max().scalar, 1e-10)
        // With γ < 1 the backward recursion divides by γ at every step, so round-off grows like γ^−N.
        let half = BDIA(gamma: 0.5)
        let short = TimeGrid.diffusers(schedule, scheduler: .ddim, steps: 8)
        let pair = half.sample(model, from: start, grid: short).samples
        XCTAssertLessThan((half.invert(model, final: pair.current, previous: pair.previous, grid: short).samples.previous - start).abs().max().scalar, 1e-10)
    }

    func testTensorArrayAndSIMDGiveTheSameNumbers() {
        let grid = TimeGrid.diffusers(schedule, scheduler: .dpmSolver, steps: 12)
        let values: [Double] = [0.3, -1.2, 0.7, 2.0]
        func run<V: NoiseSampleable>(_ x: V) -> [V] {
            let model = OutputModel<V>(type: .noise, schedule: schedule) { x, point in x.scaled(by: V.Scalar(point.time / (point.time + 1))) }
            return SamplerRegistry.samplers(for: V.self, schedule: schedule).filter { !$0.isStochastic }.map { sample(model, from: x, grid: grid, using: $0).samples }
        }
        let names = SamplerRegistry.samplers(for: [Double].self, schedule: schedule).filter { !$0.isStochastic }.map(\.identifier)
        let tensors = run(Tensor<Double>(values)).map(\.scalars)
        let arrays = run(values)
        let simds = run(SIMD4<Double>(values[0], values[1], values[2], values[3])).map { [$0[0], $0[1], $0[2], $0[3]] }
        for k in names.indices {
            XCTAssertEqual(tensors[k], arrays[k], names[k])
            XCTAssertEqual(arrays[k], simds[k], names[k])
        }
    }

    /// Every registered sampler (adaptive ones excepted: their steps are shared by the batch, as
    /// documented) gives sample i the same result in any batch.
    func testSamplesDoNotDependOnBatchSize() {
        let model = mixture.exactModel(as: Double.self)
        let key = RandomKey(seed: 4)
        let big = Tensor<Double>.randomNormal(shape: [9, 2], key: key)
        let small = big.slice(axis: 0, 3..<6).contiguous()
        for solver in SamplerRegistry.samplers(for: Tensor<Double>.self, schedule: schedule) where !solver.isAdaptive {
            let grid = TimeGrid.diffusers(schedule, scheduler: solver.isStochastic ? .ddpm : .dpmSolver, steps: 20)
            let all = sample(model, from: big, grid: grid, using: solver, key: key.folding(in: 7)).samples
            let part = sample(model, from: small, grid: grid, using: solver, key: key.folding(in: 7), sampleOffset: 3).samples
            XCTAssertEqual(part.scalars.map(\.bitPattern), all.slice(axis: 0, 3..<6).scalars.map(\.bitPattern), solver.identifier)
        }
    }

    /// A model that draws (a generator's latent) from its evaluation key draws the same latent
    /// for sample i in any batch, so stochastic models keep batch-size independence.
    func testStochasticModelDrawsPerSampleLatents() {
        struct NoisyGenerator: PredictionModel {
            let base: ExactMixtureModel<Double>
            func predict(_ x: Tensor<Double>, at point: TimePoint, key: SampleKey, state: inout Void) -> Prediction<Tensor<Double>> {
                let p = base.predict(x, at: point, key: key)
                let latent = x.standardNormal(key: key.key, sampleOffset: key.sampleOffset)
                return Prediction(denoised: p.denoised + latent * 0.1, x: x, at: point)
            }
        }
        let model = NoisyGenerator(base: mixture.exactModel(as: Double.self))
        let key = RandomKey(seed: 11)
        let big = Tensor<Double>.randomNormal(shape: [9, 2], key: key)
        let grid = TimeGrid.diffusers(schedule, scheduler: .ddim, steps: 10)
        for solver in SamplerRegistry.samplers(for: Tensor<Double>.self, schedule: schedule) where !solver.isAdaptive {
            let all = sample(model, from: big, grid: grid, using: solver, key: key).samples
            let part = sample(model, from: big.slice(axis: 0, 3..<6).contiguous(), grid: grid, using: solver, key: key, sampleOffset: 3).samples
            XCTAssertEqual(part.scalars, all.slice(axis: 0, 3..<6).scalars, solver.identifier)
        }
        // BDIA stays exactly invertible with a model that draws: both directions give point k's
        // evaluation the same key.
        let bdia = BDIA(gamma: 1)
        let forward = bdia.sample(model, from: big, grid: grid, key: key)
        let recovered = bdia.invert(model, final: forward.samples.current, previous: forward.samples.previous, grid: grid, key: key).samples.previous
        XCTAssertLessThan((recovered - big).abs().max().scalar, 1e-10)
        // The latent differs between evaluations and steps (keys are per evaluation).
        var context = SamplingContext<Tensor<Double>, Void>(modelState: (), key: key)
        let first = context.modelKey
        context.countEvaluations(1)
        XCTAssertNotEqual(context.modelKey, first)
        context.begin(step: 1)
        XCTAssertNotEqual(context.modelKey, first)
    }
}
