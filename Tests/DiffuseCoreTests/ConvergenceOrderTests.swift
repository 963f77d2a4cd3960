import Foundation
import XCTest
import _DiffuseTestSupport
import DiffuseTensor
@testable import DiffuseCore

/// Convergence orders of every deterministic registered solver against the exact
/// probability-flow map of a Gaussian target (diffrax's `test_ode_order` idea).
///
/// For data N(μ, s²I) the PF-ODE in y = x/α, ŝ = σ/α has the exact solution
/// y(ŝ) = μ + (y(ŝ₀) − μ)·√((s² + ŝ²)/(s² + ŝ₀²)), so the error of a solver after N steps is
/// known exactly; the slope of log error against log N must be −order.
final class ConvergenceOrderTests: XCTestCase {
    let mean = 0.7, std = 0.5

    private func exactMap(_ x: Tensor<Double>, from p: TimePoint, to q: TimePoint) -> Tensor<Double> {
        let ratio = ((std * std + q.edmSigma * q.edmSigma) / (std * std + p.edmSigma * p.edmSigma)).squareRoot()
        return ((x / p.alpha - mean) * ratio + mean) * q.alpha
    }

    private func model(_ schedule: some NoiseSchedule) -> ExactMixtureModel<Double> {
        GaussianMixture(means: Tensor(shape: [1, 4], repeating: mean), standardDeviation: std).exactModel(as: Double.self)
    }

    func testObservedOrderOfAnExactPowerLawIsItsExponent() {
        let steps = [10, 20, 40, 80]
        XCTAssertEqual(observedConvergenceOrder(steps: steps, errors: steps.map { 3 * pow(Double($0), -2.5) }), 2.5, accuracy: 1e-12)
        XCTAssertEqual(observedConvergenceOrder(steps: [5, 10], errors: [0.4, 0.1]), 2, accuracy: 1e-12)
    }

    private func measuredOrder(_ solver: SolverIdentifier, schedule: some NoiseSchedule, grid makeGrid: (Int) -> TimeGrid,
                               steps: [Int]) -> (order: Double, errors: [Double]) {
        let x0 = Tensor<Double>(shape: [3, 4], scalars: (0..<12).map { -1.5 + 0.25 * Double($0) })
        var errors: [Double] = []
        for n in steps {
            let grid = makeGrid(n)
            let start = x0 * grid.points[0].sigma
            let exact = exactMap(start, from: grid.points[0], to: grid.points[grid.stepCount])
            let result = solver.sample(model(schedule), from: start, grid: grid, schedule: schedule,
                                       controller: PIDController(relativeTolerance: 1e-12, absoluteTolerance: 1e-12))
            errors.append((result.samples - exact).abs().max().scalar)
        }
        return (observedConvergenceOrder(steps: steps, errors: errors), errors)
    }

    func testDeterministicSolversReachTheirOrderOnAVPSchedule() {
        let schedule = ContinuousVPSchedule.linear
        let steps = [10, 20, 40, 80]
        for solver in SolverIdentifier.allCases where !solver.isStochastic && solver != .dopri5 {
            // Log-SNR uniform from t = 1 to t = 1e-3 (not to σ = 0, where every method ends with an exact first-order step).
            let (order, errors) = measuredOrder(solver, schedule: schedule, grid: { TimeGrid.logSNRUniform(schedule, steps: $0, from: 1, to: 1e-3) }, steps: steps)
            XCTAssertEqual(order, Double(solver.order), accuracy: 0.45, "\(solver.rawValue): errors \(errors)")
        }
    }

    func testDeterministicSolversReachTheirOrderOnTheEDMSchedule() {
        // σmax = 80 as in EDM: multistep methods start with lower-order steps, whose O(h²)
        // local errors would cap the global order at 2 unless the first steps lie where the
        // probability-flow solution is nearly linear in λ (high noise).
        let schedule = EDMSchedule(sigmaMin: 0.01, sigmaMax: 80)
        let steps = [16, 32, 64, 128]
        for solver in SolverIdentifier.allCases where !solver.isStochastic && solver != .dopri5 {
            // Noise levels uniform in log σ from 80 to 0.01.
            let (order, errors) = measuredOrder(solver, schedule: schedule, grid: { n in
                TimeGrid.logSNRUniform(schedule, steps: n, from: 80, to: 0.01)
            }, steps: steps)
            // DPM-Solver++ 3M (bit-identical to diffusers', see DiffusersGoldenTests) warms up with
            // a first- and a second-order step; the first step's O(h²) local error is not
            // damped, so its global order is 2 unless the warm-up happens where x̂₀ barely moves
            // in λ (σ ≫ σ_data, as in the VP test above, which starts at λ ≈ −10 and measures 3).
            // UniPC's corrector lifts its warm-up step and keeps order 3.
            let expected = solver.asymptoticOrder
            XCTAssertEqual(order, Double(expected), accuracy: 0.45, "\(solver.rawValue): errors \(errors)")
        }
    }

    /// Dopri5 meets its tolerance: the error against the exact map is near the requested tolerance.
    func testAdaptiveDormandPrinceMeetsTolerance() {
        let schedule = ContinuousVPSchedule.linear
        let grid = TimeGrid.uniform(schedule, steps: 1, from: 1, to: 1e-3)
        let x0 = Tensor<Double>(shape: [2, 4], scalars: (0..<8).map { -1 + 0.3 * Double($0) })
        let start = x0 * grid.points[0].sigma
        let exact = exactMap(start, from: grid.points[0], to: grid.points[1])
        for tolerance in [1e-4, 1e-7, 1e-10] {
            let result = SolverIdentifier.dopri5.sample(model(schedule), from: start, grid: grid, schedule: schedule,
                                                         controller: PIDController(relativeTolerance: tolerance, absoluteTolerance: tolerance))
            let error = (result.samples - exact).abs().max().scalar
            XCTAssertLessThan(error, 50 * tolerance, "tolerance \(tolerance)")
            XCTAssertGreaterThan(result.statistics.acceptedSteps, 0)
            XCTAssertEqual(result.statistics.status, .completed)
        }
    }
}
