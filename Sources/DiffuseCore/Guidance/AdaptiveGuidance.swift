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

    public func predict(_ x: Base.Value, at point: TimePoint, key: SampleKey, state: inout State) -> Prediction<Base.Value> {
        let c = base.predict(x, at: point, condition: condition, key: key)
        let switched = state.switched ?? [Bool](repeating: false, count: x.sampleCount)
        if switched.allSatisfy({ $0 }) { return c }
        let u = base.predict(x, at: point, condition: nil, key: key)
        let cosines = c.noise.sampleCosines(u.noise)
        state.switched = zip(switched, cosines).map { $0 || $1 > threshold }
        let guidedNoise = ClassifierFreeRule.standard(scale: scale).combine(conditional: c.noise, unconditional: u.noise)
            .replacingSamples(where: switched, with: c.noise)
        return Prediction(noise: guidedNoise, x: x, at: point, evaluations: c.evaluations + u.evaluations)
    }
}
