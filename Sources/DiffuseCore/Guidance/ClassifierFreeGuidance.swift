import DiffuseTensor
import Foundation

/// Classifier-free guidance (Ho & Salimans 2022) and its variants, as a ``PredictionModel``
/// built from a conditional model: both predictions are evaluated at (x, t) and combined in ε
/// (equivalently x̂₀, the map being affine):
///
/// - `.standard(scale: w)`: ε̃ = ε_u + w(ε_c − ε_u) (diffusers and Imagen; w = 1 is the
///   conditional model exactly, w = 0 the unconditional);
/// - `.original(scale: w)`: ε̃ = ε_c + w(ε_c − ε_u) (the paper's form, w = 0 is conditional);
/// - `.plusPlus(lambda: λ)`: CFG++ (Chung et al. 2024): x̂₀ from ε_u + λ(ε_c − ε_u) with λ ∈ [0, 1],
///   but re-noise with ε_u (the prediction's `noise`), so DDIM and Euler steps become the CFG++
///   updates. λ = 0 is unconditional DDIM.
///
/// `rescale` φ blends in the guided ε rescaled to the per-sample standard deviation of ε_c
/// (Lin et al. 2024; diffusers' `guidance_rescale`). Outside `activeTimes` only the conditional
/// model is evaluated. Two evaluations per prediction inside the window.
public struct ClassifierFreeGuidance<Base: ConditionalPredictionModel>: PredictionModel where Base.Value: SampleBatch {
    public enum Rule: Sendable {
        case standard(scale: Double)
        case original(scale: Double)
        case plusPlus(lambda: Double)
    }

    public let base: Base
    public let condition: Base.Condition
    public let rule: Rule
    public let rescale: Double
    public let activeTimes: ClosedRange<Double>?

    public init(_ base: Base, condition: Base.Condition, rule: Rule, rescale: Double = 0, activeTimes: ClosedRange<Double>? = nil) {
        precondition(rescale >= 0 && rescale <= 1, "guidance rescale must be in [0, 1]")
        if case .plusPlus(let l) = rule { precondition(l >= 0 && l <= 1, "CFG++ λ must be in [0, 1]") }
        self.base = base
        self.condition = condition
        self.rule = rule
        self.rescale = rescale
        self.activeTimes = activeTimes
    }

    public func predict(_ x: Base.Value, at point: TimePoint, state: inout Void) -> Prediction<Base.Value> {
        typealias V = Base.Value
        let c = base.predict(x, at: point, condition: condition)
        if let window = activeTimes, !window.contains(point.time) { return c }
        let u = base.predict(x, at: point, condition: nil)
        let evaluations = c.evaluations + u.evaluations
        let (wc, wu): (Double, Double)
        switch rule {
        case .standard(let w): (wc, wu) = (w, 1 - w)
        case .original(let w): (wc, wu) = (1 + w, -w)
        case .plusPlus(let l): (wc, wu) = (l, 1 - l)
        }
        // wc + wu = 1, so the same affine combination of both estimates stays consistent
        // (x = α·x̂₀ + σ·ε̂), and w = 1 reproduces the conditional prediction bit for bit.
        var noise = V.combine(wc, c.noise, wu, u.noise)
        var denoised = V.combine(wc, c.denoised, wu, u.denoised)
        if rescale > 0 {
            let ratio = zip(c.noise.sampleRootMeanSquares(), noise.sampleRootMeanSquares()).map { $0 / Swift.max($1, 1e-300) }
            noise = V.combine(rescale, noise.scaledPerSample(by: ratio), 1 - rescale, noise)
            denoised = V.combine(1 / point.alpha, x, -point.sigma / point.alpha, noise)
        }
        if case .plusPlus = rule {
            return Prediction(denoised: denoised, noise: u.noise, evaluations: evaluations)
        }
        return Prediction(denoised: denoised, noise: noise, evaluations: evaluations)
    }
}

/// Adaptive guidance (Castillo et al., "Adaptive Guidance: Training-free Acceleration of
/// Conditional Diffusion Models", 2023): classifier-free guidance until the conditional and
/// unconditional noise predictions agree — cosine similarity above `threshold` — after which
/// the sample uses the conditional model alone (one evaluation per step) for the rest of the
/// run. The switch is per sample and kept in the run state; the unconditional model is skipped
/// once every sample has switched.
public struct AdaptiveGuidance<Base: ConditionalPredictionModel>: PredictionModel where Base.Value: SampleBatch {
    public let base: Base
    public let condition: Base.Condition
    public let scale: Double
    public let threshold: Double

    public init(_ base: Base, condition: Base.Condition, scale: Double, threshold: Double = 0.99) {
        self.base = base
        self.condition = condition
        self.scale = scale
        self.threshold = threshold
    }

    /// Which samples have switched to the conditional model.
    public struct State {
        public var switched: [Bool]? = nil
    }

    public func makeState() -> State { State() }

    public func predict(_ x: Base.Value, at point: TimePoint, state: inout State) -> Prediction<Base.Value> {
        typealias V = Base.Value
        let c = base.predict(x, at: point, condition: condition)
        let switched = state.switched ?? [Bool](repeating: false, count: x.sampleCount)
        if switched.allSatisfy({ $0 }) { return c }
        let u = base.predict(x, at: point, condition: nil)
        let cosines = c.noise.sampleCosines(u.noise)
        let nowSwitched = zip(switched, cosines).map { $0 || $1 > threshold }
        state.switched = nowSwitched
        let guidedNoise = V.combine(scale, c.noise, 1 - scale, u.noise).replacingSamples(where: switched, with: c.noise)
        let denoised = V.combine(1 / point.alpha, x, -point.sigma / point.alpha, guidedNoise)
        return Prediction(denoised: denoised, noise: guidedNoise, evaluations: c.evaluations + u.evaluations)
    }
}
