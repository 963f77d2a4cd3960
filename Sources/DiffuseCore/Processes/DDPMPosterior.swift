/// The Gaussian posterior q(x_{t′} | x_t, x₀) of a variance-preserving process between two
/// points t′ < t (Ho, Jain & Abbeel 2020, eq. 6–7, for arbitrary pairs of points): with the
/// step's αₛ² = ᾱ_t/ᾱ_{t′} and βₛ = 1 − αₛ²,
///
/// μ = (√ᾱ_{t′}·βₛ/(1 − ᾱ_t))·x₀ + (αₛ·(1 − ᾱ_{t′})/(1 − ᾱ_t))·x_t,  β̃ = βₛ·(1 − ᾱ_{t′})/(1 − ᾱ_t).
///
/// Written once: the DDPM sampler and TSDiff's post-step guidance scale use it (and the
/// denoising-GAN of the motion domain is to draw its training pairs from it). Defined for VP points (α² + σ² = 1); at a clean end point (σ′ = 0) the mean is
/// x₀ and the variance 0.
public struct DDPMPosterior: Equatable, Sendable {
    /// The coefficient of x₀ in the mean.
    public var denoisedCoefficient: Double
    /// The coefficient of x_t in the mean.
    public var stateCoefficient: Double
    /// The posterior variance β̃.
    public var variance: Double
    /// The step's βₛ = 1 − ᾱ_t/ᾱ_{t′} (DDPM's "large" variance choice).
    public var stepBeta: Double

    /// The posterior from `p` (noisier) to `q`.
    public init(from p: TimePoint, to q: TimePoint) {
        let alphaBar = p.alpha * p.alpha, alphaBarNext = q.alpha * q.alpha
        let stepAlphaSquared = alphaBar / alphaBarNext
        let beta = 1 - stepAlphaSquared
        let oneMinus = 1 - alphaBar, oneMinusNext = 1 - alphaBarNext
        denoisedCoefficient = q.alpha * beta / oneMinus
        stateCoefficient = stepAlphaSquared.squareRoot() * oneMinusNext / oneMinus
        variance = beta * oneMinusNext / oneMinus
        stepBeta = beta
    }

    /// The mean μ(x_t, x₀).
    public func mean<V: VectorSpace>(denoised: V, x: V) -> V {
        V.combine(denoisedCoefficient, denoised, stateCoefficient, x)
    }

    /// A draw μ + √variance·z (with the caller's variance choice).
    public func draw<V: VectorSpace>(denoised: V, x: V, noise z: V, variance chosen: Double) -> V {
        V.linearCombination([V.Scalar(denoisedCoefficient), V.Scalar(stateCoefficient), V.Scalar(chosen.squareRoot())], [denoised, x, z])
    }
}
