import DiffuseTensor

/// Clamps a model's clean-data estimate to a range and re-derives the noise estimate from it,
/// ε̂ = (x − α·x̂₀)/σ — diffusers' `clip_sample` (Ho et al. 2020 clip x̂₀ to [−1, 1] for images).
/// With `dynamicQuantile`, the bound is per sample: s = max(1, the quantile of |x̂₀|), then
/// x̂₀ ← clamp(x̂₀, −s, s)/s (dynamic thresholding, Saharia et al. 2022).
public struct ClippedModel<Base: PredictionModel, S: TensorScalar>: PredictionModel where Base.Value == Tensor<S> {
    public let base: Base
    public let range: ClosedRange<S>
    public let dynamicQuantile: Double?

    public init(base: Base, range: ClosedRange<S>, dynamicQuantile: Double? = nil) {
        self.base = base
        self.range = range
        self.dynamicQuantile = dynamicQuantile
    }

    public func makeState() -> Base.State { base.makeState() }

    public func predict(_ x: Tensor<S>, at point: TimePoint, key: SampleKey, state: inout Base.State) -> Prediction<Tensor<S>> {
        var p = base.predict(x, at: point, key: key, state: &state)
        if let q = dynamicQuantile {
            let rows = p.denoised.reshaped([p.denoised.shape[0], -1])
            let sorted = rows.abs().scalars
            let width = rows.shape[1]
            var bounds: [S] = []
            for r in 0..<rows.shape[0] {
                let row = sorted[(r * width)..<((r + 1) * width)].sorted()
                let index = Swift.min(width - 1, Int((Double(width - 1) * q).rounded(.toNearestOrEven)))
                bounds.append(Swift.max(1, Swift.min(row[index], range.upperBound)))
            }
            var shape = [Int](repeating: 1, count: p.denoised.rank)
            shape[0] = bounds.count
            let b = Tensor(shape: shape, scalars: bounds)
            p.denoised = p.denoised.maximum(-b).minimum(b) / b
        } else {
            p.denoised = p.denoised.clamped(to: range)
        }
        if point.sigma > 0 { p.noise = Prediction(denoised: p.denoised, x: x, at: point).noise }
        return p
    }

    public func correct(_ next: Tensor<S>, from x: Tensor<S>, step: (from: TimePoint, to: TimePoint),
                        context: inout SamplingContext<Tensor<S>, Base.State>) -> Tensor<S> {
        base.correct(next, from: x, step: step, context: &context)
    }
}
