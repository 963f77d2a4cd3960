import Foundation
import XCTest
import _DiffuseTestSupport
import DiffuseTensor
@testable import DiffuseCore

/// Samplers and likelihoods checked against a Gaussian mixture whose every quantity is exact.
final class ExactMixtureTests: XCTestCase {
    let mixture = GaussianMixture(components: [
        .init(weight: 0.5, mean: [-2, 0], covariance: .isotropic(variance: 0.16)),
        .init(weight: 0.3, mean: [2, 1], covariance: .isotropic(variance: 0.25)),
        .init(weight: 0.2, mean: [0, -2.5], covariance: .isotropic(variance: 0.09)),
    ])

    /// Fractions of samples closest to each mode.
    private func modeWeights(_ x: Tensor<Double>) -> [Double] {
        let means = mixture.meanMatrix
        var counts = [Double](repeating: 0, count: 3)
        for i in 0..<x.shape[0] {
            let d = (0..<3).map { k in (x[i] - means[k]).squared().sum().scalar }
            counts[d.indices.min { d[$0] < d[$1] }!] += 1
        }
        return counts.map { $0 / Double(x.shape[0]) }
    }

    func testSamplersReproduceMomentsAndModeWeights() throws {
        let schedule = DiscreteVPSchedule(trainingSteps: 1000)
        let model = mixture.exactModel(as: Double.self)
        let n = 3000
        let exactMean = mixture.mean, exactCovariance = mixture.covariance
        // Every registered sampler; step counts follow from its declared properties only.
        for solver in SamplerRegistry.samplers(for: Tensor<Double>.self, schedule: schedule) {
            let steps = solver.isStochastic ? 400 : (solver.order == 1 ? 100 : 30)
            let grid = solver.isAdaptive
                ? TimeGrid.uniform(schedule, steps: 1, from: 999, to: 0, appendingClean: false)
                : TimeGrid.diffusers(schedule, scheduler: solver.isStochastic ? .ddpm : .dpmSolver, steps: steps)
            let start = Tensor<Double>.randomNormal(shape: [n, 2], key: RandomKey(seed: 11)) * grid.points[0].sigma
            let result = sample(model, from: start, grid: grid, using: solver, key: RandomKey(seed: 12))
            let x = result.samples
            XCTAssertEqual(result.statistics.status, .completed, solver.identifier)
            // Standard errors: √(Σ/n) for the mean; weights √(w(1 − w)/n). Allow 4 of them.
            let mean = x.mean(alongAxes: [0]).scalars
            for j in 0..<2 {
                XCTAssertEqual(mean[j], exactMean[j], accuracy: 4 * (exactCovariance[element: j, j] / Double(n)).squareRoot(), "\(solver.identifier) mean \(j)")
            }
            let centered = x - Tensor(mean).reshaped([1, 2])
            let covariance = matmul(centered.transposed(), centered) / Double(n - 1)
            for j in 0..<2 {
                XCTAssertEqual(covariance[element: j, j], exactCovariance[element: j, j], accuracy: 0.1 * exactCovariance[element: j, j], "\(solver.identifier) variance \(j)")
            }
            let weights = modeWeights(x)
            for (k, w) in [0.5, 0.3, 0.2].enumerated() {
                XCTAssertEqual(weights[k], w, accuracy: 4 * (w * (1 - w) / Double(n)).squareRoot(), "\(solver.identifier) mode \(k)")
            }
        }
    }

