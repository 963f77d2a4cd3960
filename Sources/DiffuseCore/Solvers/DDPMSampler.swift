import Foundation

/// The ancestral sampler of DDPM (Ho, Jain & Abbeel 2020, Algorithm 2), for variance-preserving
/// schedules and arbitrary grids: each step draws from the posterior ``DDPMPosterior``
/// q(x_{t′} | x_t, x̂₀) with variance
/// - `.fixedSmall`: the posterior variance β̃ (DDPM's σ² = β̃);
/// - `.fixedLarge`: the step's βₛ (DDPM's σ² = β), except on the step before the last, where β̃
///   is used as in `improved-diffusion` and the hallucination study's code (on their grids that
///   step ends at the first training step).
/// No noise is added on the last step (to the clean point). First order (weak); one evaluation
/// per step.
public struct DDPMSampler<Value: NoiseSampleable>: Sampler, Equatable {
    public enum Variance: String, Codable, Sendable {
        case fixedSmall, fixedLarge
    }

    public var variance: Variance

    public init(variance: Variance = .fixedSmall) {
        self.variance = variance
    }

    public var identifier: String { variance == .fixedSmall ? "ddpm" : "ddpm-large" }
    public var order: Int { 1 }
    public var isStochastic: Bool { true }

    public func step<M: PredictionModel>(_ x: Value, index: Int, grid: TimeGrid, model: M,
                                         context: inout SamplingContext<Value, M.State>, state: inout Void) -> Value where M.Value == Value {
        let (p, q) = grid[step: index]
        let prediction = context.predict(model, x, at: p)
        let posterior = DDPMPosterior(from: p, to: q)
        if q.isClean || index == grid.stepCount - 1 {
            return posterior.mean(denoised: prediction.denoised, x: x)
        }
        // At the last noisy step the large variance is replaced by the posterior variance.
        let chosen = variance == .fixedLarge && index != grid.stepCount - 2 ? posterior.stepBeta : posterior.variance
        return posterior.draw(denoised: prediction.denoised, x: x, noise: context.noise(like: x), variance: chosen)
    }
}
