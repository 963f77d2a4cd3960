import Foundation

/// Stochastic "churn" of the EDM samplers (Karras et al. 2022, Algorithm 2): before a step from
/// noise level s, raise it to ŝ = s(1 + γ) with γ = min(S_churn/N, √2 − 1) when
/// S_tmin ≤ s ≤ S_tmax, by adding noise of variance (ŝ² − s²)·S_noise².
public struct Churn: Codable, Hashable, Sendable {
    public var amount: Double
    public var minimumSigma: Double
    public var maximumSigma: Double
    public var noiseScale: Double

    public init(amount: Double = 0, minimumSigma: Double = 0, maximumSigma: Double = .infinity, noiseScale: Double = 1) {
        self.amount = amount
        self.minimumSigma = minimumSigma
        self.maximumSigma = maximumSigma
        self.noiseScale = noiseScale
    }

    /// No churn: the deterministic samplers.
    public static let none = Churn()

    /// γ for a step starting at noise level s on a grid of `steps` steps.
    public func gamma(sigma s: Double, steps: Int) -> Double {
        guard amount > 0, s >= minimumSigma, s <= maximumSigma else { return 0 }
        return Swift.min(amount / Double(steps), 2.0.squareRoot() - 1)
    }
}

/// Applies churn to x at grid point p: the new point and state (or the same when γ = 0).
private func churned<M: PredictionModel>(_ x: M.Value, at p: TimePoint, churn: Churn, steps: Int,
                                          context: inout SamplingContext<M>) -> (M.Value, TimePoint) where M.Value: NoiseSampleable {
    let s = p.edmSigma
    let gamma = churn.gamma(sigma: s, steps: steps)
    guard gamma > 0 else { return (x, p) }
    let raised = s * (1 + gamma)
    let hat = context.point(atEDMSigma: raised)
    // In the VE scale y = x/α: ŷ = y + √(ŝ² − s²)·S_noise·z, then back to x̂ = α̂·ŷ.
    let extra = (raised * raised - s * s).squareRoot() * churn.noiseScale
    let xHat = M.Value.combine(hat.alpha / p.alpha, x, hat.alpha * extra, context.noise(like: x))
    return (xHat, hat)
}

/// Euler's method for the probability-flow ODE in the EDM form dy/ds = ε̂ with y = x/α and
/// s = σ/α (Karras et al. 2022, Algorithm 2 without the correction), with optional churn.
/// First order, one evaluation per step; without churn it coincides with deterministic DDIM.
/// The update is y′ = x̂₀ + s′·ε̂, so CFG++'s Euler form (step to the guided x̂₀, re-noise with the
/// unconditional ε̂) needs no special case.
public struct EulerSampler: Sampler, Equatable {
    public var churn: Churn

    public init(churn: Churn = .none) {
        self.churn = churn
    }

    public var identifier: String { "euler" }
    public var order: Int { 1 }
    public var isStochastic: Bool { churn.amount > 0 }

    public func step<M: PredictionModel>(_ x: M.Value, index: Int, grid: TimeGrid, model: M,
                                         context: inout SamplingContext<M>, state: inout Void) -> M.Value where M.Value: NoiseSampleable {
        let q = grid.points[index + 1]
        let (xHat, p) = churned(x, at: grid.points[index], churn: churn, steps: grid.stepCount, context: &context)
        let prediction = context.predict(model, xHat, at: p)
        return M.Value.combine(q.alpha, prediction.denoised, q.alpha * q.edmSigma, prediction.noise)
    }
}

/// Heun's second-order method for the probability-flow ODE in the EDM form (Karras et al. 2022,
/// Algorithm 1/2): an Euler predictor to the next point, then the trapezoidal corrector with the
/// slope there; Euler alone on a step that ends at σ = 0. Two evaluations per step (one on the
/// last); optional churn.
public struct HeunSampler: Sampler, Equatable {
    public var churn: Churn

    public init(churn: Churn = .none) {
        self.churn = churn
    }

    public var identifier: String { "heun" }
    public var order: Int { 2 }
    public var isStochastic: Bool { churn.amount > 0 }

    public func step<M: PredictionModel>(_ x: M.Value, index: Int, grid: TimeGrid, model: M,
                                         context: inout SamplingContext<M>, state: inout Void) -> M.Value where M.Value: NoiseSampleable {
        let q = grid.points[index + 1]
        let (xHat, p) = churned(x, at: grid.points[index], churn: churn, steps: grid.stepCount, context: &context)
        let first = context.predict(model, xHat, at: p)
        let s = p.edmSigma, sNext = q.edmSigma
        // y = x/α; Euler predictor y_e = y + (s′ − s)·ε̂.
        let y = xHat.scaled(by: M.Value.Scalar(1 / p.alpha))
        let yEuler = M.Value.combine(1, y, sNext - s, first.noise)
        guard sNext > 0 else { return yEuler.scaled(by: M.Value.Scalar(q.alpha)) }
        let second = context.predict(model, yEuler.scaled(by: M.Value.Scalar(q.alpha)), at: q)
        let h = sNext - s
        let yNext = M.Value.linearCombination([1, M.Value.Scalar(h / 2), M.Value.Scalar(h / 2)], [y, first.noise, second.noise])
        return yNext.scaled(by: M.Value.Scalar(q.alpha))
    }
}
