import Foundation

/// The schedule of masked (absorbing) discrete diffusion (Sahoo et al., "Simple and Effective
/// Masked Diffusion Language Models", 2024, MDLM; Shi et al. 2024): each token of x₀ is
/// independently still itself at time t ∈ [0, 1] with probability α(t) and the mask otherwise;
/// α decreases from about 1 at t = 0 to about 0 at t = 1.
///
/// Everything a masked process needs follows from α and α′ (written once, in the extension):
/// the continuous-time loss weight −α′/(1 − α) and the reverse unmasking probability
/// (α_s − α_t)/(1 − α_t) from t to s < t.
public protocol MaskingSchedule: Sendable {
    /// α(t), the probability that a token is not masked at time t.
    func alpha(at t: Double) -> Double
    /// dα/dt (≤ 0).
    func alphaDerivative(at t: Double) -> Double
    /// −α′(t)/(1 − α(t)); the default computes it from α and α′.
    func lossWeight(at t: Double) -> Double
}

extension MaskingSchedule {
    /// The weight −α′(t)/(1 − α(t)) of the masked positions' cross-entropy in the continuous-time
    /// negative ELBO (MDLM eq. 10; 1/t for the log-linear schedule).
    public func lossWeight(at t: Double) -> Double { -alphaDerivative(at: t) / (1 - alpha(at: t)) }


    /// The probability (α_s − α_t)/(1 − α_t) that a token masked at time t is unmasked at s < t,
    /// in Float64 (the difference of two α's near 1 cancels in Float32).
    public func unmaskingProbability(from t: Double, to s: Double) -> Double {
        let at = alpha(at: t), as_ = alpha(at: s)
        return Swift.min(Swift.max((as_ - at) / (1 - at), 0), 1)
    }
}

/// The log-linear schedule of MDLM: α(t) = 1 − (1 − ε)·t (total noise −log(1 − (1 − ε)t)), so the
/// loss weight is exactly 1/t. α(1) = ε (default 10⁻³) keeps the last time finite.
public struct LogLinearMasking: MaskingSchedule, Hashable, Codable {
    public var epsilon: Double

    public init(epsilon: Double = 1e-3) {
        precondition(epsilon >= 0 && epsilon < 1, "ε must be in [0, 1), got \(epsilon)")
        self.epsilon = epsilon
    }

    public func alpha(at t: Double) -> Double { 1 - (1 - epsilon) * t }
    public func alphaDerivative(at t: Double) -> Double { -(1 - epsilon) }
}

/// The cosine schedule of MDLM: α(t) = ε + (1 − ε)·cos(πt/2).
public struct CosineMasking: MaskingSchedule, Hashable, Codable {
    public var epsilon: Double

    public init(epsilon: Double = 1e-3) {
        precondition(epsilon >= 0 && epsilon < 1, "ε must be in [0, 1), got \(epsilon)")
        self.epsilon = epsilon
    }

    public func alpha(at t: Double) -> Double { epsilon + (1 - epsilon) * Foundation.cos(Double.pi / 2 * t) }
    public func alphaDerivative(at t: Double) -> Double { -(1 - epsilon) * Double.pi / 2 * Foundation.sin(Double.pi / 2 * t) }
}

/// The geometric schedule of MDLM and SEDD: total noise σ(t) = σ_min^{1−t}·σ_max^t and
/// α(t) = e^{−σ(t)} (defaults σ_min = 10⁻⁴, σ_max = 20: α(0) = 0.9999, α(1) = 2·10⁻⁹).
public struct GeometricMasking: MaskingSchedule, Hashable, Codable {
    public var sigmaMin: Double
    public var sigmaMax: Double

    public init(sigmaMin: Double = 1e-4, sigmaMax: Double = 20) {
        precondition(sigmaMin > 0 && sigmaMax > sigmaMin, "need 0 < σ_min < σ_max, got \(sigmaMin), \(sigmaMax)")
        self.sigmaMin = sigmaMin
        self.sigmaMax = sigmaMax
    }

    /// σ(t).
    public func totalNoise(at t: Double) -> Double { Foundation.pow(sigmaMin, 1 - t) * Foundation.pow(sigmaMax, t) }
    public func alpha(at t: Double) -> Double { Foundation.exp(-totalNoise(at: t)) }
    public func alphaDerivative(at t: Double) -> Double {
        let s = totalNoise(at: t)
        return -s * Foundation.log(sigmaMax / sigmaMin) * Foundation.exp(-s)
    }
    /// σ′/expm1(σ), without the cancellation of 1 − e^{−σ} at small σ.
    public func lossWeight(at t: Double) -> Double {
        let s = totalNoise(at: t)
        return s * Foundation.log(sigmaMax / sigmaMin) / Foundation.expm1(s)
    }
}
