import Foundation

/// Stochastic "churn" of the EDM samplers (Karras et al. 2022, Algorithm 2): before a step from
/// noise level s, raise it to ŝ = s(1 + γ) with γ = min(S_churn/N, √2 − 1) when
/// S_tmin ≤ s ≤ S_tmax, by adding noise of variance (ŝ² − s²)·S_noise².
///
/// The raised level lies between grid points, so churn holds the schedule that maps it to a
/// model time: only ``none`` has none.
public struct Churn: Sendable {
    public var amount: Double
    public var minimumSigma: Double
    public var maximumSigma: Double
    public var noiseScale: Double
    /// The schedule for the raised noise level (nil only when `amount` is 0).
    public let schedule: (any NoiseSchedule)?

    /// Churn of `amount` (S_churn) between the EDM noise levels `minimumSigma` and `maximumSigma`.
    public init(amount: Double, minimumSigma: Double = 0, maximumSigma: Double = .infinity, noiseScale: Double = 1,
                schedule: any NoiseSchedule) {
        precondition(amount >= 0 && amount.isFinite, "churn must be finite and non-negative, got \(amount)")
        self.amount = amount
        self.minimumSigma = minimumSigma
        self.maximumSigma = maximumSigma
        self.noiseScale = noiseScale
        self.schedule = schedule
    }

    private init() {
        (amount, minimumSigma, maximumSigma, noiseScale, schedule) = (0, 0, .infinity, 1, nil)
    }

    /// No churn: the deterministic samplers.
    public static let none = Churn()

    /// γ for a step starting at noise level s on a grid of `steps` steps.
    public func gamma(sigma s: Double, steps: Int) -> Double {
        guard amount > 0, s >= minimumSigma, s <= maximumSigma else { return 0 }
        return Swift.min(amount / Double(steps), 2.0.squareRoot() - 1)
    }

    /// Applies churn to x at grid point p: the raised state and point (the same when γ = 0).
    func apply<V: NoiseSampleable, MS>(_ x: V, at p: TimePoint, steps: Int, context: inout SamplingContext<V, MS>) -> (V, TimePoint) {
        let s = p.edmSigma
        let gamma = gamma(sigma: s, steps: steps)
        guard gamma > 0, let schedule else { return (x, p) }
        // Never above the schedule's largest noise level (its points there would not be the schedule's).
        let raised = Swift.min(s * (1 + gamma), schedule.edmSigma(at: schedule.timeRange.upperBound))
        guard raised > s else { return (x, p) }
        let hat = schedule.point(atEDMSigma: raised)
        // In the VE scale y = x/α: ŷ = y + √(ŝ² − s²)·S_noise·z, then back to x̂ = α̂·ŷ.
        let extra = (raised * raised - s * s).squareRoot() * noiseScale
        return (V.combine(hat.alpha / p.alpha, x, hat.alpha * extra, context.noise(like: x)), hat)
    }
}

/// Euler's method for the probability-flow ODE in the EDM form dy/ds = ε̂ with y = x/α and
/// s = σ/α (Karras et al. 2022, Algorithm 2 without the correction), with optional churn.
/// First order, one evaluation per step; without churn it coincides with deterministic DDIM.
/// The update is y′ = x̂₀ + s′·ε̂, so CFG++'s Euler form (step to the guided x̂₀, re-noise with the
/// unconditional ε̂) needs no special case.
public struct EulerSampler<Value: NoiseSampleable>: Sampler {
    public var churn: Churn

    public init(churn: Churn = .none) {
        self.churn = churn
    }

    public var identifier: String { churn.amount > 0 ? "euler-churn\(churn.amount)" : "euler" }
    public var order: Int { 1 }
    public var isStochastic: Bool { churn.amount > 0 }

    public func step<M: PredictionModel>(_ x: Value, index: Int, grid: TimeGrid, model: M,
                                         context: inout SamplingContext<Value, M.State>, state: inout Void) -> Value where M.Value == Value {
        let q = grid.points[index + 1]
        let (xHat, p) = churn.apply(x, at: grid.points[index], steps: grid.stepCount, context: &context)
        let prediction = context.predict(model, xHat, at: p)
        return Value.combine(q.alpha, prediction.denoised, q.alpha * q.edmSigma, prediction.noise)
    }
}

/// Heun's second-order method for the probability-flow ODE in the EDM form (Karras et al. 2022,
/// Algorithm 1/2): an Euler predictor to the next point, then the trapezoidal corrector with the
/// slope there; Euler alone on a step that ends at σ = 0. Two evaluations per step (one on the
/// last); optional churn.
public struct HeunSampler<Value: NoiseSampleable>: Sampler {
    public var churn: Churn

    public init(churn: Churn = .none) {
        self.churn = churn
    }

    public var identifier: String { churn.amount > 0 ? "heun-churn\(churn.amount)" : "heun" }
    /// Second order without churn; with churn the injected noise makes it a first-order (weak)
    /// SDE scheme.
    public var order: Int { churn.amount > 0 ? 1 : 2 }
    public var isStochastic: Bool { churn.amount > 0 }

    public func step<M: PredictionModel>(_ x: Value, index: Int, grid: TimeGrid, model: M,
                                         context: inout SamplingContext<Value, M.State>, state: inout Void) -> Value where M.Value == Value {
        let q = grid.points[index + 1]
        let (xHat, p) = churn.apply(x, at: grid.points[index], steps: grid.stepCount, context: &context)
        let first = context.predict(model, xHat, at: p)
        let s = p.edmSigma, sNext = q.edmSigma
        // y = x/α; Euler predictor y_e = y + (s′ − s)·ε̂.
        let y = xHat.scaled(by: Value.Scalar(1 / p.alpha))
        let yEuler = Value.combine(1, y, sNext - s, first.noise)
        guard sNext > 0 else { return yEuler.scaled(by: Value.Scalar(q.alpha)) }
        let second = context.predict(model, yEuler.scaled(by: Value.Scalar(q.alpha)), at: q)
        let h = sNext - s
        let yNext = Value.linearCombination([1, Value.Scalar(h / 2), Value.Scalar(h / 2)], [y, first.noise, second.noise])
        return yNext.scaled(by: Value.Scalar(q.alpha))
    }
}
