import Foundation

/// Solves the probability-flow ODE with a Runge–Kutta method given as a ``ButcherTableau``: with
/// one fixed step per grid interval (Euler, Heun, midpoint, Ralston, Bogacki–Shampine, RK4, …, the
/// same stepper for every tableau), or adaptively with an embedded pair and a ``PIDController``
/// (Dormand–Prince 5(4) by default, the `dopri5` of score-SDE and k-diffusion likelihoods).
///
/// The ODE is integrated in the EDM form: y = x/α against s = σ/α, dy/ds = ε̂(α·y, t(s)), which
/// is smooth for every Gaussian schedule (the time variable of a discrete schedule is only
/// piecewise smooth). Stages between grid points are evaluated at the schedule's point of that
/// noise level, so the sampler holds the schedule. Grid points are where the solution is
/// reported; the adaptive solver takes its own steps between them.
///
/// Order: the tableau's. Limitation: adaptive step sizes are chosen from the error of the whole
/// state, so with a batched tensor state they depend on the other samples of the batch
/// (fixed-step tableaux do not).
public struct ProbabilityFlowODESampler<Value: NoiseSampleable>: Sampler {
    public var method: ButcherTableau
    public var controller: PIDController?
    public let schedule: any NoiseSchedule

    /// Adaptive integration with an embedded pair (Dormand–Prince by default).
    public init(method: ButcherTableau = .dormandPrince, controller: PIDController = PIDController(), schedule: any NoiseSchedule) {
        precondition(method.bEmbedded != nil, "adaptive integration needs a tableau with an embedded error estimate; \(method.name) has none")
        self.method = method
        self.controller = controller
        self.schedule = schedule
    }

    /// One fixed step of `method` per grid interval.
    public init(fixedStep method: ButcherTableau, schedule: any NoiseSchedule) {
        self.method = method
        self.controller = nil
        self.schedule = schedule
    }

    public var identifier: String { controller == nil ? "rk-\(method.name)" : "adaptive-\(method.name)" }
    public var order: Int { method.order }
    public var isStochastic: Bool { false }
    public var isAdaptive: Bool { controller != nil }

    /// Accepted and rejected internal steps.
    public struct State: Sendable {
        public var accepted = 0
        public var rejected = 0
        public var hitLimit = false

        /// Reports the internal steps, and the step limit as the status.
        func record(into statistics: inout SamplingStatistics) {
            statistics.acceptedSteps = accepted
            statistics.rejectedSteps = rejected
            if hitLimit && statistics.status == .completed { statistics.status = .maximumStepsReached }
        }
    }

    public func makeState() -> State { State() }

    public func record(_ state: State, into statistics: inout SamplingStatistics) { state.record(into: &statistics) }

    public func step<M: PredictionModel>(_ x: Value, index: Int, grid: TimeGrid, model: M,
                                         context: inout SamplingContext<Value, M.State>, state: inout State) -> Value where M.Value == Value {
        let (p, q) = grid[step: index]
        let s0 = p.edmSigma, s1 = q.edmSigma
        var ctx = context
        let field: (Value, Double) -> Value = { y, s in
            let point = s == s0 ? p : (s == s1 ? q : schedule.point(atEDMSigma: s))
            if point.sigma == 0 {
                // At σ = 0 the slope ε̂ is the model's noise estimate at the clean end.
                return ctx.predict(model, y, at: point).noise
            }
            return ctx.predict(model, y.scaled(by: Value.Scalar(point.alpha)), at: point).noise
        }
        let y0 = x.scaled(by: Value.Scalar(1 / p.alpha))
        let y1: Value
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
        return y1.scaled(by: Value.Scalar(q.alpha))
    }
}
