import DiffuseTensor

/// The time-shift sampler's model correction (Li et al., "Alleviating Exposure Bias in Diffusion
/// Models through Sampling with Shifted Time Steps", ICLR 2024; `TS-DPM`): before each network
/// call at a step t above `cutoff`, each sample's empirical variance v is compared with 1 − ᾱ_{t′}
/// for the training steps t′ in a window of width `window` around t, and the network is evaluated
/// at the t′ minimising (v − (1 − ᾱ_{t′}))². The sampler's own step arithmetic is unchanged.
/// Samples that choose the same t′ are evaluated together. Needs a discrete schedule.
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

    public func predict(_ x: Tensor<S>, at point: TimePoint, state: inout Base.State) -> Prediction<Tensor<S>> {
        guard point.time > cutoff, x.rank >= 1 else { return base.predict(x, at: point, state: &state) }
        let rows = x.reshaped([x.shape[0], -1])
        let variances = rows.variance(alongAxes: [1]).scalars.map(Double.init)
        let steps = variances.map { shiftedStep(variance: $0, at: point.time) }
        var denoised = Tensor<S>(zeros: x.shape), noise = Tensor<S>(zeros: x.shape)
        var evaluations = 0
        for step in Set(steps).sorted() {
            let members = steps.indices.filter { steps[$0] == step }
            let shifted = schedule.point(at: Double(step))
            // The network sees the shifted time; the estimates are re-expressed at the true point.
            let p = base.predict(x.gatheringSamples(members), at: TimePoint(time: shifted.time, alpha: point.alpha, sigma: point.sigma), state: &state)
            evaluations = Swift.max(evaluations, p.evaluations)
            for (k, i) in members.enumerated() {
                denoised[i] = p.denoised[k]
                noise[i] = p.noise[k]
            }
        }
        return Prediction(denoised: denoised, noise: noise, evaluations: evaluations)
    }
}

/// A hook for searched time grids (AutoDiffusion, Li et al. 2023; LD3): a greedy coordinate
/// search that moves one interior grid time at a time, keeping a move when `objective` (for
/// example an MMD or sliced-Wasserstein distance of samples to references) decreases.
public enum TimeGridSearch {
    public static func search(initial: TimeGrid, schedule: some NoiseSchedule, rounds: Int = 3, relativeStep: Double = 0.25,
                              objective: (TimeGrid) -> Double) -> (grid: TimeGrid, objective: Double) {
        var best = initial
        var bestValue = objective(initial)
        var step = relativeStep
        for _ in 0..<rounds {
            for i in 1..<Swift.max(best.points.count - 1, 1) {
                for direction in [-1.0, 1.0] {
                    var times = best.times
                    let lower = best.points[i + 1].time, upper = best.points[i - 1].time
                    let candidate = times[i] + direction * step * (direction > 0 ? upper - times[i] : times[i] - lower)
                    guard candidate > Swift.min(lower, upper) && candidate < Swift.max(lower, upper) else { continue }
                    times[i] = candidate
                    let points = times.enumerated().map { k, t in k == i ? schedule.point(at: t) : best.points[k] }
                    let grid = TimeGrid(points: points)
                    let value = objective(grid)
                    if value < bestValue { best = grid; bestValue = value }
                }
            }
            step /= 2
        }
        return (best, bestValue)
    }
}
