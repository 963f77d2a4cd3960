import DiffuseTensor

/// A model that can also differentiate its clean-data estimate with respect to its input:
/// given a cotangent ∂E/∂x̂₀ it returns ∂E/∂x = (∂x̂₀/∂x)ᵀ·∂E/∂x̂₀. Guidance that acts through
/// the denoiser (DPS, TSDiff's observation self-guidance, likelihoods) needs this, and requires it
/// in its type: a model that cannot differentiate does not compile there.
///
/// `cotangent` is called exactly once, with the model's prediction, before the backward pass;
/// wrappers rely on that to combine the cotangents of several inner models.
public protocol DifferentiablePredictionModel: PredictionModel {
    /// The prediction at x and the gradient with respect to x of an energy of x̂₀, whose
    /// gradient with respect to x̂₀ `cotangent` computes from the prediction.
    func predictWithGradient(_ x: Value, at point: TimePoint, key: SampleKey, state: inout State,
                             cotangent: (Prediction<Value>) -> Value) -> (prediction: Prediction<Value>, gradient: Value)
}

extension DifferentiablePredictionModel where State == Void {
    /// ``predictWithGradient(_:at:key:state:cotangent:)`` for models without state.
    public func predictWithGradient(_ x: Value, at point: TimePoint, key: SampleKey = .fixed,
                                    cotangent: (Prediction<Value>) -> Value) -> (prediction: Prediction<Value>, gradient: Value) {
        var state: Void = ()
        return predictWithGradient(x, at: point, key: key, state: &state, cotangent: cotangent)
    }
}

extension SamplingContext where Value: VectorSpace {
    /// Evaluates a differentiable model with its gradient (see
    /// ``DifferentiablePredictionModel``), with this step's model key, counting the evaluation.
    public mutating func predictWithGradient<M: DifferentiablePredictionModel>(_ model: M, _ x: Value, at point: TimePoint,
                                                                               cotangent: (Prediction<Value>) -> Value) -> (prediction: Prediction<Value>, gradient: Value)
        where M.Value == Value, M.State == ModelState {
        let result = model.predictWithGradient(x, at: point, key: modelKey, state: &modelState, cotangent: cotangent)
        countEvaluations(result.prediction.evaluations)
        return result
    }
}
