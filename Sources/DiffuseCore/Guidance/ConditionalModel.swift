import DiffuseTensor

/// A model that can be asked with or without a condition (classifier-free guidance trains one
/// network for both, dropping the condition at random).
public protocol ConditionalPredictionModel<Value, Condition> {
    associatedtype Value: VectorSpace
    associatedtype Condition

    /// The prediction given the condition, or the unconditional prediction for `nil`.
    func predict(_ x: Value, at point: TimePoint, condition: Condition?, key: SampleKey) -> Prediction<Value>
}

/// A conditional model that can also differentiate its clean-data estimate with respect to its
/// input (see ``DifferentiablePredictionModel``); classifier-free guidance built on it is then
/// differentiable too, so gradient and post-step guidance stack on top of it.
public protocol DifferentiableConditionalPredictionModel<Value, Condition>: ConditionalPredictionModel {
    func predictWithGradient(_ x: Value, at point: TimePoint, condition: Condition?, key: SampleKey,
                             cotangent: (Prediction<Value>) -> Value) -> (prediction: Prediction<Value>, gradient: Value)
}

/// A conditional model given as a closure.
public struct ConditionalOutputModel<Value: VectorSpace, Condition>: ConditionalPredictionModel {
    public let body: (Value, TimePoint, Condition?) -> Prediction<Value>

    public init(_ body: @escaping (Value, TimePoint, Condition?) -> Prediction<Value>) {
        self.body = body
    }

    public func predict(_ x: Value, at point: TimePoint, condition: Condition?, key: SampleKey) -> Prediction<Value> {
        body(x, point, condition)
    }
}

/// A conditional model with its condition fixed: an ordinary ``PredictionModel``.
public struct Conditioned<Base: ConditionalPredictionModel>: PredictionModel {
    public let base: Base
    public let condition: Base.Condition?

    public init(_ base: Base, condition: Base.Condition?) {
        self.base = base
        self.condition = condition
    }

    public func predict(_ x: Base.Value, at point: TimePoint, key: SampleKey, state: inout Void) -> Prediction<Base.Value> {
        base.predict(x, at: point, condition: condition, key: key)
    }
}

extension Conditioned: DifferentiablePredictionModel where Base: DifferentiableConditionalPredictionModel {
    public func predictWithGradient(_ x: Base.Value, at point: TimePoint, key: SampleKey, state: inout Void,
                                    cotangent: (Prediction<Base.Value>) -> Base.Value) -> (prediction: Prediction<Base.Value>, gradient: Base.Value) {
        base.predictWithGradient(x, at: point, condition: condition, key: key, cotangent: cotangent)
    }
}
