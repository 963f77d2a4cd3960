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
        let plain = sample(model, from: start, grid: grid, using: DDPMSampler(), key: key)
        XCTAssertEqual(guided.samples, plain.samples)
    }

    func testBDIAInvertsExactly() {
        let model = mixture.exactModel(as: Double.self)
        let grid = TimeGrid.diffusers(schedule, scheduler: .ddim, steps: 30)
        let bdia = BDIA(gamma: 1)
        let (final, previous, evaluations) = bdia.sample(model, from: start, grid: grid)
        XCTAssertEqual(evaluations, 30)
        let recovered = bdia.invert(model, final: final, previous: previous, grid: grid)
        XCTAssertLessThan((recovered - start).abs().max().scalar, 1e-10)
        // With γ < 1 the backward recursion divides by γ at every step, so round-off grows like γ^−N.
        let half = BDIA(gamma: 0.5)
        let short = TimeGrid.diffusers(schedule, scheduler: .ddim, steps: 8)
        let run = half.sample(model, from: start, grid: short)
        XCTAssertLessThan((half.invert(model, final: run.final, previous: run.previous, grid: short) - start).abs().max().scalar, 1e-10)
    }

    func testTensorArrayAndSIMDGiveTheSameNumbers() {
        let grid = TimeGrid.diffusers(schedule, scheduler: .dpmSolver, steps: 12)
        let values: [Double] = [0.3, -1.2, 0.7, 2.0]
        func run<V: NoiseSampleable>(_ solver: SolverIdentifier, _ x: V) -> V {
            let model = OutputModel<V>(type: .noise, schedule: schedule) { x, point in x.scaled(by: V.Scalar(point.time / (point.time + 1))) }
            return solver.sample(model, from: x, grid: grid, schedule: schedule).samples
        }
        for solver in SolverIdentifier.allCases where !solver.isStochastic {
            let tensor = run(solver, Tensor<Double>(values)).scalars
            let array = run(solver, values)
            let simd = run(solver, SIMD4<Double>(values[0], values[1], values[2], values[3]))
            XCTAssertEqual(tensor, array, solver.rawValue)
            XCTAssertEqual(array, [simd[0], simd[1], simd[2], simd[3]], solver.rawValue)
        }
    }

    func testSamplesDoNotDependOnBatchSize() {
        let model = mixture.exactModel(as: Double.self)
        let key = RandomKey(seed: 4)
        let big = Tensor<Double>.randomNormal(shape: [9, 2], key: key)
        let small = big.slice(axis: 0, 3..<6).contiguous()
        for solver in SolverIdentifier.allCases {
            let grid = solver == .eulerMaruyama || solver == .ddpm
                ? TimeGrid.diffusers(schedule, scheduler: .ddpm, steps: 20)
                : TimeGrid.diffusers(schedule, scheduler: .dpmSolver, steps: 20)
            if solver == .dopri5 { continue }   // adaptive steps are shared by the batch (documented)
            let all = solver.sample(model, from: big, grid: grid, key: key.folding(in: 7), schedule: schedule).samples
            let part = solver.sample(model, from: small, grid: grid, key: key.folding(in: 7), sampleOffset: 3, schedule: schedule).samples
            XCTAssertEqual(part.scalars.map(\.bitPattern), all.slice(axis: 0, 3..<6).scalars.map(\.bitPattern), solver.rawValue)
        }
    }
}
