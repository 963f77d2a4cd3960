import DiffuseCore
import DiffuseTensor
@testable import DiffuseTheory
import XCTest
import _DiffuseTestSupport

final class ClosedFormTests: XCTestCase {
    /// Central differences of a scalar function of each row.
    private func numericGradient(_ x: Tensor<Double>, h: Double = 1e-5, _ f: (Tensor<Double>) -> [Double]) -> Tensor<Double> {
        var result = [Double](repeating: 0, count: x.count)
        let d = x.shape[1]
        for j in 0..<d {
            var plus = x.scalars, minus = x.scalars
            for i in 0..<x.shape[0] { plus[i * d + j] += h; minus[i * d + j] -= h }
            let fp = f(Tensor(shape: x.shape, scalars: plus)), fm = f(Tensor(shape: x.shape, scalars: minus))
            for i in 0..<x.shape[0] { result[i * d + j] = (fp[i] - fm[i]) / (2 * h) }
        }
        return Tensor(shape: x.shape, scalars: result)
    }

    /// The MoLRG score equals the gradient of its log-density, and its posterior mean equals the
    /// brute-force Gaussian-mixture posterior with full covariances U_kU_kᵀ.
    func testLowRankMixtureAgainstBruteForceAndFiniteDifferences() throws {
        let model = try LowRankGaussianMixture.orthogonalSubspaces(ambientDimension: 10, subspaceDimension: 3, count: 3, key: RandomKey(seed: 1))
        let weighted = LowRankGaussianMixture(bases: model.bases, weights: [0.5, 0.3, 0.2])
        let x = Tensor<Double>.randomNormal(shape: [5, 10], key: RandomKey(seed: 2)) * 1.3
        for (s, g) in [(1.0, 0.2), (0.8, 0.6), (0.3, 2.0)] {
            let brute = weighted.asGaussianMixture
            assertClose(weighted.posteriorMean(x, alpha: s, sigma: g), try brute.posteriorMean(x, alpha: s, sigma: g), absolute: 1e-11)
            assertClose(weighted.logDensity(x, alpha: s, sigma: g), try brute.logDensity(x, alpha: s, sigma: g), absolute: 1e-9)
            let numeric = numericGradient(x) { weighted.logDensity($0, alpha: s, sigma: g).scalars }
            assertClose(weighted.score(x, alpha: s, sigma: g), numeric, absolute: 1e-6)
        }
        // Samples lie in their subspaces.
        let (samples, labels) = model.sample(perComponent: 4, key: RandomKey(seed: 3))
        for i in 0..<samples.shape[0] {
            let row = samples[i].reshaped([1, 10])
            let inside = matmul(matmul(row, model.bases[labels[i]]), model.bases[labels[i]].transposed())
            assertClose(inside, row, absolute: 1e-12)
        }
    }

    /// The interpolant score is the gradient of log ρ_t, and the velocity satisfies the continuity
    /// equation ∂_t ρ + ∇·(ρb) = 0 (checked by finite differences in 1-D and 2-D).
    func testInterpolantFieldsAgainstFiniteDifferences() throws {
        let source = GaussianMixture(components: [.init(weight: 0.4, mean: [-1, 0.5], covariance: .full(Tensor(rows: [[0.5, 0.1], [0.1, 0.3]]))),
                                                  .init(weight: 0.6, mean: [1, -0.5], covariance: .isotropic(variance: 0.2))])
        let target = GaussianMixture(components: [.init(weight: 1, mean: [2, 2], covariance: .full(Tensor(rows: [[0.3, -0.05], [-0.05, 0.6]]))),
                                                  .init(weight: 2, mean: [-2, 1], covariance: .isotropic(variance: 0.4))])
        let fields = MixtureInterpolantFields(interpolant: StochasticInterpolant(path: .linear, gamma: .brownian(scale: 1)), source: source, target: target)
        let x = Tensor<Double>(rows: [[0.1, 0.2], [-1, 1.5], [1.7, 1.2]])
        for t in [0.2, 0.5, 0.8] {
            let (b, s) = fields.fields(x, at: t)
            assertClose(s, numericGradient(x) { try! fields.logDensity($0, at: t).scalars }, absolute: 1e-6)
            // Continuity: ∂_t log ρ = −∇·b − b·∇log ρ.
            let h = 1e-5
            let dt = zip(try fields.logDensity(x, at: t + h).scalars, try fields.logDensity(x, at: t - h).scalars).map { ($0 - $1) / (2 * h) }
            var divergence = [Double](repeating: 0, count: 3)
            for j in 0..<2 {
                var plus = x.scalars, minus = x.scalars
                for i in 0..<3 { plus[i * 2 + j] += h; minus[i * 2 + j] -= h }
                let bp = fields.fields(Tensor(shape: [3, 2], scalars: plus), at: t).velocity.scalars
                let bm = fields.fields(Tensor(shape: [3, 2], scalars: minus), at: t).velocity.scalars
                for i in 0..<3 { divergence[i] += (bp[i * 2 + j] - bm[i * 2 + j]) / (2 * h) }
            }
            let transport = (b * s).sum(alongAxes: [1]).scalars
            for i in 0..<3 { XCTAssertEqual(dt[i], -divergence[i] - transport[i], accuracy: 1e-5, "t=\(t) row \(i)") }
        }
    }

