import DiffuseCore
import DiffuseTensor
import Foundation
import XCTest

/// The extension points of DiffuseCore, exercised from a target that imports only the public API
/// (no `@testable`): a sampler, a guidance term and a particle kernel over tokens of our own,
/// each run through the package's engine. docs/Core.md ("Extending Diffuse") shows this code.
final class ExtendingDiffuseTests: XCTestCase {
    // MARK: A sampler of your own

    /// The sampler reaches its declared order against the exact probability-flow map of a
    /// Gaussian N(μ, s²I): y(ŝ) = μ + (y(ŝ₀) − μ)·√((s² + ŝ²)/(s² + ŝ₀²)) in y = x/α, ŝ = σ/α.
    func testOwnSamplerReachesItsOrderThroughTheEngine() {
        let mean = 0.7, std = 0.5
        let schedule = ContinuousVPSchedule.linear
        let model = GaussianMixture(means: Tensor(shape: [1, 4], repeating: mean), standardDeviation: std).exactModel(as: Double.self)
        let solver = MidpointDPMSolver<Tensor<Double>>(schedule: schedule)
        let x0 = Tensor<Double>(shape: [3, 4], scalars: (0..<12).map { -1.5 + 0.25 * Double($0) })
        let steps = [10, 20, 40, 80]
        var errors: [Double] = []
        for n in steps {
            let grid = TimeGrid.logSNRUniform(schedule, steps: n, from: 1, to: 1e-3)
            let (p, q) = (grid.points[0], grid.points[n])
            let start = x0 * p.sigma
            let ratio = ((std * std + q.edmSigma * q.edmSigma) / (std * std + p.edmSigma * p.edmSigma)).squareRoot()
            let exact = ((start / p.alpha - mean) * ratio + mean) * q.alpha
            let result = sample(model, from: start, grid: grid, using: solver)
            XCTAssertEqual(result.statistics.functionEvaluations, 2 * n)
            XCTAssertEqual(result.statistics.status, .completed)
            errors.append((result.samples - exact).abs().max().scalar)
        }
        XCTAssertGreaterThan(observedConvergenceOrder(steps: steps, errors: errors), Double(solver.order) - 0.45, "errors \(errors)")
    }

    // MARK: A guidance term of your own

    /// A conditional model with exact, differentiable predictions: the condition selects a
    /// shifted mixture.
    struct ShiftedMixtures: DifferentiableConditionalPredictionModel {
        let unconditional = GaussianMixture(means: Tensor(rows: [[-2, 0], [2, 1]]), standardDeviation: 0.4).exactModel(as: Double.self)
        let conditional = GaussianMixture(means: Tensor(rows: [[-1, 1], [3, 1]]), standardDeviation: 0.5).exactModel(as: Double.self)

        func predict(_ x: Tensor<Double>, at point: TimePoint, condition: Int?, key: SampleKey) -> Prediction<Tensor<Double>> {
            condition == nil ? unconditional.predict(x, at: point, key: key) : conditional.predict(x, at: point, key: key)
        }

        func predictWithGradient(_ x: Tensor<Double>, at point: TimePoint, condition: Int?, key: SampleKey,
                                 cotangent: (Prediction<Tensor<Double>>) -> Tensor<Double>) -> (prediction: Prediction<Tensor<Double>>, gradient: Tensor<Double>) {
            condition == nil ? unconditional.predictWithGradient(x, at: point, key: key, cotangent: cotangent)
                : conditional.predictWithGradient(x, at: point, key: key, cotangent: cotangent)
        }
    }

