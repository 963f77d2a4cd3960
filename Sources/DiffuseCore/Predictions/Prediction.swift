import Foundation

/// What a network predicts at (x_t, t). Adapters convert any of them into a ``Prediction``
/// (clean-data estimate and noise estimate), so samplers never branch on the parameterisation.
public enum PredictionType: String, Codable, Hashable, Sendable, CaseIterable {
    /// ε̂, the noise (DDPM).
    case noise
    /// x̂₀, the clean data.
    case data
    /// v̂ = α·ε − σ·x₀ (Salimans & Ho 2022, "v-prediction").
    case velocity
    /// ŝ = ∇ log p_t(x) = −ε/σ (score matching, Song et al. 2021).
    case score
    /// û = dx_t/dt = α′(t)·x₀ + σ′(t)·ε, the velocity of the probability path (flow matching,
    /// rectified flow).
    case flowVelocity
    /// D(x/α; σ/α), the EDM denoiser (Karras et al. 2022): a data prediction whose input is
    /// in the variance-exploding scale.
    case denoiser
}

/// A model's estimate at one point, in the two forms samplers need: the clean data x̂₀ and
/// the noise ε̂. For an ordinary model they satisfy x = α·x̂₀ + σ·ε̂; guidance may break that
/// on purpose (CFG++ steps toward a guided x̂₀ but re-noises with the unconditional ε̂).
public struct Prediction<Value: VectorSpace> {
    /// x̂₀.
    public var denoised: Value
    /// ε̂.
    public var noise: Value
    /// How many network evaluations produced this estimate (1 for a plain model, 2 for
    /// classifier-free guidance, …); samplers add these up to report the NFE.
    public var evaluations: Int

    public init(denoised: Value, noise: Value, evaluations: Int = 1) {
        self.denoised = denoised
        self.noise = noise
        self.evaluations = evaluations
    }

    /// The estimate from a raw model output of the given type at x and point (α, σ), with the
    /// schedule's derivatives α′, σ′ (used by `flowVelocity` only).
    public static func from(_ output: Value, type: PredictionType, x: Value, point: TimePoint,
                            alphaDerivative: Double = 0, sigmaDerivative: Double = 0) -> Prediction {
        let a = point.alpha, s = point.sigma
        switch type {
        case .noise:
            return Prediction(denoised: Value.combine(1 / a, x, -s / a, output), noise: output)
        case .data, .denoiser:
            let noise = s > 0 ? Value.combine(1 / s, x, -a / s, output) : output.zeroLike
            return Prediction(denoised: output, noise: noise)
        case .velocity:
            let n = a * a + s * s
            return Prediction(denoised: Value.combine(a / n, x, -s / n, output), noise: Value.combine(s / n, x, a / n, output))
        case .score:
            return Prediction(denoised: Value.combine(1 / a, x, s * s / a, output), noise: output.scaled(by: Value.Scalar(-s)))
        case .flowVelocity:
            // [x; u] = [[α, σ], [α′, σ′]]·[x₀; ε].
            let det = a * sigmaDerivative - s * alphaDerivative
            return Prediction(denoised: Value.combine(sigmaDerivative / det, x, -s / det, output),
                              noise: Value.combine(-alphaDerivative / det, x, a / det, output))
        }
    }

    /// The estimate expressed as a raw output of the given type (the inverse of ``from``).
    public func output(as type: PredictionType, x: Value, point: TimePoint, alphaDerivative: Double = 0, sigmaDerivative: Double = 0) -> Value {
        let a = point.alpha, s = point.sigma
        switch type {
        case .noise: return noise
        case .data, .denoiser: return denoised
        case .velocity: return Value.combine(a, noise, -s, denoised)
        case .score: return noise.scaled(by: Value.Scalar(-1 / s))
        case .flowVelocity: return Value.combine(alphaDerivative, denoised, sigmaDerivative, noise)
        }
    }

    /// The score estimate ∇ log p_t(x) = −ε̂/σ.
    public func score(at point: TimePoint) -> Value { noise.scaled(by: Value.Scalar(-1 / point.sigma)) }
}