    /// The exact Gaussian flow map agrees with Dormand–Prince at tight tolerance on the exact model.
    func testGaussianFlowMapAgainstNumericalIntegration() throws {
        let a = Tensor<Double>(rows: [[1, 0.3, 0], [0.2, 0.8, -0.4], [0, 0.5, 0.6]])
        let covariance = matmul(a, a.transposed()) + Tensor<Double>.identity(3) * 0.01
        let mean = [0.3, -0.2, 1.0]
        let flow = try GaussianFlowMap(mean: mean, covariance: covariance)
        let model = GaussianMixture(components: [.init(weight: 1, mean: mean, covariance: .full(covariance))]).exactModel(as: Double.self)
        for schedule in [ContinuousVPSchedule.linear as any NoiseSchedule, EDMSchedule(sigmaMin: 0.01, sigmaMax: 20)] {
            let grid = TimeGrid.logSNRUniform(schedule, steps: 4, from: schedule is EDMSchedule ? 20 : 1, to: schedule is EDMSchedule ? 0.01 : 1e-3)
            let start = Tensor<Double>.randomNormal(shape: [4, 3], key: RandomKey(seed: 8)) * grid.points[0].sigma
            let dopri5 = ProbabilityFlowODESampler<Tensor<Double>>(controller: PIDController(relativeTolerance: 1e-11, absoluteTolerance: 1e-11), schedule: schedule)
            let numeric = sample(model, from: start, grid: grid, using: dopri5).samples
            assertClose(flow.map(start, from: grid.points[0], to: grid.points[grid.stepCount]), numeric, absolute: 1e-7)
        }
    }
}

final class DistanceTests: XCTestCase {
    func testGaussianKLAndW2() throws {
        let s0 = Tensor<Double>(rows: [[2, 0.3], [0.3, 1]]), s1 = Tensor<Double>(rows: [[1, -0.2], [-0.2, 0.5]])
        XCTAssertEqual(try GaussianDistances.klDivergence(mean0: [1, 2], covariance0: s0, mean1: [1, 2], covariance1: s0), 0, accuracy: 1e-12)
        XCTAssertEqual(try GaussianDistances.wasserstein2Squared(mean0: [1, 2], covariance0: s0, mean1: [1, 2], covariance1: s0), 0, accuracy: 1e-10)
        // 1-D: KL = log(σ₁/σ₀) + (σ₀² + Δμ²)/(2σ₁²) − ½; W₂² = Δμ² + (σ₀ − σ₁)².
        let kl = try GaussianDistances.klDivergence(mean0: [0], covariance0: Tensor(rows: [[4]]), mean1: [1], covariance1: Tensor(rows: [[1]]))
        XCTAssertEqual(kl, Foundation.log(1.0 / 2) + (4 + 1) / 2 - 0.5, accuracy: 1e-12)
        let w2 = try GaussianDistances.wasserstein2Squared(mean0: [0], covariance0: Tensor(rows: [[4]]), mean1: [1], covariance1: Tensor(rows: [[1]]))
        XCTAssertEqual(w2, 1 + 1, accuracy: 1e-12)
        // Commuting (diagonal) covariances: Σ(√a − √b)².
        let w2d = try GaussianDistances.wasserstein2Squared(mean0: [0, 0], covariance0: Tensor(rows: [[4, 0], [0, 9]]), mean1: [0, 0], covariance1: Tensor(rows: [[1, 0], [0, 0]]))
        XCTAssertEqual(w2d, 1 + 9, accuracy: 1e-10)
        // KL of general covariances against the determinant/trace formula by hand (2-D).
        let det0 = 2 * 1 - 0.09, det1 = 1 * 0.5 - 0.04
        let inv1 = Tensor<Double>(rows: [[0.5, 0.2], [0.2, 1]]) / det1
        let trace = (inv1 * s0).sum().scalar
        let expected = 0.5 * (trace - 2 + Foundation.log(det1 / det0))
        XCTAssertEqual(try GaussianDistances.klDivergence(mean0: [0, 0], covariance0: s0, mean1: [0, 0], covariance1: s1), expected, accuracy: 1e-12)
    }