    /// Weak error of the SDE samplers on the mixture's second moment shrinks with more steps.
    func testStochasticSamplersWeakErrorShrinks() {
        let schedule = DiscreteVPSchedule(trainingSteps: 1000)
        let model = mixture.exactModel(as: Double.self)
        let exact = mixture.covariance.trace() + mixture.mean.map { $0 * $0 }.reduce(0, +)
        for solver in SamplerRegistry.samplers(for: Tensor<Double>.self, schedule: schedule) where solver.isStochastic {
            var errors: [Double] = []
            for steps in [5, 40] {
                let grid = TimeGrid.diffusers(schedule, scheduler: .ddpm, steps: steps)
                let start = Tensor<Double>.randomNormal(shape: [6000, 2], key: RandomKey(seed: 21)) * grid.points[0].sigma
                let x = sample(model, from: start, grid: grid, using: solver, key: RandomKey(seed: 22)).samples
                errors.append(abs(x.squared().sum(alongAxis: 1).mean().scalar - exact))
            }
            XCTAssertLessThan(errors[1], errors[0], "\(solver.identifier): \(errors)")
        }
    }

    func testProbabilityFlowLikelihoodMatchesExactLogDensity() throws {
        let schedule = ContinuousVPSchedule.linear
        let model = mixture.exactModel(as: Double.self)
        let x = try mixture.sample(count: 6, key: RandomKey(seed: 31)).samples
        let start = schedule.point(at: 1e-3), end = schedule.point(at: 1)
        let prior: (Tensor<Double>) -> [Double] = { xT in try! self.mixture.logDensity(xT, alpha: end.alpha, sigma: end.sigma).scalars }
        // x is data; its density under the slightly noised start marginal is the reference.
        let exact = try mixture.logDensity(x, alpha: start.alpha, sigma: start.sigma).scalars
        let result = ProbabilityFlowLikelihood.logLikelihood(model, of: x, from: start, to: end, schedule: schedule,
                                                             controller: PIDController(relativeTolerance: 1e-8, absoluteTolerance: 1e-8),
                                                             priorLogDensity: prior)
        for (a, b) in zip(result.logDensities, exact) { XCTAssertEqual(a, b, accuracy: 1e-4) }
        // Hutchinson: unbiased, so the average over many probes approaches the exact value.
        var estimates = [Double](repeating: 0, count: 6)
        let repeats = 40
        for r in 0..<repeats {
            let h = ProbabilityFlowLikelihood.logLikelihood(model, of: x, from: start, to: end, schedule: schedule, divergence: .hutchinson(rademacher: true),
                                                            key: RandomKey(seed: UInt64(100 + r)),
                                                            controller: PIDController(relativeTolerance: 1e-5, absoluteTolerance: 1e-5), priorLogDensity: prior)
            for i in 0..<6 { estimates[i] += h.logDensities[i] / Double(repeats) }
        }
        for (a, b) in zip(estimates, exact) { XCTAssertEqual(a, b, accuracy: 0.35) }
    }

    func testExactModelGradientsAgainstFiniteDifferences() {
        let model = mixture.exactModel(as: Double.self)
        let x = Tensor<Double>(rows: [[0.3, -0.4], [1.5, 0.8]])
        let point = DiscreteVPSchedule().point(at: 300)
        let v = Tensor<Double>(rows: [[0.7, -1.1], [0.2, 0.5]])
        var unit: Void = ()
        let (_, gradient) = model.predictWithGradient(x, at: point, key: .fixed, state: &unit) { _ in v }
        // Numeric: ∂(v·x̂₀)/∂x by central differences.
        let h = 1e-6
        for i in 0..<2 { for j in 0..<2 {
            var plus = x, minus = x
            plus[[i, j]] += h
            minus[[i, j]] -= h
            let fp = (model.predict(plus, at: point).denoised * v).sum().scalar
            let fm = (model.predict(minus, at: point).denoised * v).sum().scalar
            XCTAssertEqual(gradient[element: i, j], (fp - fm) / (2 * h), accuracy: 1e-6)
        } }
    }

