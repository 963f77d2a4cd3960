import DiffuseTensor

/// Anything a sampler can ask for a prediction at (x, t): a network behind an adapter, an exact
/// closed-form score, or a guided combination of models.
///
/// `State` is per-run state that the sampler threads through every call (adaptive guidance uses
/// it to remember that it switched to the conditional model); most models have none.
public protocol PredictionModel<Value> {
    associatedtype Value: VectorSpace
    associatedtype State = Void

    /// The state at the start of a sampling run.
    func makeState() -> State

    /// The prediction at `x` and the schedule point `point`.
    func predict(_ x: Value, at point: TimePoint, state: inout State) -> Prediction<Value>
}

extension PredictionModel where State == Void {
    public func makeState() {}

    /// The prediction, for models without state.
    public func predict(_ x: Value, at point: TimePoint) -> Prediction<Value> {
        var state: Void = ()
        return predict(x, at: point, state: &state)
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

    public func predict(_ x: Value, at point: TimePoint, state: inout Void) -> Prediction<Value> {
        let input = type == .denoiser ? x.scaled(by: Value.Scalar(1 / point.alpha)) : x
        let raw = output(input, point)
        let derivatives = type == .flowVelocity
            ? (schedule.alphaDerivative(at: point.time), schedule.sigmaDerivative(at: point.time)) : (0, 0)
        return Prediction.from(raw, type: type, x: x, point: point, alphaDerivative: derivatives.0, sigmaDerivative: derivatives.1)
    }
}
