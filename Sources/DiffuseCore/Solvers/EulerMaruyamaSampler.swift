import Foundation

/// Euler–Maruyama for the reverse-time SDE of a schedule (Song et al. 2021, eq. 6):
/// dx = [f(t)x − g(t)²∇log p_t(x)] dt + g(t) dW̄, with f = α′/α, g² = 2σσ′ − 2fσ² and
/// ∇log p = −ε̂/σ, stepped on the grid's times (Δt = t′ − t < 0):
/// x′ = x + (f·x + g²·ε̂/σ)·Δt + g·√|Δt|·z. A step that ends at the clean point returns x̂₀
/// (the final denoising step of score-SDE samplers). Strong order ½, weak order 1; one
/// evaluation per step. Holds the schedule, whose f and g it needs.
public struct EulerMaruyamaSampler<Value: NoiseSampleable>: Sampler {
    public let schedule: any NoiseSchedule

    public init(schedule: any NoiseSchedule) {
        self.schedule = schedule
    }

    public var identifier: String { "euler-maruyama" }
    public var order: Int { 1 }
    public var isStochastic: Bool { true }

    public func step<M: PredictionModel>(_ x: Value, index: Int, grid: TimeGrid, model: M,
                                         context: inout SamplingContext<Value, M.State>, state: inout Void) -> Value where M.Value == Value {
        let (p, q) = grid[step: index]
        let prediction = context.predict(model, x, at: p)
        if q.isClean { return prediction.denoised.scaled(by: Value.Scalar(q.alpha)) }
        let (f, g2) = schedule.sdeCoefficients(at: p.time)
        let dt = q.time - p.time
        return Value.linearCombination([Value.Scalar(1 + f * dt), Value.Scalar(g2 / p.sigma * dt), Value.Scalar((g2 * Swift.abs(dt)).squareRoot())],
                                       [x, prediction.noise, context.noise(like: x)])
    }
}
