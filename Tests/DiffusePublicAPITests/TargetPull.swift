import DiffuseCore

/// A guidance term written outside the package: it pulls the clean estimate toward a target,
/// x̂₀ ← (1 − w)·x̂₀ + w·c, re-deriving ε̂ = (x − α·x̂₀)/σ, and counts its calls in its own typed
/// state. It wraps any model, so it stacks with the package's terms in any order; it forwards
/// post-step hooks to its base, and is differentiable when its base is (∂x̂₀/∂x is (1 − w) times
/// the base's).
struct TargetPull<Base: PredictionModel>: PredictionModel {
    let base: Base
    let target: Base.Value
    let weight: Double

    struct State {
        var base: Base.State
        var calls = 0
    }

    func makeState() -> State { State(base: base.makeState()) }

    private func pulled(_ p: Prediction<Base.Value>, x: Base.Value, at point: TimePoint) -> Prediction<Base.Value> {
        Prediction(denoised: Base.Value.combine(1 - weight, p.denoised, weight, target), x: x, at: point, evaluations: p.evaluations)
    }

    func predict(_ x: Base.Value, at point: TimePoint, key: SampleKey, state: inout State) -> Prediction<Base.Value> {
        state.calls += 1
        return pulled(base.predict(x, at: point, key: key, state: &state.base), x: x, at: point)
    }

    func correct(_ next: Base.Value, from x: Base.Value, step: (from: TimePoint, to: TimePoint),
                 context: inout SamplingContext<Base.Value, State>) -> Base.Value {
        context.withModelState(\.base) { base.correct(next, from: x, step: step, context: &$0) }
    }
}

extension TargetPull: DifferentiablePredictionModel where Base: DifferentiablePredictionModel {
    func predictWithGradient(_ x: Base.Value, at point: TimePoint, key: SampleKey, state: inout State,
                             cotangent: (Prediction<Base.Value>) -> Base.Value) -> (prediction: Prediction<Base.Value>, gradient: Base.Value) {
        state.calls += 1
        var result: Prediction<Base.Value>? = nil
        let (_, gradient) = base.predictWithGradient(x, at: point, key: key, state: &state.base) { p in
            result = pulled(p, x: x, at: point)
            return cotangent(result!)
        }
        return (result!, gradient.scaled(by: Base.Value.Scalar(1 - weight)))
    }
}