    func testOwnGuidanceTermStacksWithThePackagesTerms() {
        let schedule = DiscreteVPSchedule(trainingSteps: 1000)
        let grid = TimeGrid.diffusers(schedule, scheduler: .ddim, steps: 20)
        let start = Tensor<Double>.randomNormal(shape: [6, 2], key: RandomKey(seed: 1))
        let target = Tensor<Double>(shape: [6, 2], repeating: 0.25)
        let cfg = ClassifierFreeGuidance(ShiftedMixtures(), condition: 1, rule: .standard(scale: 2))

        // Weight 0 is the base model (ε̂ re-derived from x̂₀: equal to round-off); weight 1 makes
        // every clean estimate the target, so DDIM's last step lands on it exactly.
        let base = sample(cfg, from: start, grid: grid, using: DDIMSampler())
        let unpulled = sample(TargetPull(base: cfg, target: target, weight: 0), from: start, grid: grid, using: DDIMSampler())
        XCTAssertLessThan((unpulled.samples - base.samples).abs().max().scalar, 1e-10)
        XCTAssertEqual(unpulled.statistics.functionEvaluations, 40)
        let pulled = sample(TargetPull(base: cfg, target: target, weight: 1), from: start, grid: grid, using: DDIMSampler())
        XCTAssertEqual(pulled.samples, target)

        // Its typed state counts its calls.
        let term = TargetPull(base: cfg, target: target, weight: 0.5)
        var state = term.makeState()
        _ = term.predict(start, at: grid.points[3], key: .fixed, state: &state)
        _ = term.predict(start, at: grid.points[4], key: .fixed, state: &state)
        XCTAssertEqual(state.calls, 2)

        // Post-step guidance (which needs a differentiable model) on top of our term on top of
        // classifier-free guidance: at scale 0 it is the term alone, draw for draw, and makes no
        // evaluation of its own.
        let energy = ObservationEnergy(observed: target, mask: Tensor(shape: [6, 2], repeating: 1), loss: .squared)
        let ddpmGrid = TimeGrid.diffusers(schedule, scheduler: .ddpm, steps: 30)
        let stacked = sample(PostStepGuidance(term, energy: energy, rule: .tsdiff(scale: 0)), from: start, grid: ddpmGrid, using: DDPMSampler(), key: RandomKey(seed: 2))
        let alone = sample(term, from: start, grid: ddpmGrid, using: DDPMSampler(), key: RandomKey(seed: 2))
        XCTAssertEqual(stacked.samples, alone.samples)
        XCTAssertEqual(stacked.statistics.functionEvaluations, alone.statistics.functionEvaluations)
        // And it pulls toward the observations at a positive scale.
        let guided = sample(PostStepGuidance(term, energy: energy, rule: .tsdiff(scale: 2)), from: start, grid: ddpmGrid, using: DDPMSampler(), key: RandomKey(seed: 2))
        XCTAssertLessThan((guided.samples - target).squared().sum().scalar, (alone.samples - target).squared().sum().scalar)

        // The stacked model's gradient (ours over classifier-free guidance) against central
        // differences of v·x̂₀ in Float64.
        let x = Tensor<Double>(rows: [[0.3, -0.4], [1.5, 0.8]])
        let point = schedule.point(at: 300)
        let v = Tensor<Double>(rows: [[0.7, -1.1], [0.2, 0.5]])
        let small = TargetPull(base: cfg, target: Tensor(shape: [2, 2], repeating: 0.25), weight: 0.3)
        var s = small.makeState()
        let (_, gradient) = small.predictWithGradient(x, at: point, key: .fixed, state: &s) { _ in v }
        let h = 1e-6
        for i in 0..<2 { for j in 0..<2 {
            var plus = x, minus = x
            plus[[i, j]] += h
            minus[[i, j]] -= h
            var s1 = small.makeState(), s2 = small.makeState()
            let fp = (small.predict(plus, at: point, key: .fixed, state: &s1).denoised * v).sum().scalar
            let fm = (small.predict(minus, at: point, key: .fixed, state: &s2).denoised * v).sum().scalar
            XCTAssertEqual(gradient[element: i, j], (fp - fm) / (2 * h), accuracy: 1e-6)
        } }
    }

    // MARK: A particle kernel of your own, over tokens

    /// Total variation between an empirical distribution of `samples` and `target`.
    private func totalVariation(_ samples: Tokens, _ target: [Double]) -> Double {
        var counts = [Double](repeating: 0, count: target.count)
        for row in samples.rows { counts[ToyTokenChain.index(of: row)] += 1 }
        let n = Double(samples.sampleCount)
        return 0.5 * zip(counts, target).reduce(0) { $0 + Swift.abs($1.0 / n - $1.1) }
    }

    /// A bound that the total variation of n exact draws from `target` exceeds with probability
    /// below 10⁻⁶: E[TV] ≤ ½Σ√(q(1 − q)/n) (Jensen), plus √(ln 10⁶/(2n)) (McDiarmid: one draw
    /// moves TV by at most 1/n).
    private func samplingBound(_ target: [Double], n: Int) -> Double {
        0.5 * target.reduce(0) { $0 + ($1 * (1 - $1) / Double(n)).squareRoot() } + (Foundation.log(1e6) / (2 * Double(n))).squareRoot()
    }

