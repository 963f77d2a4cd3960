import Foundation

/// The points a sampler visits, from the noisiest to the cleanest, each with the schedule's
/// coefficients. Step i goes from `points[i]` to `points[i + 1]`; step arithmetic always reads
/// the two points, never a fixed stride, so any custom or searched grid works with any sampler.
public struct TimeGrid: Equatable, Sendable, Codable {
    /// The grid points, noisiest first.
    public var points: [TimePoint]

    /// A grid from explicit points (at least two, with σ/α non-increasing).
    public init(points: [TimePoint]) {
        precondition(points.count >= 2, "a time grid needs at least two points")
        for i in 1..<points.count {
            precondition(points[i].edmSigma <= points[i - 1].edmSigma + 1e-12 * points[i - 1].edmSigma,
                         "time grid points must go from noise to data (σ/α non-increasing): \(points[i - 1]) then \(points[i])")
        }
        self.points = points
    }

    /// A grid at the given times of a schedule, optionally ending at the clean point (α = 1,
    /// σ = 0, time = the schedule's lower bound).
    public init(schedule: some NoiseSchedule, times: [Double], appendingClean: Bool = false) {
        var p = times.map { schedule.point(at: $0) }
        if appendingClean { p.append(TimePoint(time: schedule.timeRange.lowerBound, alpha: 1, sigma: 0)) }
        self.init(points: p)
    }

    /// The number of steps (points − 1).
    public var stepCount: Int { points.count - 1 }

    /// The model times of all points.
    public var times: [Double] { points.map(\.time) }

    /// The EDM noise levels σ/α of all points.
    public var edmSigmas: [Double] { points.map(\.edmSigma) }

    /// Step i's start and end.
    public subscript(step i: Int) -> (from: TimePoint, to: TimePoint) { (points[i], points[i + 1]) }
}

/// Spacing rules for the timesteps of a discrete (DDPM) schedule with N training steps, as
/// diffusers defines them for its `timestep_spacing` option: the one implementation of every
/// spacing formula (``TimeGrid/diffusers(_:scheduler:steps:spacing:finalSigma:stepsOffset:)``
/// maps each scheduler family's options onto these). Times are returned largest first.
public enum DiscreteSpacing: String, Codable, Sendable, CaseIterable {
    /// DDPM/DDIM "linspace": round(linspace(0, N − 1, n)), reversed.
    case linspace
    /// Euler/Heun "linspace": linspace(0, N − 1, n), reversed, not rounded (fractional steps).
    case fractionalLinspace
    /// "leading": (0, r, 2r, …)·reversed + offset with r = N div n.
    case leading
    /// DPM-Solver/UniPC "leading": (0, r, …, n·r) + offset with r = N div (n + 1), reversed, last dropped.
    case leadingExcludingZero
    /// "trailing": round(N, N − r, …, r) − 1 with r = N/n (real), so the first step is N − 1.
    case trailing
    /// DPM-Solver/UniPC "linspace": round(linspace(0, N − 1, n + 1)), reversed, last dropped.
    case linspaceExcludingZero

    /// The times for `steps` inference steps (integers except for `fractionalLinspace`).
    public func times(steps: Int, trainingSteps n: Int, offset: Int = 0) -> [Double] {
        precondition(steps >= 1 && steps <= n, "need 1 ≤ steps ≤ \(n), got \(steps)")
        func round(_ x: Double) -> Double { x.rounded(.toNearestOrEven) }
        func linspace(_ count: Int) -> [Double] { (0..<count).map { Double(n - 1) * Double($0) / Double(Swift.max(count - 1, 1)) } }
        switch self {
        case .linspace: return linspace(steps).map(round).reversed()
        case .fractionalLinspace: return linspace(steps).reversed()
        case .leading:
            let ratio = n / steps
            return (0..<steps).map { Double($0 * ratio + offset) }.reversed()
        case .leadingExcludingZero:
            let ratio = n / (steps + 1)
            return Array((0...steps).map { Double($0 * ratio + offset) }.reversed().dropLast())
        case .trailing:
            let ratio = Double(n) / Double(steps)
            return (0..<steps).map { round(Double(n) - Double($0) * ratio) - 1 }
        case .linspaceExcludingZero:
            return Array(linspace(steps + 1).map(round).reversed().dropLast())
        }
    }

    /// The integer timesteps for `steps` inference steps (fractional times are rounded down).
    public func timesteps(steps: Int, trainingSteps n: Int, offset: Int = 0) -> [Int] {
        times(steps: steps, trainingSteps: n, offset: offset).map { Int($0.rounded(.down)) }
    }
}

