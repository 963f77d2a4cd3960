import Foundation

/// The continuous variance-preserving SDE of Song et al. (2021), dx = −½β(t)x dt + √β(t) dW
/// on t ∈ [0, 1]: log ᾱ(t) = −∫₀ᵗ β, α = √ᾱ, σ = √(1 − ᾱ).
public struct ContinuousVPSchedule: NoiseSchedule, Codable, Hashable {
    /// The β(t) family.
    public enum Kind: Codable, Hashable, Sendable {
        /// β(t) = β₀ + t(β₁ − β₀) (score-SDE defaults 0.1 and 20).
        case linear(betaMin: Double, betaMax: Double)
        /// ᾱ(t) = cos²(((t + s)/(1 + s))·π/2)/cos²((s/(1 + s))·π/2) (Nichol & Dhariwal 2021).
        case cosine(offset: Double)
    }

    public var kind: Kind
    /// The largest time (slightly below 1 for the cosine schedule, whose ᾱ(1) = 0).
    public var maximumTime: Double

    public init(_ kind: Kind = .linear(betaMin: 0.1, betaMax: 20), maximumTime: Double = 1) {
        self.kind = kind
        self.maximumTime = maximumTime
    }

    /// The score-SDE linear VP schedule (β from 0.1 to 20).
    public static let linear = ContinuousVPSchedule(.linear(betaMin: 0.1, betaMax: 20))
    /// The cosine schedule with s = 0.008, truncated at t = 0.9946 where ᾱ ≈ 1e-5 as in
    /// DPM-Solper's `NoiseScheduleVP('cosine')`.
    public static let cosine = ContinuousVPSchedule(.cosine(offset: 0.008), maximumTime: 0.9946)

    public var timeRange: ClosedRange<Double> { 0...maximumTime }

    /// log ᾱ(t) and its derivative.
    public func logAlphaBar(at t: Double) -> (value: Double, derivative: Double) {
        switch kind {
        case let .linear(b0, b1):
            return (-0.5 * t * t * (b1 - b0) - t * b0, -t * (b1 - b0) - b0)
        case let .cosine(s):
            let angle = (t + s) / (1 + s) * Double.pi / 2
            let base = Foundation.cos(s / (1 + s) * Double.pi / 2)
            let c = Foundation.cos(angle)
            let value = 2 * Foundation.log(Swift.max(c, .leastNormalMagnitude)) - 2 * Foundation.log(base)
            return (value, -2 * Foundation.tan(angle) * Double.pi / 2 / (1 + s))
        }
    }

    public func alpha(at t: Double) -> Double { Foundation.exp(0.5 * logAlphaBar(at: t).value) }
    public func sigma(at t: Double) -> Double { (-Foundation.expm1(logAlphaBar(at: t).value)).squareRoot() }
    public func alphaDerivative(at t: Double) -> Double {
        let (v, d) = logAlphaBar(at: t)
        return 0.5 * d * Foundation.exp(0.5 * v)
    }
    public func sigmaDerivative(at t: Double) -> Double {
        let (v, d) = logAlphaBar(at: t)
        let ab = Foundation.exp(v)
        return -0.5 * ab * d / Swift.max((1 - ab).squareRoot(), .leastNormalMagnitude)
    }
}

/// The variance-exploding SDE (Song et al. 2021): α = 1, σ(t) = σmin·(σmax/σmin)ᵗ on [0, 1].
public struct VarianceExplodingSchedule: NoiseSchedule, Codable, Hashable {
    public var sigmaMin: Double
    public var sigmaMax: Double

    public init(sigmaMin: Double = 0.01, sigmaMax: Double = 50) {
        precondition(sigmaMin > 0 && sigmaMax > sigmaMin, "need 0 < σmin < σmax")
        self.sigmaMin = sigmaMin
        self.sigmaMax = sigmaMax
    }

    public var timeRange: ClosedRange<Double> { 0...1 }
    public func alpha(at t: Double) -> Double { 1 }
    public func sigma(at t: Double) -> Double { sigmaMin * Foundation.pow(sigmaMax / sigmaMin, t) }
    public func alphaDerivative(at t: Double) -> Double { 0 }
    public func sigmaDerivative(at t: Double) -> Double { sigma(at: t) * Foundation.log(sigmaMax / sigmaMin) }
}

/// The EDM parameterisation (Karras, Aittala, Aila & Laine 2022): α = 1 and σ(t) = t, so time
/// *is* the noise level, on [σmin, σmax].
public struct EDMSchedule: NoiseSchedule, Codable, Hashable {
    public var sigmaMin: Double
    public var sigmaMax: Double
    /// σ_data of the EDM preconditioning.
    public var sigmaData: Double

    public init(sigmaMin: Double = 0.002, sigmaMax: Double = 80, sigmaData: Double = 0.5) {
        precondition(sigmaMin > 0 && sigmaMax > sigmaMin, "need 0 < σmin < σmax")
        self.sigmaMin = sigmaMin
        self.sigmaMax = sigmaMax
        self.sigmaData = sigmaData
    }

    public var timeRange: ClosedRange<Double> { sigmaMin...sigmaMax }
    public func alpha(at t: Double) -> Double { 1 }
    public func sigma(at t: Double) -> Double { t }
    public func alphaDerivative(at t: Double) -> Double { 0 }
    public func sigmaDerivative(at t: Double) -> Double { 1 }

    /// The EDM preconditioning at noise level σ: D(x) = c_skip·x + c_out·F(c_in·x, c_noise).
    public func preconditioning(sigma: Double) -> (skip: Double, output: Double, input: Double, noise: Double) {
        let sd2 = sigmaData * sigmaData, s2 = sigma * sigma
        return (sd2 / (s2 + sd2), sigma * sigmaData / (s2 + sd2).squareRoot(), 1 / (sd2 + s2).squareRoot(), Foundation.log(sigma) / 4)
    }
}

/// Gaussian probability paths of flow matching with data at t = 0 and noise at t = 1:
/// x_t = α(t)·x₀ + σ(t)·ε. Conditional flow matching and rectified flow use the linear
/// (conditional-OT) path α = 1 − t, σ = t (Lipman et al. 2023; Liu et al. 2023); the
/// trigonometric (variance-preserving) path is α = cos(πt/2), σ = sin(πt/2).
public struct FlowMatchingSchedule: NoiseSchedule, Codable, Hashable {
    public enum Path: String, Codable, Sendable {
        /// α = 1 − t, σ = t.
        case linear
        /// α = cos(πt/2), σ = sin(πt/2).
        case trigonometric
    }

    public var path: Path
    /// The smallest and largest times (the linear path is singular at t = 1 for λ).
    public var timeRange: ClosedRange<Double>

    public init(path: Path = .linear, timeRange: ClosedRange<Double> = 0...1) {
        self.path = path
        self.timeRange = timeRange
    }

    public func alpha(at t: Double) -> Double { path == .linear ? 1 - t : Foundation.cos(Double.pi / 2 * t) }
    public func sigma(at t: Double) -> Double { path == .linear ? t : Foundation.sin(Double.pi / 2 * t) }
    public func alphaDerivative(at t: Double) -> Double { path == .linear ? -1 : -Double.pi / 2 * Foundation.sin(Double.pi / 2 * t) }
    public func sigmaDerivative(at t: Double) -> Double { path == .linear ? 1 : Double.pi / 2 * Foundation.cos(Double.pi / 2 * t) }
}
