import DiffuseTensor
import Foundation

/// Gradient guidance at the prediction level: ε̃ = ε̂ + w·σ·∇ₓE, x̂₀ re-derived from ε̃ — a shift of
/// the score by −w·∇ₓE.
///
/// - With a *classifier* gradient (`.classifier`), E = −log p_φ(y | x_t, t) and ∇ₓE is supplied
///   by the caller (Dhariwal & Nichol 2021; DPM-Solver's `classifier` guidance ε̃ = ε − wσ∇log p).
/// - With an *energy of the clean estimate* (`.throughDenoiser`), ∇ₓE = (∂x̂₀/∂x)ᵀ∇E(x̂₀) is taken
///   through the model; with ``ObservationEnergy`` this is TSDiff's DDIM self-guidance
///   ε̃ = ε − s·√(1 − ᾱ)·(−∇E) (Kollovieh et al. 2023, `DDIMGuidance`).
///
/// The base must be differentiable (a type requirement). The guided model is differentiable too,
/// so terms stack: its x̂₀ is x̂₀ − (wσ²/α)·∇ₓE, and its derivative holds the guidance shift ∇ₓE
/// constant (the exact term needs the Hessian of E; a stop-gradient, stated here).
public struct GradientGuidedModel<Base: DifferentiablePredictionModel, Energy: GuidanceEnergy>: PredictionModel where Energy.Value == Base.Value {
    public enum Source {
        /// ∇ₓE(x, t) from a classifier or any other function of the noisy state.
        case classifier((Base.Value, TimePoint) -> Base.Value)
        /// E of the clean estimate, differentiated through the model.
        case throughDenoiser(Energy)
    }

    public let base: Base
    public let source: Source
    public let scale: Double

    public init(_ base: Base, source: Source, scale: Double) {
        self.base = base
        self.source = source
        self.scale = scale
    }

    public func makeState() -> Base.State { base.makeState() }

    /// The guided prediction: ε̂ + wσ·∇ₓE and x̂₀ − (wσ²/α)·∇ₓE, both fields shifted (so a base whose
    /// estimates are not x = α·x̂₀ + σ·ε̂ on purpose, CFG++, keeps its own x̂₀ under the shift).
    private func guided(_ prediction: Prediction<Base.Value>, gradient: Base.Value, x: Base.Value, at point: TimePoint) -> Prediction<Base.Value> {
        Prediction(denoised: Base.Value.combine(1, prediction.denoised, -scale * point.sigma * point.sigma / point.alpha, gradient),
                   noise: Base.Value.combine(1, prediction.noise, scale * point.sigma, gradient), evaluations: prediction.evaluations)
    }

    public func predict(_ x: Base.Value, at point: TimePoint, key: SampleKey, state: inout Base.State) -> Prediction<Base.Value> {
        switch source {
        case .classifier(let g):
            return guided(base.predict(x, at: point, key: key, state: &state), gradient: g(x, point), x: x, at: point)
        case .throughDenoiser(let energy):
            let (prediction, gradient) = base.predictWithGradient(x, at: point, key: key, state: &state) { energy.gradient($0.denoised) }
            return guided(prediction, gradient: gradient, x: x, at: point)
        }
    }

    public func correct(_ next: Base.Value, from x: Base.Value, step: (from: TimePoint, to: TimePoint),
                        context: inout SamplingContext<Base.Value, Base.State>) -> Base.Value {
        base.correct(next, from: x, step: step, context: &context)
    }
}

extension GradientGuidedModel: DifferentiablePredictionModel {
    public func predictWithGradient(_ x: Base.Value, at point: TimePoint, key: SampleKey, state: inout Base.State,
                                    cotangent: (Prediction<Base.Value>) -> Base.Value) -> (prediction: Prediction<Base.Value>, gradient: Base.Value) {
        switch source {
        case .classifier(let g):
            let shift = g(x, point)
            var result: Prediction<Base.Value>? = nil
            let (_, gradient) = base.predictWithGradient(x, at: point, key: key, state: &state) { p in
                result = guided(p, gradient: shift, x: x, at: point)
                return cotangent(result!)
            }
            return (result!, gradient)
        case .throughDenoiser(let energy):
            // The energy's gradient needs one pass; the outer cotangent is taken of the guided
            // prediction, which needs that gradient: two passes through the base.
            // The second pass runs on a copy of the run state: the term is evaluated once per call.
            var scratch = state
            let (prediction, shift) = base.predictWithGradient(x, at: point, key: key, state: &state) { energy.gradient($0.denoised) }
            let result = guided(prediction, gradient: shift, x: x, at: point)
            let seed = cotangent(result)
            let (_, gradient) = base.predictWithGradient(x, at: point, key: key, state: &scratch) { _ in seed }
            return (Prediction(denoised: result.denoised, noise: result.noise, evaluations: 2 * prediction.evaluations), gradient)
        }
    }
}
