import Foundation

/// DDIM (Song, Meng & Ermon, "Denoising Diffusion Implicit Models", ICLR 2021), eq. 12, with
/// stochasticity η: x′ = α′·x̂₀ + √(σ′² − σ_η²)·ε̂ + σ_η·z, where in the variance-exploding scale
/// s = σ/α the injected noise is s_η = min(s′, η·s′·√(s² − s′²)/s) (the same quantity as DDIM's
/// σ_t(η) for VP schedules, and k-diffusion's ancestral step for any schedule).
///
/// η = 0 is the deterministic DDIM, a first-order solver of the probability-flow ODE (it is
/// Euler's method in (σ/α, x/α)); η = 1 is the DDPM ancestral sampler with the posterior
/// variance. One evaluation per step. Written with the prediction's x̂₀ and ε̂ separately, so
/// CFG++ (which re-noises with the unconditional ε̂) needs no special case.
public struct DDIMSampler<Value: NoiseSampleable>: Sampler, Equatable {
    public var eta: Double

    public init(eta: Double = 0) {
        precondition(eta >= 0 && eta.isFinite, "DDIM η must be finite and non-negative, got \(eta)")
        self.eta = eta
    }

    public var identifier: String { eta == 0 ? "ddim" : "ddim-eta\(eta)" }
    public var order: Int { 1 }
    public var isStochastic: Bool { eta > 0 }

    public func step<M: PredictionModel>(_ x: Value, index: Int, grid: TimeGrid, model: M,
                                         context: inout SamplingContext<Value, M.State>, state: inout Void) -> Value where M.Value == Value {
        let (p, q) = grid[step: index]
        let prediction = context.predict(model, x, at: p)
        let s = p.edmSigma, sNext = q.edmSigma
        guard eta > 0, sNext > 0 else {
            return prediction.ddimMap(to: q)
        }
        let up = Swift.min(sNext, eta * sNext * Swift.max(s * s - sNext * sNext, 0).squareRoot() / s)
        let down = (sNext * sNext - up * up).squareRoot()
        return Value.linearCombination([Value.Scalar(q.alpha), Value.Scalar(q.alpha * down), Value.Scalar(q.alpha * up)],
                                       [prediction.denoised, prediction.noise, context.noise(like: x)])
    }
}
