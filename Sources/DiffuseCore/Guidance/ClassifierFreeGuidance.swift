import DiffuseTensor
import Foundation

/// The classifier-free combination rule (Ho & Salimans 2022), as weights (w_c, w_u) with
/// w_c + w_u = 1 on the conditional and unconditional estimates. It is a function on any vector
/// space, so it combines noise estimates, clean estimates and the logits of a discrete model
/// alike.
///
/// - `.standard(scale: w)`: ε_u + w(ε_c − ε_u) (diffusers and Imagen; w = 1 is the conditional
///   model exactly, w = 0 the unconditional);
/// - `.original(scale: w)`: ε_c + w(ε_c − ε_u) (the paper's form, w = 0 is conditional);
/// - `.plusPlus(lambda: λ)`: CFG++ (Chung et al. 2024): ε_u + λ(ε_c − ε_u) with λ ∈ [0, 1] for x̂₀;
///   the model re-noises with ε_u.
public enum ClassifierFreeRule: Hashable, Sendable {
    case standard(scale: Double)
    case original(scale: Double)
    case plusPlus(lambda: Double)

    /// (w_c, w_u).
    public var weights: (conditional: Double, unconditional: Double) {
        switch self {
        case .standard(let w): return (w, 1 - w)
        case .original(let w): return (1 + w, -w)
        case .plusPlus(let l): return (l, 1 - l)
        }
    }

    /// w_c·conditional + w_u·unconditional.
    public func combine<V: VectorSpace>(conditional: V, unconditional: V) -> V {
        let (wc, wu) = weights
        return V.combine(wc, conditional, wu, unconditional)
    }
}

/// Classifier-free guidance (Ho & Salimans 2022) and its variants, as a guidance term around a
/// conditional model: both predictions are evaluated at (x, t) and combined with a
/// ``ClassifierFreeRule`` in ε (equivalently x̂₀, the map being affine). For `.plusPlus` (CFG++)
/// the prediction's noise is ε_u, so DDIM and Euler steps become the CFG++ updates; λ = 0 is
/// unconditional DDIM.
///
/// `rescale` φ blends in the guided ε rescaled to the per-sample root-mean-square of ε_c (Lin et
/// al. 2024; diffusers' `guidance_rescale` divides standard deviations about the mean instead,
/// which differs when ε has a non-zero mean). Outside `activeTimes` only the conditional
/// model is evaluated. Two evaluations per prediction inside the window.
///
/// Differentiable when its base is (``DifferentiableConditionalPredictionModel``): the gradient is
/// w_c·J_cᵀv + w_u·J_uᵀv, exact; with `rescale` the per-sample ratio of standard deviations is
/// held constant in the derivative (a stop-gradient, stated here because it is an approximation).
public struct ClassifierFreeGuidance<Base: ConditionalPredictionModel>: PredictionModel where Base.Value: SampleBatch {
    public typealias Rule = ClassifierFreeRule

    public let base: Base
    public let condition: Base.Condition
    public let rule: Rule
    public let rescale: Double
    public let activeTimes: ClosedRange<Double>?

    public init(_ base: Base, condition: Base.Condition, rule: Rule, rescale: Double = 0, activeTimes: ClosedRange<Double>? = nil) {
        precondition(rescale >= 0 && rescale <= 1, "guidance rescale must be in [0, 1], got \(rescale)")
        if case .plusPlus(let l) = rule { precondition(l >= 0 && l <= 1, "CFG++ λ must be in [0, 1], got \(l)") }
        self.base = base
        self.condition = condition
        self.rule = rule
        self.rescale = rescale
        self.activeTimes = activeTimes
    }

    private func isActive(at point: TimePoint) -> Bool { activeTimes.map { $0.contains(point.time) } ?? true }

    /// The guided prediction from the two estimates, and the per-sample factor k with
    /// x̂₀ = (1 − k)·x/α + k·(w_c·x̂₀c + w_u·x̂₀u) (k = 1 without rescale).
    private func combined(_ c: Prediction<Base.Value>, _ u: Prediction<Base.Value>, x: Base.Value, at point: TimePoint) -> (Prediction<Base.Value>, [Double]?) {
        typealias V = Base.Value
        let evaluations = c.evaluations + u.evaluations
        // w_c + w_u = 1, so the same affine combination of both estimates stays consistent
        // (x = α·x̂₀ + σ·ε̂), and w = 1 reproduces the conditional prediction bit for bit.
        var noise = rule.combine(conditional: c.noise, unconditional: u.noise)
        var denoised = rule.combine(conditional: c.denoised, unconditional: u.denoised)
        var factors: [Double]? = nil
        if rescale > 0 {
            let ratio = zip(c.noise.sampleRootMeanSquares(), noise.sampleRootMeanSquares()).map { $0 / Swift.max($1, 1e-300) }
            noise = V.combine(rescale, noise.scaledPerSample(by: ratio), 1 - rescale, noise)
            denoised = Prediction(noise: noise, x: x, at: point).denoised
            factors = ratio.map { rescale * $0 + 1 - rescale }
        }
        if case .plusPlus = rule {
            return (Prediction(denoised: denoised, noise: u.noise, evaluations: evaluations), factors)
        }
        return (Prediction(denoised: denoised, noise: noise, evaluations: evaluations), factors)
    }

    public func predict(_ x: Base.Value, at point: TimePoint, key: SampleKey, state: inout Void) -> Prediction<Base.Value> {
        let c = base.predict(x, at: point, condition: condition, key: key)
        guard isActive(at: point) else { return c }
        let u = base.predict(x, at: point, condition: nil, key: key)
        return combined(c, u, x: x, at: point).0
    }
}

extension ClassifierFreeGuidance: DifferentiablePredictionModel where Base: DifferentiableConditionalPredictionModel {
    public func predictWithGradient(_ x: Base.Value, at point: TimePoint, key: SampleKey, state: inout Void,
                                    cotangent: (Prediction<Base.Value>) -> Base.Value) -> (prediction: Prediction<Base.Value>, gradient: Base.Value) {
        typealias V = Base.Value
        guard isActive(at: point) else { return base.predictWithGradient(x, at: point, condition: condition, key: key, cotangent: cotangent) }
        // The unconditional pass runs inside the conditional pass's cotangent callback, so both
        // backward passes receive the cotangent of the combined prediction.
        var guided: Prediction<V>? = nil
        var factors: [Double]? = nil
        var unconditionalGradient: V? = nil
        var seed: V? = nil
        let (_, conditionalGradient) = base.predictWithGradient(x, at: point, condition: condition, key: key) { c in
            let (_, gu) = base.predictWithGradient(x, at: point, condition: nil, key: key) { u in
                let (p, k) = combined(c, u, x: x, at: point)
                guided = p
                factors = k
                seed = cotangent(p)
                return seed!
            }
            unconditionalGradient = gu
            return seed!
        }
        let (wc, wu) = rule.weights
        var gradient = V.combine(wc, conditionalGradient, wu, unconditionalGradient!)
        if let k = factors {
            // x̂₀ = (1 − k)·x/α + k·(w_c·x̂₀c + w_u·x̂₀u), k per sample and held constant.
            gradient = V.combine(1, gradient.scaledPerSample(by: k), 1 / point.alpha, seed!.scaledPerSample(by: k.map { 1 - $0 }))
        }
        return (guided!, gradient)
    }
}
