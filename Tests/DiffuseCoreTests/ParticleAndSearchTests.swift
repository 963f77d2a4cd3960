import Foundation
import XCTest
import _DiffuseTestSupport
import DiffuseTensor
@testable import DiffuseCore

/// Particle methods, noise and time-grid search, time shifting and DDIM inversion, each against
/// an exact target where one exists.
///
/// The continuous particle tests use 1-D data N(μ, s²) and the reward r(x) = β·x, whose tilted
/// target p(x)·e^{r(x)/α} is N(μ + s²β/α, s²) exactly.
final class ParticleAndSearchTests: XCTestCase {
    let mean = 0.5, std = 0.5
    let schedule = DiscreteVPSchedule(trainingSteps: 1000)
    private var model: ExactMixtureModel<Double> { GaussianMixture(means: Tensor(shape: [1, 1], repeating: mean), standardDeviation: std).exactModel(as: Double.self) }

    private func start(_ n: Int, grid: TimeGrid, seed: UInt64) -> Tensor<Double> {
        Tensor<Double>.randomNormal(shape: [n, 1], key: RandomKey(seed: seed)) * grid.points[0].sigma
    }

    private func moments(_ x: Tensor<Double>) -> (mean: Double, variance: Double) {
        (x.mean().scalar, x.variance(correction: 1).scalar)
    }

    /// SMC with difference potentials samples the tilted Gaussian: its mean and variance within
    /// four standard errors (plus the DDPM sampler's own bias, measured on the untilted run).
    func testSMCSamplesTheTiltedGaussian() {
        let grid = TimeGrid.diffusers(schedule, scheduler: .ddpm, steps: 200)
        let kernel = ContinuousParticleKernel(model: model, sampler: DDPMSampler(), grid: grid)
        let n = 2000, beta = 1.0, alpha = 1.0
        let x = start(n, grid: grid, seed: 1)
        let plain = moments(sample(model, from: x, grid: grid, using: DDPMSampler(), key: RandomKey(seed: 2)).samples)
        let samplerBias = Swift.abs(plain.mean - mean)
        let result = ParticleGuidance.smc(kernel, from: x, particles: 64, temperature: alpha, key: RandomKey(seed: 3)) { $0.scalars.map { beta * $0 } }
        let m = moments(result.samples)
        let standardError = (std * std / Double(n)).squareRoot()
        XCTAssertEqual(m.mean, mean + std * std * beta / alpha, accuracy: 4 * standardError + samplerBias + 0.01, "SMC moments \(m), plain \(plain)")
        XCTAssertEqual(m.variance, std * std, accuracy: 0.1 * std * std)
        XCTAssertEqual(result.rewards, result.samples.scalars.map { beta * $0 })
        // 200 steps, each one sampler evaluation and one clean estimate, for 64 particles per sample.
        XCTAssertEqual(result.statistics.sampleEvaluations, Double(64 * (200 + 199)))
        XCTAssertEqual(result.statistics.rewardEvaluations, Double(64 * 200))
    }

    /// Best-of-2 returns the larger of two independent samples: for N(μ, s²) its mean is μ + s/√π.
    func testBestOfTwoHasTheMeanOfTheMaximum() {
        let grid = TimeGrid.diffusers(schedule, scheduler: .ddpm, steps: 200)
        let kernel = ContinuousParticleKernel(model: model, sampler: DDPMSampler(), grid: grid)
        let n = 4000
        let result = ParticleGuidance.bestOfN(kernel, from: start(n, grid: grid, seed: 4), candidates: 2, key: RandomKey(seed: 5)) { $0.scalars }
        // Var(max of two) = s²(1 − 1/π).
        let standardError = (std * std * (1 - 1 / Double.pi) / Double(n)).squareRoot()
        XCTAssertEqual(result.samples.mean().scalar, mean + std / Double.pi.squareRoot(), accuracy: 4 * standardError + 0.01)
        XCTAssertEqual(result.statistics.sampleEvaluations, Double(2 * 200))
        XCTAssertEqual(result.statistics.rewardEvaluations, 2)
        // Candidate c of sample i is the plain sampler's row 2i + c of the repeated batch.
        let repeated = ParticleGuidance.repeated(start(n, grid: grid, seed: 4), 2)
        let plain = sample(model, from: repeated, grid: grid, using: DDPMSampler(), key: RandomKey(seed: 5)).samples.scalars
        XCTAssertEqual(result.samples.scalars, (0..<n).map { Swift.max(plain[2 * $0], plain[2 * $0 + 1]) })
    }

