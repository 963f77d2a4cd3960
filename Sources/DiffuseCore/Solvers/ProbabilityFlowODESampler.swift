import Foundation

/// Solves the probability-flow ODE with a Runge–Kutta method from ``ButcherTableau``:
/// adaptively with an embedded pair and a ``PIDController`` (Dormand–Prince 5(4) by default,
/// the `dopri5` of score-SDE and k-diffusion likelihoods), or with one fixed step per grid
/// interval for methods without an error estimate.
///
/// The ODE is integrated in the EDM form: y = x/α against s = σ/α, dy/ds = ε̂(α·y, t(s)), which
/// is smooth for every Gaussian schedule (the time variable of a discrete schedule is only
/// piecewise smooth). Grid points are where the solution is reported; the adaptive solver takes
/// its own steps between them. Needs the schedule (`sample(..., schedule:)`).
///
/// Limitation: the step sizes are chosen from the error of the whole state, so with a batched
/// tensor state they depend on the other samples of the batch (fixed-grid samplers do not).
public struct ProbabilityFlowODESampler: Sampler {
    public var method: ButcherTableau
    public var controller: PIDController?

    /// Adaptive Dormand–Prince with the given controller.
    public init(method: ButcherTableau = .dormandPrince, controller: PIDController? = PIDController()) {
        self.method = method
        self.controller = method.bEmbedded == nil ? nil : controller
    }

    /// One fixed step of `method` per grid interval.
    public static func fixedStep(_ method: ButcherTableau) -> ProbabilityFlowODESampler {
        ProbabilityFlowODESampler(method: method, controller: nil)
    }

    public var identifier: String { controller == nil ? method.name : "dopri5" }
    public var order: Int { method.order }
    public var isStochastic: Bool { false }

    /// Accepted and rejected internal steps.
    public struct State: AdaptiveStepCounts {
        public var accepted = 0
        public var rejected = 0
        public var hitLimit = false
    }

    public func makeState() -> State { State() }

    public func step<M: PredictionModel>(_ x: M.Value, index: Int, grid: TimeGrid, model: M,
                                         context: inout SamplingContext<M>, state: inout State) -> M.Value where M.Value: NoiseSampleable {
        let (p, q) = grid[step: index]
        let s0 = p.edmSigma, s1 = q.edmSigma
        var ctx = context
        let field: (M.Value, Double) -> M.Value = { y, s in
            let point = s == s0 ? p : (s == s1 ? q : ctx.point(atEDMSigma: s))
            if point.sigma == 0 {
                // At σ = 0 the slope ε̂ is the model's noise estimate at the clean end.
                return ctx.predict(model, y, at: point).noise
            }
            return ctx.predict(model, y.scaled(by: M.Value.Scalar(point.alpha)), at: point).noise
        }
        let y0 = x.scaled(by: M.Value.Scalar(1 / p.alpha))
        let y1: M.Value
        if let controller {
            let solution = integrate(field, from: y0, over: (s0, s1), method: method, controller: controller)
            state.accepted += solution.accepted
            state.rejected += solution.rejected
            if !solution.reachedEnd { state.hitLimit = true }
            y1 = solution.y
        } else {
            y1 = method.step(field, y: y0, t: s0, h: s1 - s0).y
            state.accepted += 1
        }
        context = ctx
        return y1.scaled(by: M.Value.Scalar(q.alpha))
    }
}