    func testExactScoreAgainstFiniteDifferencesOfTheLogDensity() throws {
        let full = GaussianMixture(components: [
            .init(weight: 0.6, mean: [0, 1], covariance: .full(Tensor(rows: [[1, 0.3], [0.3, 0.5]]))),
            .init(weight: 0.4, mean: [1, -1], covariance: .isotropic(variance: 0.2)),
        ])
        let x = Tensor<Double>(rows: [[0.2, 0.4], [-1, 2]])
        let score = try full.score(x, alpha: 0.8, sigma: 0.6)
        let h = 1e-6
        for i in 0..<2 { for j in 0..<2 {
            var plus = x, minus = x
            plus[[i, j]] += h
            minus[[i, j]] -= h
            let numeric = (try full.logDensity(plus, alpha: 0.8, sigma: 0.6)[[i]] - full.logDensity(minus, alpha: 0.8, sigma: 0.6)[[i]]) / (2 * h)
            XCTAssertEqual(score[element: i, j], numeric, accuracy: 1e-7)
        } }
    }

    /// The single-precision kernel (eight components per vector, four rows per block) against
    /// the Double closed form, with sizes that leave partial blocks everywhere: 11 components
    /// (two vectors, five padding lanes), d = 13 (one vector of coordinates and five more), 37
    /// rows (nine blocks of four and one more), unequal weights and variances, and one far
    /// outlier whose responsibilities underflow but one.
    func testSinglePrecisionKernelMatchesDoubleClosedForm() {
        var stream = RandomStream(seed: 11)
        let components = (0..<11).map { k in
            GaussianMixture.Component(weight: 1 + Double(k % 3), mean: (0..<13).map { _ in 3 * stream.normal(Double.self) },
                                      covariance: .isotropic(variance: 0.05 + 0.1 * Double(k % 4)))
        }
        let mixture = GaussianMixture(components: components)
        var rows = (0..<36).map { _ in (0..<13).map { _ in 2 * stream.normal(Double.self) } }
        rows.append([Double](repeating: 40, count: 13))
        let x = Tensor<Double>(rows: rows)
        for point in [DiscreteVPSchedule().point(at: 20), DiscreteVPSchedule().point(at: 600)] {
            let exact = mixture.exactModel(as: Double.self).predict(x, at: point)
            let single = mixture.exactModel(as: Float.self).predict(Tensor<Float>(x), at: point)
            // Rounding x to Float moves a log-responsibility by about |x − αμₖ|/Sₖ · 6·10⁻⁸ (here up
            // to ~3·10⁻⁵ at step 20), and ε̂ = (x − αx̂₀)/σ multiplies x̂₀'s error by α/σ.
            let noiseScale = point.alpha / point.sigma
            for (a, b) in zip(single.denoised.scalars, exact.denoised.scalars) { XCTAssertEqual(Double(a), b, accuracy: 1e-4 * (1 + abs(b))) }
            for (a, b) in zip(single.noise.scalars, exact.noise.scalars) { XCTAssertEqual(Double(a), b, accuracy: 1e-4 * noiseScale * (1 + abs(b))) }
        }
    }

    /// More than 128 components (the vector kernel's limit) take the matrix-product path in
    /// Float and agree with Double.
    func testSinglePrecisionManyComponentsMatchDouble() {
        var stream = RandomStream(seed: 12)
        let components = (0..<129).map { _ in
            GaussianMixture.Component(weight: 1, mean: (0..<3).map { _ in 4 * stream.normal(Double.self) }, covariance: .isotropic(variance: 0.3))
        }
        let mixture = GaussianMixture(components: components)
        let x = Tensor<Double>(rows: (0..<9).map { _ in (0..<3).map { _ in 3 * stream.normal(Double.self) } })
        let point = DiscreteVPSchedule().point(at: 300)
        let exact = mixture.exactModel(as: Double.self).predict(x, at: point)
        let single = mixture.exactModel(as: Float.self).predict(Tensor<Float>(x), at: point)
        for (a, b) in zip(single.denoised.scalars, exact.denoised.scalars) { XCTAssertEqual(Double(a), b, accuracy: 1e-4 * (1 + abs(b))) }
    }
}
