import DiffuseTensor

/// Anything a sampler can ask for a prediction at (x, t): a network behind an adapter, an exact
/// closed-form score, or a guided combination of models.
///
/// `State` is per-run state that the sampler threads through every call (adaptive guidance uses
/// it to remember that it switched to the conditional model); most models have none. `key` is
/// the evaluation's randomness: a model that draws (a generator's latent) draws sample i from
/// `key.key(forSample: i)`, so its result does not depend on the batch.
///
/// Guidance terms are models wrapped around models; they stack in any order. A term that acts
/// after the sampler's step (post-step guidance) implements
/// ``correct(_:from:step:context:)``, which wrappers forward to their base.
public protocol PredictionModel<Value> {
    associatedtype Value: VectorSpace
    associatedtype State = Void

    /// The state at the start of a sampling run.
    func makeState() -> State

    /// The prediction at `x` and the schedule point `point`.
    func predict(_ x: Value, at point: TimePoint, key: SampleKey, state: inout State) -> Prediction<Value>

    /// Corrects the state `next` that a sampler step reached from `x` over `step` (post-step
    /// guidance); the identity for ordinary models. Model evaluations it makes are counted in
    /// the context.
    func correct(_ next: Value, from x: Value, step: (from: TimePoint, to: TimePoint),
                 context: inout SamplingContext<Value, State>) -> Value
}

extension PredictionModel {
    public func correct(_ next: Value, from x: Value, step: (from: TimePoint, to: TimePoint),
                        context: inout SamplingContext<Value, State>) -> Value { next }
}

extension PredictionModel where State == Void {
    public func makeState() {}

    /// The prediction, for models without state.
    public func predict(_ x: Value, at point: TimePoint, key: SampleKey = .fixed) -> Prediction<Value> {
        var state: Void = ()
        return predict(x, at: point, key: key, state: &state)
    }
}

/// A model given as a function returning a raw output of a known ``PredictionType`` — the
/// usual way to wrap a network: `OutputModel(type: .noise, schedule: s) { x, point in net(x, point.time) }`.
///
/// A `.denoiser` model receives x/α and is asked for D at the same `point`; the EDM noise level
/// is `point.edmSigma`.
public struct OutputModel<Value: VectorSpace>: PredictionModel {
    public let type: PredictionType
    public let schedule: any NoiseSchedule
    public let output: (Value, TimePoint) -> Value

    public init(type: PredictionType, schedule: any NoiseSchedule, output: @escaping (Value, TimePoint) -> Value) {
        self.type = type
        self.schedule = schedule
        self.output = output
    }

    public func predict(_ x: Value, at point: TimePoint, key: SampleKey, state: inout Void) -> Prediction<Value> {
        let input = type == .denoiser ? x.scaled(by: Value.Scalar(1 / point.alpha)) : x
        return Prediction.from(output(input, point), type: type, x: x, point: point, schedule: schedule)
    }
}
