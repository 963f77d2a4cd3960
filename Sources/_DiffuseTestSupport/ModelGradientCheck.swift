import DiffuseCore
import DiffuseTensor

/// The largest difference between a differentiable model's vector–Jacobian product (∂x̂₀/∂x)ᵀv
/// and central differences of v·x̂₀ in Float64. Each evaluation starts from a fresh run state
/// (`makeState`), so stateful terms are compared at their first step.
public func modelGradientError<M: DifferentiablePredictionModel>(_ model: M, at x: Tensor<Double>, point: TimePoint, cotangent v: Tensor<Double>,
                                                                step h: Double = 1e-6) -> Double where M.Value == Tensor<Double> {
    var state = model.makeState()
    let (_, gradient) = model.predictWithGradient(x, at: point, key: .fixed, state: &state) { _ in v }
    var worst = 0.0
    for i in 0..<x.count {
        var plus = x.scalars, minus = x.scalars
        plus[i] += h
        minus[i] -= h
        var s1 = model.makeState(), s2 = model.makeState()
        let fp = (model.predict(Tensor(shape: x.shape, scalars: plus), at: point, key: .fixed, state: &s1).denoised * v).sum().scalar
        let fm = (model.predict(Tensor(shape: x.shape, scalars: minus), at: point, key: .fixed, state: &s2).denoised * v).sum().scalar
        worst = Swift.max(worst, Swift.abs(gradient.scalars[i] - (fp - fm) / (2 * h)))
    }
    return worst
}

/// A conditional model with exact, differentiable predictions: the unconditional model is one
/// Gaussian mixture, the conditional one (any condition) another.
public struct ConditionalExactModel: DifferentiableConditionalPredictionModel {
    public let unconditional: ExactMixtureModel<Double>
    public let conditional: ExactMixtureModel<Double>

    public init(unconditional: GaussianMixture, conditional: GaussianMixture) {
        self.unconditional = unconditional.exactModel(as: Double.self)
        self.conditional = conditional.exactModel(as: Double.self)
    }

    public func predict(_ x: Tensor<Double>, at point: TimePoint, condition: Int?, key: SampleKey) -> Prediction<Tensor<Double>> {
        condition == nil ? unconditional.predict(x, at: point, key: key) : conditional.predict(x, at: point, key: key)
    }

    public func predictWithGradient(_ x: Tensor<Double>, at point: TimePoint, condition: Int?, key: SampleKey,
                                    cotangent: (Prediction<Tensor<Double>>) -> Tensor<Double>) -> (prediction: Prediction<Tensor<Double>>, gradient: Tensor<Double>) {
        condition == nil ? unconditional.predictWithGradient(x, at: point, key: key, cotangent: cotangent)
            : conditional.predictWithGradient(x, at: point, key: key, cotangent: cotangent)
    }
}