    /// SVDD with softmax(v/α) moves the samples toward the tilted Gaussian, by more than the
    /// sampling noise, and with α → 0 (argmax) further in the reward's direction.
    func testSVDDMovesTowardTheTiltedGaussian() {
        let grid = TimeGrid.diffusers(schedule, scheduler: .ddpm, steps: 100)
        let kernel = ContinuousParticleKernel(model: model, sampler: DDPMSampler(), grid: grid)
        let n = 2000, target = mean + std * std
        let x = start(n, grid: grid, seed: 6)
        let plain = sample(model, from: x, grid: grid, using: DDPMSampler(), key: RandomKey(seed: 7)).samples.mean().scalar
        let soft = ParticleGuidance.svdd(kernel, from: x, candidates: 8, temperature: 1, key: RandomKey(seed: 7)) { $0.scalars }
        let greedy = ParticleGuidance.svdd(kernel, from: x, candidates: 8, temperature: 0, key: RandomKey(seed: 7)) { $0.scalars }
        let standardError = (std * std / Double(n)).squareRoot()
        XCTAssertLessThan(Swift.abs(soft.samples.mean().scalar - target), Swift.abs(plain - target) - 4 * standardError)
        XCTAssertGreaterThan(greedy.samples.mean().scalar, soft.samples.mean().scalar + 4 * standardError)
        XCTAssertEqual(soft.statistics.sampleEvaluations, Double(8 * (100 + 99)))
    }

    /// DDIM inversion is a first-order integrator of the probability-flow ODE from data to noise:
    /// against the exact Gaussian flow map its error falls with order ≥ 1 − 0.45.
    func testDDIMInversionConvergesToTheExactFlowMap() {
        let flowSchedule = ContinuousVPSchedule.linear
        let data = Tensor<Double>(shape: [3, 1], scalars: [-0.4, 0.5, 1.3])
        var errors: [Double] = []
        let steps = [10, 20, 40, 80]
        for n in steps {
            let grid = TimeGrid.logSNRUniform(flowSchedule, steps: n, from: 1, to: 1e-3)
            let (p, q) = (grid.points[n], grid.points[0])
            let ratio = ((std * std + q.edmSigma * q.edmSigma) / (std * std + p.edmSigma * p.edmSigma)).squareRoot()
            let exact = ((data / p.alpha - mean) * ratio + mean) * q.alpha
            let result = DDIMInversion.invert(model, data: data, grid: grid)
            XCTAssertEqual(result.statistics.functionEvaluations, n)
            errors.append((result.samples - exact).abs().max().scalar)
        }
        XCTAssertGreaterThan(observedConvergenceOrder(steps: steps, errors: errors), 0.55, "errors \(errors)")
        // From the clean point (σ = 0) the first step is a real step, not the identity.
        var cleanErrors: [Double] = []
        for n in steps {
            let grid = TimeGrid.logSNRUniform(flowSchedule, steps: n, from: 1, to: 1e-3, appendingClean: true)
            let q = grid.points[0]
            let ratio = ((std * std + q.edmSigma * q.edmSigma) / (std * std)).squareRoot()
            let exact = ((data - mean) * ratio + mean) * q.alpha
            cleanErrors.append((DDIMInversion.invert(model, data: data, grid: grid).samples - exact).abs().max().scalar)
        }
        XCTAssertGreaterThan(observedConvergenceOrder(steps: steps, errors: cleanErrors), 0.55, "errors from σ = 0: \(cleanErrors)")
    }

