import Foundation

/// Euler–Maruyama for the reverse-time SDE of a schedule (Song et al. 2021, eq. 6):
/// dx = [f(t)x − g(t)²∇log p_t(x)] dt + g(t) dW̄, with f = α′/α, g² = 2σσ′ − 2fσ² and
/// ∇log p = −ε̂/σ, stepped on the grid's times (Δt = t′ − t < 0):
/// x′ = x + (f·x + g²·ε̂/σ)·Δt + g·√|Δt|·z. A step that ends at the clean point returns x̂₀
/// (the final denoising step of score-SDE samplers). Strong order ½, weak order 1; one
/// evaluation per step. Needs the schedule (`sample(..., schedule:)`).
public struct EulerMaruyamaSampler: Sampler, Equatable {
    public init() {}

    public var identifier: String { "euler-maruyama" }
    public var order: Int { 1 }
    public var isStochastic: Bool { true }

    public func step<M: PredictionModel>(_ x: M.Value, index: Int, grid: TimeGrid, model: M,
                                         context: inout SamplingContext<M>, state: inout Void) -> M.Value where M.Value: NoiseSampleable {
        let (p, q) = grid[step: index]
        let prediction = context.predict(model, x, at: p)
        if q.isClean { return prediction.denoised.scaled(by: M.Value.Scalar(q.alpha)) }
        guard let schedule = context.schedule else {
            preconditionFailure("EulerMaruyamaSampler needs the schedule: pass `schedule:` to sample(...)")
        }
        let (f, g2) = schedule.sdeCoefficients(at: p.time)
        let dt = q.time - p.time
        return M.Value.linearCombination([M.Value.Scalar(1 + f * dt), M.Value.Scalar(g2 / p.sigma * dt), M.Value.Scalar((g2 * Swift.abs(dt)).squareRoot())],
                                         [x, prediction.noise, context.noise(like: x)])
    }
}
