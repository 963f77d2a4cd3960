import DiffuseTensor

/// Where post-step guidance takes the gradient of its energy.
public enum GuidanceGradientPoint: String, Codable, Sendable, CaseIterable {
    /// At the state the step started from, with the model time of that state: the gradient of
    /// the evaluation the sampler makes there anyway (DPS's point).
    case stepStart
    /// At the state the step reached, with the model time of the step's *start* (TSDiff's
    /// reference code).
    case stepEnd
}

/// Guidance applied after each sampler step, as a term around a differentiable model:
/// x′ ← x′ − c·∇E(x̂₀), the gradient taken through the model. It acts in the model's
/// ``PredictionModel/correct(_:from:step:context:)`` hook, so it works with every sampler and
/// stacks with other terms (classifier-free, gradient) in any order.
///
/// A ``Rule`` is a point (``GuidanceGradientPoint``) and a weight c:
/// - `.diffusionPosteriorSampling(step:)` (Chung et al. 2023, DPS): the gradient at the state
///   *before* the step, c = ζ (use with ``ObservationEnergy`` `.norm`).
/// - `.tsdiff(scale:)` (Kollovieh et al. 2023, `DDPMGuidance`): the gradient at the state *after*
///   the step but with the model time of the step's start (a quirk of the reference code, kept
///   so that published scales transfer), c = s·β̃, β̃ the ``DDPMPosterior`` variance of the step.
/// - `.tsdiff(scale:at: .stepStart)`: TSDiff's weight with the gradient at the state before the
///   step, where its model time belongs.
///
/// No correction is made where c = 0 (a posterior-variance weight on a step that ends at the
/// clean point). A step-end gradient costs one more model evaluation with a backward pass per
/// step. A step-start gradient is taken in the sampler's own evaluation when the state type is
/// `Equatable` (every ``PredictionModel/predict(_:at:key:state:)`` then runs with a backward pass,
/// and the correction reuses the gradient of the evaluation at exactly the step's start state and
/// time), which saves a forward pass per step for one-evaluation samplers such as DDPM and
/// DDIM; otherwise, or when the sampler never evaluated at that state, the gradient is evaluated
/// afresh.
public struct PostStepGuidance<Base: DifferentiablePredictionModel, Energy: GuidanceEnergy>: DifferentiablePredictionModel where Energy.Value == Base.Value {
    /// The factor c of the correction.
    public enum Weight: Sendable {
        /// c = ζ.
        case constant(Double)
        /// c = s·β̃, β̃ the variance of the step's ``DDPMPosterior``.
        case posteriorVariance(scale: Double)
    }

    /// Where the gradient is taken and how it is weighted.
    public struct Rule: Sendable {
        public var point: GuidanceGradientPoint
        public var weight: Weight

        public init(point: GuidanceGradientPoint, weight: Weight) {
            self.point = point
            self.weight = weight
        }

        /// DPS: the gradient at the step's start, c = ζ.
        public static func diffusionPosteriorSampling(step zeta: Double) -> Rule { Rule(point: .stepStart, weight: .constant(zeta)) }

        /// TSDiff's weight c = s·β̃, by default at the reference's point (the step's end).
        public static func tsdiff(scale: Double, at point: GuidanceGradientPoint = .stepEnd) -> Rule {
            Rule(point: point, weight: .posteriorVariance(scale: scale))
        }
    }

    /// The run state: the base model's, and the gradient of the last evaluation when the
    /// sampler's evaluations carry it.
    public struct State {
        public var base: Base.State
        var evaluation: (x: Base.Value, point: TimePoint, gradient: Base.Value)?
    }

    public let base: Base
    public let energy: Energy
    public let rule: Rule
    /// Whether two states are the same (set when the state type is `Equatable`); reuse of the
    /// sampler's evaluation needs it.
    private let isSame: (@Sendable (Base.Value, Base.Value) -> Bool)?

    public init(_ base: Base, energy: Energy, rule: Rule) {
        self.base = base
        self.energy = energy
        self.rule = rule
        self.isSame = nil
    }

    public init(_ base: Base, energy: Energy, rule: Rule) where Base.Value: Equatable {
        self.base = base
        self.energy = energy
        self.rule = rule
        self.isSame = { $0 == $1 }
    }

    public func makeState() -> State { State(base: base.makeState()) }

    public func predict(_ x: Base.Value, at point: TimePoint, key: SampleKey, state: inout State) -> Prediction<Base.Value> {
        guard rule.point == .stepStart, isSame != nil else { return base.predict(x, at: point, key: key, state: &state.base) }
        let (prediction, gradient) = base.predictWithGradient(x, at: point, key: key, state: &state.base) { energy.gradient($0.denoised) }
        state.evaluation = (x, point, gradient)
        return prediction
    }

    public func predictWithGradient(_ x: Base.Value, at point: TimePoint, key: SampleKey, state: inout State,
                                    cotangent: (Prediction<Base.Value>) -> Base.Value) -> (prediction: Prediction<Base.Value>, gradient: Base.Value) {
        base.predictWithGradient(x, at: point, key: key, state: &state.base, cotangent: cotangent)
    }

    public func correct(_ next: Base.Value, from x: Base.Value, step: (from: TimePoint, to: TimePoint),
                        context: inout SamplingContext<Base.Value, State>) -> Base.Value {
        let inner = context.withModelState(\.base) { base.correct(next, from: x, step: step, context: &$0) }
        let (p, q) = step
        let evaluation = context.modelState.evaluation
        context.modelState.evaluation = nil
        let c: Double
        switch rule.weight {
        case .constant(let zeta): c = zeta
        case .posteriorVariance(let scale): c = q.isClean ? 0 : scale * DDPMPosterior(from: p, to: q).variance
        }
        if c == 0 { return inner }
        // A fresh evaluation reads the run state but does not advance it (a stateful term below,
        // adaptive guidance for example, steps once per sampler step).
        func energyGradient(at y: Base.Value) -> Base.Value {
            var scratch = context.modelState.base
            let (prediction, gradient) = base.predictWithGradient(y, at: p, key: context.modelKey, state: &scratch) { energy.gradient($0.denoised) }
            context.countEvaluations(prediction.evaluations)
            return gradient
        }
        let gradient: Base.Value
        switch rule.point {
        case .stepStart:
            if let evaluation, let isSame, evaluation.point == p, isSame(evaluation.x, x) {
                gradient = evaluation.gradient
            } else {
                gradient = energyGradient(at: x)
            }
        case .stepEnd:
            gradient = energyGradient(at: inner)
        }
        return Base.Value.combine(1, inner, -c, gradient)
    }
}
