import Foundation

/// The ancestral sampler of DDPM (Ho, Jain & Abbeel 2020, Algorithm 2), for variance-preserving
/// schedules and arbitrary grids: with the step's αₛ² = ᾱ_t/ᾱ_{t′} and βₛ = 1 − αₛ², the
/// posterior q(x_{t′} | x_t, x̂₀) has mean
/// μ = (√ᾱ_{t′}·βₛ/(1 − ᾱ_t))·x̂₀ + (αₛ·(1 − ᾱ_{t′})/(1 − ᾱ_t))·x_t and variance
/// - `.fixedSmall`: β̃ = βₛ(1 − ᾱ_{t′})/(1 − ᾱ_t) (the posterior variance, DDPM's σ² = β̃);
/// - `.fixedLarge`: βₛ (DDPM's σ² = β), except on a step ending at the first training step,
///   where β̃ of step 1 is used as in `improved-diffusion` and the hallucination study's code.
/// No noise is added on the last step (to the clean point). First order; one evaluation per step.
public struct DDPMSampler: Sampler, Equatable {
    public enum Variance: String, Codable, Sendable {
        case fixedSmall, fixedLarge
    }

    public var variance: Variance

    public init(variance: Variance = .fixedSmall) {
        self.variance = variance
    }

    public var identifier: String { "ddpm" }
    public var order: Int { 1 }
    public var isStochastic: Bool { true }

    public func step<M: PredictionModel>(_ x: M.Value, index: Int, grid: TimeGrid, model: M,
                                         context: inout SamplingContext<M>, state: inout Void) -> M.Value where M.Value: NoiseSampleable {
        let (p, q) = grid[step: index]
        let prediction = context.predict(model, x, at: p)
        let alphaBar = p.alpha * p.alpha, alphaBarNext = q.alpha * q.alpha
        let stepAlphaSquared = alphaBar / alphaBarNext
        let beta = 1 - stepAlphaSquared
        let oneMinus = 1 - alphaBar, oneMinusNext = 1 - alphaBarNext
        let meanDenoised = q.alpha * beta / oneMinus
        let meanX = stepAlphaSquared.squareRoot() * oneMinusNext / oneMinus
        if q.isClean || index == grid.stepCount - 1 {
            return M.Value.combine(meanDenoised, prediction.denoised, meanX, x)
        }
        var varianceValue = beta * oneMinusNext / oneMinus
        if variance == .fixedLarge {
            varianceValue = beta
            // At the last noisy step the large variance is replaced by the posterior variance.
            if index == grid.stepCount - 2 { varianceValue = beta * oneMinusNext / oneMinus }
        }
        return M.Value.linearCombination([M.Value.Scalar(meanDenoised), M.Value.Scalar(meanX), M.Value.Scalar(varianceValue.squareRoot())],
                                         [prediction.denoised, x, context.noise(like: x)])
    }
}
