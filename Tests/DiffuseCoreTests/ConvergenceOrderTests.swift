import Foundation
import XCTest
import _DiffuseTestSupport
import DiffuseTensor
@testable import DiffuseCore

/// Convergence orders of every deterministic sampler of the registry against the exact
/// probability-flow map of a Gaussian target (diffrax's `test_ode_order` idea). No test here
/// names a sampler: each is held to its own declared order.
///
/// For data N(μ, s²I) the PF-ODE in y = x/α, ŝ = σ/α has the exact solution
/// y(ŝ) = μ + (y(ŝ₀) − μ)·√((s² + ŝ²)/(s² + ŝ₀²)), so the error of a solver after N steps is
/// known exactly; the slope of log error against log N must be at least the declared order
/// (minus 0.45). It may be higher: the flow of a Gaussian is linear, on which some methods
/// superconverge (measured: the explicit midpoint rule 2.96–2.98, fixed-step Dormand–Prince 6.4–7.5
/// into round-off, UniPC-3 without corrector 4.6); a method whose error falls slower than
/// declared fails.
final class ConvergenceOrderTests: XCTestCase {
    let mean = 0.7, std = 0.5

    private func exactMap(_ x: Tensor<Double>, from p: TimePoint, to q: TimePoint) -> Tensor<Double> {
        let ratio = ((std * std + q.edmSigma * q.edmSigma) / (std * std + p.edmSigma * p.edmSigma)).squareRoot()
        return ((x / p.alpha - mean) * ratio + mean) * q.alpha
    }

    private var model: ExactMixtureModel<Double> {
        GaussianMixture(means: Tensor(shape: [1, 4], repeating: mean), standardDeviation: std).exactModel(as: Double.self)
    }

    func testObservedOrderOfAnExactPowerLawIsItsExponent() {
        let steps = [10, 20, 40, 80]
        XCTAssertEqual(observedConvergenceOrder(steps: steps, errors: steps.map { 3 * pow(Double($0), -2.5) }), 2.5, accuracy: 1e-12)
        XCTAssertEqual(observedConvergenceOrder(steps: [5, 10], errors: [0.4, 0.1]), 2, accuracy: 1e-12)
    }

    /// The registry holds at least 25 configurations under unique identifiers.
    func testRegistryHasUniqueIdentifiers() {
        let samplers = SamplerRegistry.samplers(for: Tensor<Double>.self, schedule: ContinuousVPSchedule.linear)
        XCTAssertGreaterThanOrEqual(samplers.count, 25)
        XCTAssertEqual(Set(samplers.map(\.identifier)).count, samplers.count, "\(samplers.map(\.identifier))")
        XCTAssertEqual(SamplerRegistry.identifiers, samplers.map(\.identifier))
        for s in samplers { XCTAssertEqual(SamplerRegistry.sampler(named: s.identifier, for: Tensor<Double>.self, schedule: ContinuousVPSchedule.linear)?.identifier, s.identifier) }
    }

    /// Every tableau satisfies exactly the order conditions of its declared order (and its
    /// embedded weights those of one order less).
    func testButcherTableauxSatisfyTheirOrderConditions() {
        for tableau in ButcherTableau.all {
            XCTAssertEqual(tableau.satisfiedOrder(), tableau.order, tableau.name)
            if let embedded = tableau.bEmbedded {
                XCTAssertEqual(tableau.satisfiedOrder(weights: embedded), tableau.order - 1, "\(tableau.name) embedded")
            }
        }
        // A perturbed weight breaks order 1 already; a perturbed stage only the higher orders.
        var broken = ButcherTableau.rungeKutta4
        broken.b[0] += 1e-6
        XCTAssertEqual(broken.satisfiedOrder(), 0)
        broken = .rungeKutta4
        broken.a[3][2] = 0.9
        broken.c[3] = 0.9
        XCTAssertLessThan(broken.satisfiedOrder(), 4)
    }

