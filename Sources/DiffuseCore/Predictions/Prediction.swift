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

    /// The conversion table, written once: the coefficients with x̂₀ = a·x + b·output and
    /// ε̂ = c·x + d·output at the point (α, σ), with the schedule's α′, σ′ at that time (used
    /// by `flowVelocity` only). Every output type is an affine function of (x₀, ε) given x, so
    /// every conversion is these four numbers.
    public func coefficients(at point: TimePoint, alphaDerivative: Double = 0, sigmaDerivative: Double = 0)
        -> (denoisedX: Double, denoisedOutput: Double, noiseX: Double, noiseOutput: Double) {
        let a = point.alpha, s = point.sigma
        switch self {
        case .noise: return (1 / a, -s / a, 0, 1)
        case .data, .denoiser: return (0, 1, s > 0 ? 1 / s : 0, s > 0 ? -a / s : 0)
        case .velocity:
            let n = a * a + s * s
            return (a / n, -s / n, s / n, a / n)
        case .score: return (1 / a, s * s / a, 0, -s)
        case .flowVelocity:
            // [x; u] = [[α, σ], [α′, σ′]]·[x₀; ε].
            let det = a * sigmaDerivative - s * alphaDerivative
            return (sigmaDerivative / det, -s / det, -alphaDerivative / det, a / det)
        }
    }

    /// The coefficients with output = e·x̂₀ + f·ε̂ (the inverse direction of
    /// ``coefficients(at:alphaDerivative:sigmaDerivative:)``).
    public func outputCoefficients(at point: TimePoint, alphaDerivative: Double = 0, sigmaDerivative: Double = 0)
        -> (denoised: Double, noise: Double) {
        let a = point.alpha, s = point.sigma
        switch self {
        case .noise: return (0, 1)
        case .data, .denoiser: return (1, 0)
        case .velocity: return (-s, a)
        case .score: return (0, -1 / s)
        case .flowVelocity: return (alphaDerivative, sigmaDerivative)
        }
    }
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

    /// The estimate with noise ε̂ at x, its clean estimate x̂₀ = (x − σ·ε̂)/α.
    public init(noise: Value, x: Value, at point: TimePoint, evaluations: Int = 1) {
        self.init(denoised: Value.combine(1 / point.alpha, x, -point.sigma / point.alpha, noise), noise: noise, evaluations: evaluations)
    }

    /// The estimate with clean estimate x̂₀ at x, its noise ε̂ = (x − α·x̂₀)/σ (zero at σ = 0).
    public init(denoised: Value, x: Value, at point: TimePoint, evaluations: Int = 1) {
        let noise = point.sigma > 0 ? Value.combine(1 / point.sigma, x, -point.alpha / point.sigma, denoised) : denoised.zeroLike
        self.init(denoised: denoised, noise: noise, evaluations: evaluations)
    }

    /// The estimate from a raw model output of the given type at x and point (α, σ), with the
    /// schedule's derivatives α′, σ′ (used by `flowVelocity` only).
    public static func from(_ output: Value, type: PredictionType, x: Value, point: TimePoint,
                            alphaDerivative: Double = 0, sigmaDerivative: Double = 0) -> Prediction {
        let c = type.coefficients(at: point, alphaDerivative: alphaDerivative, sigmaDerivative: sigmaDerivative)
        return Prediction(denoised: affine(c.denoisedX, x, c.denoisedOutput, output), noise: affine(c.noiseX, x, c.noiseOutput, output))
    }

    /// ``from(_:type:x:point:alphaDerivative:sigmaDerivative:)`` with the derivatives read from
    /// the schedule when the type needs them.
    public static func from(_ output: Value, type: PredictionType, x: Value, point: TimePoint, schedule: any NoiseSchedule) -> Prediction {
        let (da, ds) = type == .flowVelocity ? (schedule.alphaDerivative(at: point.time), schedule.sigmaDerivative(at: point.time)) : (0, 0)
        return from(output, type: type, x: x, point: point, alphaDerivative: da, sigmaDerivative: ds)
    }

    /// The estimate expressed as a raw output of the given type (the inverse of
    /// ``from(_:type:x:point:alphaDerivative:sigmaDerivative:)``).
    public func output(as type: PredictionType, x: Value, point: TimePoint, alphaDerivative: Double = 0, sigmaDerivative: Double = 0) -> Value {
        let c = type.outputCoefficients(at: point, alphaDerivative: alphaDerivative, sigmaDerivative: sigmaDerivative)
        return Self.affine(c.denoised, denoised, c.noise, noise)
    }

    /// a·u + b·v, with a zero coefficient's term left out (so an output that is already the
    /// estimate is returned unchanged, bit for bit).
    private static func affine(_ a: Double, _ u: Value, _ b: Double, _ v: Value) -> Value {
        if a == 0 { return b == 1 ? v : v.scaled(by: Value.Scalar(b)) }
        if b == 0 { return a == 1 ? u : u.scaled(by: Value.Scalar(a)) }
        return Value.combine(a, u, b, v)
    }

    /// The deterministic DDIM map to the point q from this estimate: α_q·x̂₀ + σ_q·ε̂ (Song et al.
    /// 2021, eq. 12 with η = 0; BDIA's Φ).
    public func ddimMap(to q: TimePoint) -> Value { Value.combine(q.alpha, denoised, q.sigma, noise) }

    /// The score estimate ∇ log p_t(x) = −ε̂/σ.
    public func score(at point: TimePoint) -> Value { noise.scaled(by: Value.Scalar(-1 / point.sigma)) }
}
