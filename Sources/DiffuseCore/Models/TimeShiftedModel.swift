import DiffuseTensor

/// The time-shift sampler's model correction (Li et al., "Alleviating Exposure Bias in Diffusion
/// Models through Sampling with Shifted Time Steps", ICLR 2024; `TS-DPM`): before each network
/// call at a step t above `cutoff`, each sample's empirical variance v is compared with 1 − ᾱ_{t′}
/// for the training steps t′ in a window of width `window` around t, and the network is evaluated
/// at the t′ minimising (v − (1 − ᾱ_{t′}))². The sampler's own step arithmetic is unchanged.
/// Samples that choose the same t′ are evaluated together. Needs a discrete schedule.
///
/// Limitation: each group is a separate call of the base with the same run state and key, so a
/// stateful base (adaptive guidance's per-sample switches) or one that draws from its key sees
/// each group as a batch of its own; use it over stateless, deterministic bases.
public struct TimeShiftedModel<Base: PredictionModel, S: TensorScalar>: PredictionModel where Base.Value == Tensor<S> {
    public let base: Base
    public let schedule: DiscreteVPSchedule
    public let window: Int
    public let cutoff: Double

    /// The README settings of TS-DPM: window 5 with cutoff 550, 30/300, 10/900.
    public init(base: Base, schedule: DiscreteVPSchedule, window: Int = 5, cutoff: Double = 550) {
        precondition(window >= 1, "the time-shift window must be positive")
        self.base = base
        self.schedule = schedule
        self.window = window
        self.cutoff = cutoff
    }

    public func makeState() -> Base.State { base.makeState() }

    /// The shifted training step for one sample's variance.
    public func shiftedStep(variance: Double, at t: Double) -> Int {
        let center = Int(t.rounded())
        let lo = Swift.max(0, center - window / 2), hi = Swift.min(schedule.trainingSteps - 1, center + window / 2)
        return (lo...hi).min { a, b in
            let da = variance - (1 - schedule.alphasCumulativeProduct[a]), db = variance - (1 - schedule.alphasCumulativeProduct[b])
            return da * da < db * db
        }!
    }

    public func predict(_ x: Tensor<S>, at point: TimePoint, key: SampleKey, state: inout Base.State) -> Prediction<Tensor<S>> {
        guard point.time > cutoff, x.rank >= 1 else { return base.predict(x, at: point, key: key, state: &state) }
        let rows = x.reshaped([x.shape[0], -1])
        let variances = rows.variance(alongAxes: [1]).scalars.map(Double.init)
        let steps = variances.map { shiftedStep(variance: $0, at: point.time) }
        var denoised = Tensor<S>(zeros: x.shape), noise = Tensor<S>(zeros: x.shape)
        var evaluations = 0
        for step in Set(steps).sorted() {
            let members = steps.indices.filter { steps[$0] == step }
            let shifted = schedule.point(at: Double(step))
            // The network sees the shifted time; the estimates are re-expressed at the true point.
            // Limitation: a base that draws from its key sees each group as a batch of its own
            // (row k of the group is not row members[k] of x), so such draws depend on the grouping.
            let p = base.predict(x.gatheringSamples(members), at: TimePoint(time: shifted.time, alpha: point.alpha, sigma: point.sigma), key: key, state: &state)
            evaluations = Swift.max(evaluations, p.evaluations)
            for (k, i) in members.enumerated() {
                denoised[i] = p.denoised[k]
                noise[i] = p.noise[k]
            }
        }
        return Prediction(denoised: denoised, noise: noise, evaluations: evaluations)
    }

    public func correct(_ next: Tensor<S>, from x: Tensor<S>, step: (from: TimePoint, to: TimePoint),
                        context: inout SamplingContext<Tensor<S>, Base.State>) -> Tensor<S> {
        base.correct(next, from: x, step: step, context: &context)
    }
}