    private func measuredOrder(_ solver: any Sampler<Tensor<Double>>, grid makeGrid: (Int) -> TimeGrid, steps: [Int]) -> (order: Double, errors: [Double]) {
        let x0 = Tensor<Double>(shape: [3, 4], scalars: (0..<12).map { -1.5 + 0.25 * Double($0) })
        var errors: [Double] = []
        for n in steps {
            let grid = makeGrid(n)
            let start = x0 * grid.points[0].sigma
            let exact = exactMap(start, from: grid.points[0], to: grid.points[grid.stepCount])
            let result = sample(model, from: start, grid: grid, using: solver)
            errors.append((result.samples - exact).abs().max().scalar)
        }
        return (observedConvergenceOrder(steps: steps, errors: errors), errors)
    }

    private func deterministic(_ schedule: any NoiseSchedule) -> [any Sampler<Tensor<Double>>] {
        SamplerRegistry.samplers(for: Tensor<Double>.self, schedule: schedule).filter { !$0.isStochastic && !$0.isAdaptive }
    }

    func testDeterministicSolversReachTheirOrderOnAVPSchedule() {
        let schedule = ContinuousVPSchedule.linear
        let steps = [10, 20, 40, 80]
        // Log-SNR uniform from t = 1 (λ ≈ −10, where x̂₀ barely moves, so multistep warm-up
        // errors are negligible) to t = 1e-3 (not to σ = 0, where every method ends with an
        // exact first-order step): the declared order.
        for solver in deterministic(schedule) {
            let (order, errors) = measuredOrder(solver, grid: { TimeGrid.logSNRUniform(schedule, steps: $0, from: 1, to: 1e-3) }, steps: steps)
            XCTAssertGreaterThan(order, Double(solver.order) - 0.45, "\(solver.identifier): errors \(errors)")
        }
    }

    func testDeterministicSolversReachTheirAsymptoticOrderOnTheEDMSchedule() {
        // σmax = 80 as in EDM: the warm-up of multistep methods happens where x̂₀ still moves, so
        // the asymptotic order (declared by each sampler) is what is measured.
        let schedule = EDMSchedule(sigmaMin: 0.01, sigmaMax: 80)
        let steps = [16, 32, 64, 128]
        for solver in deterministic(schedule) {
            let (order, errors) = measuredOrder(solver, grid: { n in TimeGrid.logSNRUniform(schedule, steps: n, from: 80, to: 0.01) }, steps: steps)
            XCTAssertGreaterThan(order, Double(solver.asymptoticOrder) - 0.45, "\(solver.identifier): errors \(errors)")
        }
    }

    /// Adaptive samplers meet their tolerance: the error against the exact map is near it.
    func testAdaptiveSamplersMeetTolerance() {
        let schedule = ContinuousVPSchedule.linear
        let grid = TimeGrid.uniform(schedule, steps: 1, from: 1, to: 1e-3)
        let x0 = Tensor<Double>(shape: [2, 4], scalars: (0..<8).map { -1 + 0.3 * Double($0) })
        let start = x0 * grid.points[0].sigma
        let exact = exactMap(start, from: grid.points[0], to: grid.points[1])
        // Every embedded pair of order ≥ 3 (a second-order pair would need ~10⁵ steps at 1e-10).
        for method in ButcherTableau.all where method.bEmbedded != nil && method.order >= 3 {
            for tolerance in [1e-4, 1e-7, 1e-10] {
                let solver = ProbabilityFlowODESampler<Tensor<Double>>(method: method, controller: PIDController(relativeTolerance: tolerance, absoluteTolerance: tolerance),
                                                                       schedule: schedule)
                let result = sample(model, from: start, grid: grid, using: solver)
                let error = (result.samples - exact).abs().max().scalar
                XCTAssertLessThan(error, 50 * tolerance, "\(solver.identifier) tolerance \(tolerance)")
                XCTAssertGreaterThan(result.statistics.acceptedSteps, 0)
                XCTAssertEqual(result.statistics.status, .completed)
            }
        }
    }
}