    func testOwnTokenKernelThroughTheParticleEngine() {
        let kernel = ToyTokenKernel()
        let n = 2000
        let alpha = 0.5
        let reward: ([Int]) -> Double = { x in Double(x.filter { $0 == 2 }.count) - (x[0] == x[3] ? 0.5 : 0) }
        let rewards: (Tokens) -> [Double] = { $0.rows.map(reward) }
        let p = ToyTokenChain.probabilities
        let tilted = ToyTokenChain.tilted(reward: reward, temperature: alpha)
        let start = ToyTokenKernel.masked(n)

        // One candidate: the pretrained chain, whose samples follow p.
        let base = ParticleGuidance.svdd(kernel, from: start, candidates: 1, key: RandomKey(seed: 3), reward: rewards)
        XCTAssertLessThan(totalVariation(base.samples, p), samplingBound(p, n: n))
        XCTAssertEqual(base.statistics.steps, 4)
        XCTAssertEqual(base.statistics.sampleEvaluations, 4)
        let baseDistance = totalVariation(base.samples, tilted)

        // SMC with the reward of the most probable completion as value: its samples follow the
        // tilted target p(x)·e^{r(x)/α} (measured at n = 4000: TV 0.145, 0.104, 0.058, 0.041 with
        // 8, 32, 128, 256 particles, against a sampling floor near 0.04).
        let particles = 128
        let smc = ParticleGuidance.smc(kernel, from: start, particles: particles, temperature: alpha, key: RandomKey(seed: 4), reward: rewards)
        let smcDistance = totalVariation(smc.samples, tilted)
        XCTAssertLessThan(smcDistance, samplingBound(tilted, n: n), "SMC TV \(smcDistance), base \(baseDistance)")
        XCTAssertEqual(smc.statistics.sampleEvaluations, Double(4 * particles))
        XCTAssertEqual(smc.statistics.rewardEvaluations, Double(4 * particles))
        XCTAssertEqual(smc.rewards, smc.samples.rows.map(reward))

        // SVDD with softmax(v/α) over 8 candidates moves toward the target, by more than the
        // sampling noise of both estimates.
        let svdd = ParticleGuidance.svdd(kernel, from: start, candidates: 8, temperature: alpha, key: RandomKey(seed: 5), reward: rewards)
        let svddDistance = totalVariation(svdd.samples, tilted)
        XCTAssertLessThan(svddDistance, baseDistance - 2 * samplingBound(tilted, n: n), "SVDD TV \(svddDistance), base \(baseDistance)")
        XCTAssertEqual(svdd.statistics.sampleEvaluations, 4 * 8)
        // SVDD-MC's learned value, given the posterior-mean value as a function, makes the same
        // choices draw for draw.
        let learned = ParticleGuidance.svdd(kernel, from: start, candidates: 8, temperature: alpha,
                                            value: .learned { x, _ in rewards(Tokens(rows: x.rows.map(ToyTokenKernel.mostProbableCompletion))) },
                                            key: RandomKey(seed: 5), reward: rewards)
        XCTAssertEqual(learned.samples, svdd.samples)

        // Feynman–Kac steering with the other potentials and systematic resampling targets the
        // same distribution. Their intermediate targets are tilted more strongly than the final
        // one, so they need a milder temperature to reach it with this many particles (at α = ½
        // they stay near TV 0.3 up to 256 particles; at α = 3 they reach the sampling floor).
        let mild = 3.0
        let mildTarget = ToyTokenChain.tilted(reward: reward, temperature: mild)
        for potential in [ParticleGuidance.Potential.max, .sum] {
            let fk = ParticleGuidance.feynmanKac(kernel, from: start, particles: particles, temperature: mild, potential: potential,
                                                 resampling: .systematic, trigger: .every(1), key: RandomKey(seed: 6), reward: rewards)
            let distance = totalVariation(fk.samples, mildTarget)
            XCTAssertLessThan(distance, samplingBound(mildTarget, n: n), "FK \(potential) TV \(distance)")
            XCTAssertEqual(fk.statistics.resamplings, 3)
        }

        // Sample i's result does not depend on the batch it is drawn in.
        let whole = ParticleGuidance.smc(kernel, from: ToyTokenKernel.masked(9), particles: 8, temperature: alpha, key: RandomKey(seed: 7), reward: rewards)
        let part = ParticleGuidance.smc(kernel, from: ToyTokenKernel.masked(3), particles: 8, temperature: alpha, key: RandomKey(seed: 7), sampleOffset: 3, reward: rewards)
        XCTAssertEqual(part.samples.rows, Array(whole.samples.rows[3..<6]))
        let wholeSVDD = ParticleGuidance.svdd(kernel, from: ToyTokenKernel.masked(9), candidates: 4, temperature: alpha, key: RandomKey(seed: 7), reward: rewards)
        let partSVDD = ParticleGuidance.svdd(kernel, from: ToyTokenKernel.masked(3), candidates: 4, temperature: alpha, key: RandomKey(seed: 7), sampleOffset: 3, reward: rewards)
        XCTAssertEqual(partSVDD.samples.rows, Array(wholeSVDD.samples.rows[3..<6]))
    }
}