    /// Time shifting: a window of one step is the base model bit for bit, and the shifted step is
    /// the argmin of (v − (1 − ᾱ_{t′}))² over the window.
    func testTimeShiftingSelectsTheNearestVarianceStep() {
        let base = GaussianMixture(means: Tensor(rows: [[-1, 0.5, 0.2, 1]]), standardDeviation: 0.6).exactModel(as: Double.self)
        let x = Tensor<Double>.randomNormal(shape: [5, 4], key: RandomKey(seed: 8))
        let point = schedule.point(at: 700)
        XCTAssertEqual(TimeShiftedModel(base: base, schedule: schedule, window: 1, cutoff: 0).predict(x, at: point).denoised,
                       base.predict(x, at: point).denoised)
        let shifted = TimeShiftedModel(base: base, schedule: schedule, window: 9, cutoff: 0)
        for target in [696, 700, 704] {
            XCTAssertEqual(shifted.shiftedStep(variance: 1 - schedule.alphasCumulativeProduct[target], at: 700), target)
        }
        // Beyond the window the nearest end is chosen.
        XCTAssertEqual(shifted.shiftedStep(variance: 1 - schedule.alphasCumulativeProduct[600], at: 700), 696)
        // Below the cutoff the base model is used.
        XCTAssertEqual(TimeShiftedModel(base: base, schedule: schedule, window: 9, cutoff: 800).predict(x, at: point).noise, base.predict(x, at: point).noise)
    }

    /// Time-grid search never returns a worse grid, keeps grids valid, and moves toward the
    /// minimiser of a known objective (the squared distance of the times to a target grid).
    func testTimeGridSearchDescendsTowardAKnownOptimum() {
        let flowSchedule = ContinuousVPSchedule.linear
        let initial = TimeGrid.uniform(flowSchedule, steps: 6, from: 1, to: 1e-3)
        let target = TimeGrid.quadratic(flowSchedule, steps: 6, from: 1, to: 1e-3).times
        let objective: (TimeGrid) -> Double = { grid in zip(grid.times, target).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }
        let (grid, value) = TimeGridSearch.search(initial: initial, schedule: flowSchedule, rounds: 6, objective: objective)
        XCTAssertEqual(value, objective(grid))
        XCTAssertLessThan(value, 0.5 * objective(initial))
        XCTAssertLessThanOrEqual(TimeGridSearch.search(initial: initial, schedule: flowSchedule, rounds: 8, objective: objective).objective, value)
        XCTAssertEqual(grid.times.first, initial.times.first)
        XCTAssertEqual(grid.times.last, initial.times.last)
        XCTAssertEqual(grid, TimeGrid(points: grid.points))
        // At the optimum nothing moves.
        let optimum = TimeGrid.quadratic(flowSchedule, steps: 6, from: 1, to: 1e-3)
        XCTAssertEqual(TimeGridSearch.search(initial: optimum, schedule: flowSchedule, objective: objective).grid, optimum)
    }

    /// Random noise search keeps, per sample, the best of its candidates (checked against the
    /// candidates run one by one); zero-order search never lowers a sample's reward.
    func testNoiseSearchKeepsTheBestCandidate() {
        let grid = TimeGrid.diffusers(schedule, scheduler: .ddim, steps: 10)
        let run: (Tensor<Double>) -> SampleResult<Tensor<Double>> = { sample(self.model, from: $0, grid: grid, using: DDIMSampler()) }
        let noise: (Int) -> Tensor<Double> = { self.start(6, grid: grid, seed: 100 + UInt64($0)) }
        let reward: (Tensor<Double>) -> [Double] = { $0.scalars.map { -Swift.abs($0 - 1) } }
        let result = NoiseSearch.random(candidates: 5, makeNoise: noise, run: run, reward: reward)
        let perCandidate = (0..<5).map { reward(run(noise($0)).samples) }
        for i in 0..<6 {
            XCTAssertEqual(result.rewards[i], perCandidate.map { $0[i] }.max()!)
            XCTAssertEqual(reward(result.samples)[i], result.rewards[i])
        }
        XCTAssertEqual(result.statistics.functionEvaluations, 5 * 10)
        XCTAssertEqual(result.statistics.rewardEvaluations, 5)
        let initial = reward(run(noise(0)).samples)
        let (zeroOrder, pivot) = NoiseSearch.zeroOrder(pivot: noise(0), iterations: 3, neighbours: 4, stepSize: 0.5, key: RandomKey(seed: 9), run: run, reward: reward)
        for i in 0..<6 { XCTAssertGreaterThanOrEqual(zeroOrder.rewards[i], initial[i]) }
        XCTAssertEqual(reward(run(pivot).samples), zeroOrder.rewards)
        XCTAssertEqual(zeroOrder.statistics.functionEvaluations, (1 + 3 * 4) * 10)
    }
}
