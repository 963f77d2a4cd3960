import DiffuseTensor

/// Guidance applied after each sampler step, as a term around a differentiable model:
/// x′ ← x′ − c·∇ₓE(x̂₀(x)), the gradient taken through the model. It acts in the model's
/// ``PredictionModel/correct(_:from:step:context:)`` hook, so it works with every sampler and
/// stacks with other terms (classifier-free, gradient) in any order.
///
/// - `.diffusionPosteriorSampling(step:)` (Chung et al. 2023, DPS): the gradient is taken at the
///   state *before* the step, c = ζ (use with ``ObservationEnergy`` `.norm`).
/// - `.tsdiff(scale:)` (Kollovieh et al. 2023, `DDPMGuidance`): the gradient is taken at the
///   state *after* the step but with the model time of the step's start (a quirk of the
///   reference code, kept so that published scales transfer), c = s·β̃, β̃ the ``DDPMPosterior``
///   variance of the step; no correction on a step that ends at the clean point.
///
/// Each guided step costs one more model evaluation with a backward pass.
public struct PostStepGuidance<Base: DifferentiablePredictionModel, Energy: GuidanceEnergy>: DifferentiablePredictionModel where Energy.Value == Base.Value {
    public enum Rule: Sendable {
        case diffusionPosteriorSampling(step: Double)
        case tsdiff(scale: Double)
    }

    public let base: Base
    public let energy: Energy
    public let rule: Rule

    public init(_ base: Base, energy: Energy, rule: Rule) {
        self.base = base
        self.energy = energy
        self.rule = rule
    }

    public func makeState() -> Base.State { base.makeState() }

    public func predict(_ x: Base.Value, at point: TimePoint, key: SampleKey, state: inout Base.State) -> Prediction<Base.Value> {
        base.predict(x, at: point, key: key, state: &state)
    }

    public func predictWithGradient(_ x: Base.Value, at point: TimePoint, key: SampleKey, state: inout Base.State,
                                    cotangent: (Prediction<Base.Value>) -> Base.Value) -> (prediction: Prediction<Base.Value>, gradient: Base.Value) {
        base.predictWithGradient(x, at: point, key: key, state: &state, cotangent: cotangent)
    }

    public func correct(_ next: Base.Value, from x: Base.Value, step: (from: TimePoint, to: TimePoint),
                        context: inout SamplingContext<Base.Value, Base.State>) -> Base.Value {
        let inner = base.correct(next, from: x, step: step, context: &context)
        let (p, q) = step
        // The gradient's evaluation reads the run state but does not advance it (a stateful term
        // below, adaptive guidance for example, steps once per sampler step).
        func energyGradient(at y: Base.Value) -> Base.Value {
            var scratch = context.modelState
            let (prediction, gradient) = base.predictWithGradient(y, at: p, key: context.modelKey, state: &scratch) { energy.gradient($0.denoised) }
            context.countEvaluations(prediction.evaluations)
            return gradient
        }
        switch rule {
        case .diffusionPosteriorSampling(let zeta):
            return Base.Value.combine(1, inner, -zeta, energyGradient(at: x))
        case .tsdiff(let scale):
            if q.isClean { return inner }
            return Base.Value.combine(1, inner, -scale * DDPMPosterior(from: p, to: q).variance, energyGradient(at: inner))
        }
    }
}