extension TimeGrid {
    /// A grid over a discrete schedule's timesteps, ending at the clean point.
    ///
    /// - Parameters:
    ///   - schedule: the discrete schedule whose timesteps the points are.
    ///   - steps: the number of inference steps (timesteps before the final point).
    ///   - spacing: how the timesteps are chosen among the schedule's training steps.
    ///   - offset: added to the timesteps by the "leading" spacings (diffusers' `steps_offset`).
    ///   - finalAlphaBar: ᾱ of the last point: 1 (clean, diffusers' `set_alpha_to_one` /
    ///     `final_sigmas_type="zero"`), or nil to use ᾱ₀ as diffusers does with `set_alpha_to_one=False`.
    public static func discrete(_ schedule: DiscreteVPSchedule, steps: Int, spacing: DiscreteSpacing, offset: Int = 0,
                                finalAlphaBar: Double? = 1) -> TimeGrid {
        let ts = spacing.timesteps(steps: steps, trainingSteps: schedule.trainingSteps, offset: offset)
        var points = ts.map { schedule.point(at: Double($0)) }
        let ab = finalAlphaBar ?? schedule.alphasCumulativeProduct[0]
        points.append(TimePoint(time: -1, alpha: ab.squareRoot(), sigma: (1 - ab).squareRoot()))
        return TimeGrid(points: points)
    }

    /// `steps` steps uniform in time from `start` to `end` (defaults: the schedule's range).
    public static func uniform(_ schedule: some NoiseSchedule, steps: Int, from start: Double? = nil, to end: Double? = nil,
                               appendingClean: Bool = false) -> TimeGrid {
        let a = start ?? schedule.timeRange.upperBound, b = end ?? schedule.timeRange.lowerBound
        return TimeGrid(schedule: schedule, times: (0...steps).map { a + (b - a) * Double($0) / Double(steps) }, appendingClean: appendingClean)
    }

    /// `steps` steps uniform in √t (DPM-Solver's `time_quadratic`): dense near the data end.
    public static func quadratic(_ schedule: some NoiseSchedule, steps: Int, from start: Double? = nil, to end: Double? = nil,
                                 appendingClean: Bool = false) -> TimeGrid {
        let a = (start ?? schedule.timeRange.upperBound).squareRoot(), b = (end ?? schedule.timeRange.lowerBound).squareRoot()
        return TimeGrid(schedule: schedule, times: (0...steps).map { let r = a + (b - a) * Double($0) / Double(steps); return r * r },
                        appendingClean: appendingClean)
    }

    /// `steps` steps uniform in the log-SNR λ (DPM-Solver's `logSNR` skip type).
    public static func logSNRUniform(_ schedule: some NoiseSchedule, steps: Int, from start: Double? = nil, to end: Double? = nil,
                                     appendingClean: Bool = false) -> TimeGrid {
        let la = schedule.logSNR(at: start ?? schedule.timeRange.upperBound), lb = schedule.logSNR(at: end ?? schedule.timeRange.lowerBound)
        let times = (0...steps).map { schedule.time(atLogSNR: la + (lb - la) * Double($0) / Double(steps)) }
        return TimeGrid(schedule: schedule, times: times, appendingClean: appendingClean)
    }

    /// The noise levels of Karras et al. (2022), eq. 5: σᵢ = (σmax^{1/ρ} + i/(n−1)·(σmin^{1/ρ} − σmax^{1/ρ}))^ρ
    /// for i = 0..<n, in the EDM scale σ/α.
    public static func karrasSigmas(count n: Int, sigmaMin: Double, sigmaMax: Double, rho: Double = 7) -> [Double] {
        precondition(n >= 1 && sigmaMin > 0 && sigmaMax >= sigmaMin, "Karras grid needs n ≥ 1 and 0 < σmin ≤ σmax")
        let a = Foundation.pow(sigmaMax, 1 / rho), b = Foundation.pow(sigmaMin, 1 / rho)
        return (0..<n).map { i in Foundation.pow(a + (n == 1 ? 0 : Double(i) / Double(n - 1)) * (b - a), rho) }
    }

    /// A Karras grid of `steps` steps: `steps` noise levels from σmax to σmin (defaults: the
    /// schedule's range in σ/α) mapped to times, then the clean point.
    public static func karras(_ schedule: some NoiseSchedule, steps: Int, sigmaMin: Double? = nil, sigmaMax: Double? = nil, rho: Double = 7) -> TimeGrid {
        let smin = sigmaMin ?? schedule.edmSigma(at: schedule.timeRange.lowerBound)
        let smax = sigmaMax ?? schedule.edmSigma(at: schedule.timeRange.upperBound)
        let times = karrasSigmas(count: steps, sigmaMin: smin, sigmaMax: smax, rho: rho).map { schedule.time(atEDMSigma: $0) }
        return TimeGrid(schedule: schedule, times: times, appendingClean: true)
    }

    /// A grid through explicit times (any custom or searched grid).
    public static func custom(_ schedule: some NoiseSchedule, times: [Double], appendingClean: Bool = false) -> TimeGrid {
        TimeGrid(schedule: schedule, times: times, appendingClean: appendingClean)
    }
}