    /// The unbiased MMD estimator agrees with the closed form between Gaussian mixtures.
    func testMMDEstimatorAgainstClosedForm() throws {
        let p = GaussianMixture(means: Tensor(rows: [[0, 0, 0], [2, 0, 1]]), standardDeviation: 0.7)
        let q = GaussianMixture(means: Tensor(rows: [[0.5, 0, 0]]), standardDeviation: 1)
        let exact = try MaximumMeanDiscrepancy.squared(p, q, bandwidth: 1.3)
        var estimates: [Double] = []
        for r in 0..<20 {
            let x = try p.sample(count: 1500, key: RandomKey(seed: UInt64(2 * r))).samples
            let y = try q.sample(count: 1500, key: RandomKey(seed: UInt64(2 * r + 1))).samples
            estimates.append(MaximumMeanDiscrepancy.unbiasedSquared(x, y, bandwidth: 1.3))
        }
        let mean = estimates.reduce(0, +) / 20
        let sd = (estimates.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 19).squareRoot()
        XCTAssertEqual(mean, exact, accuracy: 4 * sd / Foundation.sqrt(20) + 1e-4)
        XCTAssertEqual(try MaximumMeanDiscrepancy.squared(p, p, bandwidth: 1.3), 0, accuracy: 1e-12)
    }

    /// Sliced W₂ from samples approaches the exact per-direction Gaussian value; 1-D W₁/W₂ of
    /// shifted samples equal the shift.
    func testSlicedAndOneDimensionalWasserstein() throws {
        let s0 = Tensor<Double>(rows: [[1, 0.4], [0.4, 0.8]]), s1 = Tensor<Double>(rows: [[0.5, 0], [0, 1.5]])
        let p = GaussianMixture(components: [.init(weight: 1, mean: [0, 0], covariance: .full(s0))])
        let q = GaussianMixture(components: [.init(weight: 1, mean: [0.5, -0.3], covariance: .full(s1))])
        let exact = EmpiricalWasserstein.slicedSquared(mean0: [0, 0], covariance0: s0, mean1: [0.5, -0.3], covariance1: s1, directions: 200, key: RandomKey(seed: 5))
        let sampled = EmpiricalWasserstein.slicedSquared(try p.sample(count: 20_000, key: RandomKey(seed: 6)).samples,
                                                         try q.sample(count: 20_000, key: RandomKey(seed: 7)).samples, directions: 200, key: RandomKey(seed: 5))
        XCTAssertEqual(sampled, exact, accuracy: 0.02 * exact + 0.005)
        let a = (0..<100).map { Double($0) / 7 }
        XCTAssertEqual(EmpiricalWasserstein.w1(a, a.map { $0 + 0.3 }), 0.3, accuracy: 1e-12)
        XCTAssertEqual(EmpiricalWasserstein.w2(a, a.map { $0 - 0.5 }), 0.5, accuracy: 1e-12)
        // Different sizes: {0, 1} against {0, 0.5, 1}: W₁ = ∫|F⁻¹ − G⁻¹| = 1/6·0.5 + 1/6·0.5 = 1/6.
        XCTAssertEqual(EmpiricalWasserstein.w1([0, 1], [0, 0.5, 1]), 1.0 / 6, accuracy: 1e-12)
    }

    func testKolmogorovSmirnovTwoSample() {
        var stream = RandomStream(seed: 1)
        let a = (0..<2000).map { _ in stream.normal(Double.self) }
        let b = (0..<2000).map { _ in stream.normal(Double.self) }
        let shifted = b.map { $0 + 0.3 }
        XCTAssertGreaterThan(KolmogorovSmirnov.test(a, b).pValue, 0.001)
        XCTAssertLessThan(KolmogorovSmirnov.test(a, shifted).pValue, 1e-6)
    }
}
