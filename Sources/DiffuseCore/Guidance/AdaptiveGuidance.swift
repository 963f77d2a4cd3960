import DiffuseTensor

/// Adaptive guidance (Castillo et al., "Adaptive Guidance: Training-free Acceleration of
/// Conditional Diffusion Models", 2023): classifier-free guidance until the conditional and
/// unconditional noise predictions agree — cosine similarity above `threshold` — after which
/// the sample uses the conditional model alone (one evaluation per step) for the rest of the
/// run. The switch is per sample and kept in the term's typed run state; the unconditional model
/// is skipped once every sample has switched.
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

    /// The guided prediction of the samples that have not switched (the conditional one for
    /// those that have), and the switches after this step.
    private func guided(_ c: Prediction<Base.Value>, _ u: Prediction<Base.Value>, switched: [Bool], x: Base.Value,
                        at point: TimePoint) -> (Prediction<Base.Value>, [Bool]) {
        let cosines = c.noise.sampleCosines(u.noise)
        let noise = ClassifierFreeRule.standard(scale: scale).combine(conditional: c.noise, unconditional: u.noise)
            .replacingSamples(where: switched, with: c.noise)
        return (Prediction(noise: noise, x: x, at: point, evaluations: c.evaluations + u.evaluations),
                zip(switched, cosines).map { $0 || $1 > threshold })
    }

    public func predict(_ x: Base.Value, at point: TimePoint, key: SampleKey, state: inout State) -> Prediction<Base.Value> {
        let c = base.predict(x, at: point, condition: condition, key: key)
        let switched = state.switched ?? [Bool](repeating: false, count: x.sampleCount)
        if switched.allSatisfy({ $0 }) { return c }
        let u = base.predict(x, at: point, condition: nil, key: key)
        let (prediction, next) = guided(c, u, switched: switched, x: x, at: point)
        state.switched = next
        return prediction
    }
}

/// Differentiable when its base is: per sample the gradient of x̂₀ is that of the conditional
/// model once switched, and w·J_cᵀv + (1 − w)·J_uᵀv before (exact: x̂₀ is affine in the two
/// estimates).
extension AdaptiveGuidance: DifferentiablePredictionModel where Base: DifferentiableConditionalPredictionModel {
    public func predictWithGradient(_ x: Base.Value, at point: TimePoint, key: SampleKey, state: inout State,
                                    cotangent: (Prediction<Base.Value>) -> Base.Value) -> (prediction: Prediction<Base.Value>, gradient: Base.Value) {
        typealias V = Base.Value
        let switched = state.switched ?? [Bool](repeating: false, count: x.sampleCount)
        if switched.allSatisfy({ $0 }) { return base.predictWithGradient(x, at: point, condition: condition, key: key, cotangent: cotangent) }
        var result: (Prediction<V>, [Bool])? = nil
        var unconditionalGradient: V? = nil
        var seed: V? = nil
        let (_, conditionalGradient) = base.predictWithGradient(x, at: point, condition: condition, key: key) { c in
            unconditionalGradient = base.predictWithGradient(x, at: point, condition: nil, key: key) { u in
                result = guided(c, u, switched: switched, x: x, at: point)
                seed = cotangent(result!.0)
                return seed!
            }.gradient
            return seed!
        }
        state.switched = result!.1
        let gradient = ClassifierFreeRule.standard(scale: scale).combine(conditional: conditionalGradient, unconditional: unconditionalGradient!)
            .replacingSamples(where: switched, with: conditionalGradient)
        return (result!.0, gradient)
    }
}
