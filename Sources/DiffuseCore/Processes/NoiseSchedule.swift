import Foundation

/// A Gaussian noising process x_t = α(t)·x₀ + σ(t)·ε, ε ~ N(0, I), described by its schedule.
///
/// Time runs from data (`timeRange.lowerBound`) to noise (`timeRange.upperBound`) in the
/// schedule's own units: training-step indices for discrete DDPM schedules, [0, 1] for
/// continuous VP/VE and flow matching, σ itself for EDM. The log signal-to-noise ratio
/// λ(t) = log(α/σ) decreases in t; ``time(atLogSNR:)`` inverts it.
///
/// Every sampler, objective and guidance term reads a schedule only through this protocol.
public protocol NoiseSchedule: Sendable {
    /// Data at the lower bound, noise at the upper bound.
    var timeRange: ClosedRange<Double> { get }
    /// The signal coefficient α(t).
    func alpha(at t: Double) -> Double
    /// The noise coefficient σ(t).
    func sigma(at t: Double) -> Double
    /// dα/dt.
    func alphaDerivative(at t: Double) -> Double
    /// dσ/dt.
    func sigmaDerivative(at t: Double) -> Double
}

extension NoiseSchedule {
    /// λ(t) = log α(t) − log σ(t).
    public func logSNR(at t: Double) -> Double { Foundation.log(alpha(at: t)) - Foundation.log(sigma(at: t)) }

    /// The noise level in the variance-exploding parameterisation, σ/α (the σ of EDM and
    /// k-diffusion).
    public func edmSigma(at t: Double) -> Double { sigma(at: t) / alpha(at: t) }

    /// The time with log-SNR λ, by bisection on the monotone λ(t) (60 halvings: exact to
    /// round-off). Values beyond the range are clamped to its ends.
    public func time(atLogSNR lambda: Double) -> Double {
        var lo = timeRange.lowerBound, hi = timeRange.upperBound
        if lambda >= logSNR(at: lo) { return lo }
        if lambda <= logSNR(at: hi) { return hi }
        for _ in 0..<80 {
            let mid = 0.5 * (lo + hi)
            if logSNR(at: mid) > lambda { lo = mid } else { hi = mid }
        }
        return 0.5 * (lo + hi)
    }

    /// The time whose EDM noise level σ/α equals `edmSigma`.
    public func time(atEDMSigma edmSigma: Double) -> Double { time(atLogSNR: -Foundation.log(edmSigma)) }

    /// The point whose EDM noise level σ/α is `edmSigma` (for evaluations off the grid: EDM
    /// churn, Runge–Kutta stages, likelihood ODEs). σ/α is kept exactly `edmSigma`; the time is
    /// found by bisection, exact to round-off.
    public func point(atEDMSigma edmSigma: Double) -> TimePoint {
        let t = time(atEDMSigma: edmSigma)
        let a = alpha(at: t)
        return TimePoint(time: t, alpha: a, sigma: edmSigma * a)
    }

    /// The schedule's coefficients at time t.
    public func point(at t: Double) -> TimePoint {
        TimePoint(time: t, alpha: alpha(at: t), sigma: sigma(at: t))
    }

    /// Drift coefficient f(t) = α′/α and squared diffusion g²(t) = 2σσ′ − 2(α′/α)σ² of the
    /// forward SDE dx = f(t)x dt + g(t) dW whose marginals are those of the schedule.
    public func sdeCoefficients(at t: Double) -> (drift: Double, diffusionSquared: Double) {
        let a = alpha(at: t), s = sigma(at: t)
        let f = alphaDerivative(at: t) / a
        return (f, Swift.max(0, 2 * s * sigmaDerivative(at: t) - 2 * f * s * s))
    }
}

/// The coefficients of a schedule at one time, which is all a sampler step reads.
public struct TimePoint: Equatable, Sendable, Codable, CustomStringConvertible {
    /// The time passed to the model.
    public var time: Double
    /// α at that time.
    public var alpha: Double
    /// σ at that time.
    public var sigma: Double

    public init(time: Double, alpha: Double, sigma: Double) {
        self.time = time
        self.alpha = alpha
        self.sigma = sigma
    }

    /// λ = log(α/σ) (+∞ at the clean end).
    public var logSNR: Double { Foundation.log(alpha) - Foundation.log(sigma) }
    /// σ/α.
    public var edmSigma: Double { sigma / alpha }
    /// Whether this is the noise-free end (σ = 0).
    public var isClean: Bool { sigma == 0 }

    public var description: String { "t=\(time) α=\(alpha) σ=\(sigma)" }
}
