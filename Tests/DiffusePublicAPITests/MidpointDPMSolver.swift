import DiffuseCore
import Foundation

/// A sampler written outside the package: DPM-Solver-2 (singlestep, data prediction, r = ½;
/// Lu et al. 2022, Algorithm 1 of DPM-Solver++). Each step evaluates the model at the current
/// point and at the log-SNR midpoint of the step: second order, two evaluations per step. The
/// midpoint is off the grid, so the sampler holds the schedule.
struct MidpointDPMSolver<Value: NoiseSampleable>: Sampler {
    let schedule: any NoiseSchedule

    var identifier: String { "dpm-solver-2s" }
    var order: Int { 2 }
    var isStochastic: Bool { false }

    func step<M: PredictionModel>(_ x: Value, index: Int, grid: TimeGrid, model: M,
                                  context: inout SamplingContext<Value, M.State>, state: inout Void) -> Value where M.Value == Value {
        let (p, q) = grid[step: index]
        let d0 = context.predict(model, x, at: p).denoised
        if q.isClean { return d0.scaled(by: Value.Scalar(q.alpha)) }
        let h = q.logSNR - p.logSNR
        let mid = schedule.point(atEDMSigma: Foundation.exp(-(p.logSNR + h / 2)))
        // u = (σ_m/σ_s)·x − α_m(e^{−h/2} − 1)·D(x);  x′ = (σ_t/σ_s)·x − α_t(e^{−h} − 1)·D(u).
        let u = Value.combine(mid.sigma / p.sigma, x, -mid.alpha * Foundation.expm1(-h / 2), d0)
        let d1 = context.predict(model, u, at: mid).denoised
        return Value.combine(q.sigma / p.sigma, x, -q.alpha * Foundation.expm1(-h), d1)
    }
}
