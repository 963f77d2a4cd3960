import Foundation

/// The diffusers scheduler families whose time grids Diffuse reproduces (diffusers 0.42).
/// Their `timestep_spacing` options do not mean the same thing in every family; see
/// ``TimeGrid/diffusers(_:scheduler:steps:spacing:finalSigma:stepsOffset:)``.
public enum DiffusersScheduler: String, Codable, Sendable, CaseIterable {
    case ddpm, ddim, euler, heun, dpmSolver, uniPC

    /// The scheduler's default `timestep_spacing`.
    public var defaultSpacing: DiffusersSpacing {
        switch self {
        case .ddpm, .ddim: return .leading
        case .euler, .heun, .dpmSolver, .uniPC: return .linspace
        }
    }
}

/// diffusers' `timestep_spacing` values.
public enum DiffusersSpacing: String, Codable, Sendable, CaseIterable {
    case linspace, leading, trailing
}

/// The noise level after the last step: 0 (`final_sigmas_type="zero"`, `set_alpha_to_one`), or the
/// training schedule's smallest (`"sigma_min"`, `set_alpha_to_one=False`).
public enum FinalSigma: String, Codable, Sendable {
    case zero, sigmaMin
}

extension TimeGrid {
    /// The grid a diffusers scheduler builds for `steps` inference steps of a discrete schedule
    /// with N training steps (checked against diffusers 0.42.1 in the test suite):
    ///
    /// - DDPM, DDIM: integer timesteps; linspace = round(linspace(0, N−1, n)), leading =
    ///   (0, r, …)·reversed + offset with r = N div n, trailing = round(N, N − N/n, …) − 1; the
    ///   points carry α = √ᾱ_t. (diffusers' DDIM steps to t − N div n whatever the spacing, which
    ///   differs from the grid for linspace and trailing; Diffuse always steps to the next grid
    ///   point.)
    /// - Euler, Heun: the same formulas in floating point, linspace not rounded, with σ = √((1−ᾱ)/ᾱ)
    ///   interpolated *linearly in σ* at fractional timesteps.
    /// - DPM-Solver, UniPC: integer timesteps; linspace = round(linspace(0, N−1, n + 1)) reversed
    ///   without its last entry, leading with r = N div (n + 1), trailing as DDIM.
    ///
    /// The final point is clean (σ = 0) or at the training schedule's first step (`sigmaMin`).
    public static func diffusers(_ schedule: DiscreteVPSchedule, scheduler: DiffusersScheduler, steps: Int,
                                 spacing: DiffusersSpacing? = nil, finalSigma: FinalSigma = .zero, stepsOffset: Int = 0) -> TimeGrid {
        let n = schedule.trainingSteps
        precondition(steps >= 1 && steps <= n, "need 1 ≤ steps ≤ \(n)")
        let spacing = spacing ?? scheduler.defaultSpacing
        let trainingSigmas = schedule.alphasCumulativeProduct.map { ((1 - $0) / $0).squareRoot() }
        let rule: DiscreteSpacing
        switch (scheduler, spacing) {
        case (.euler, .linspace), (.heun, .linspace): rule = .fractionalLinspace
        case (.dpmSolver, .linspace), (.uniPC, .linspace): rule = .linspaceExcludingZero
        case (.dpmSolver, .leading), (.uniPC, .leading): rule = .leadingExcludingZero
        case (_, .linspace): rule = .linspace
        case (_, .leading): rule = .leading
        case (_, .trailing): rule = .trailing
        }
        let times = rule.times(steps: steps, trainingSteps: n, offset: stepsOffset)
        var points: [TimePoint]
        switch scheduler {
        case .euler, .heun:
            points = times.map { t in
                let i = Swift.min(Swift.max(Int(t.rounded(.down)), 0), n - 1)
                let w = t - Double(i)
                let s = i + 1 < n ? (1 - w) * trainingSigmas[i] + w * trainingSigmas[i + 1] : trainingSigmas[i]
                return TimePoint(time: t, alpha: 1 / (s * s + 1).squareRoot(), sigma: s / (s * s + 1).squareRoot())
            }
        default:
            points = times.map { schedule.point(at: $0) }
        }
        switch finalSigma {
        case .zero:
            points.append(TimePoint(time: scheduler == .ddpm || scheduler == .ddim ? -1 : 0, alpha: 1, sigma: 0))
        case .sigmaMin:
            let ab = schedule.alphasCumulativeProduct[0]
            points.append(TimePoint(time: 0, alpha: ab.squareRoot(), sigma: (1 - ab).squareRoot()))
        }
        return TimeGrid(points: points)
    }
}

extension DiscreteVPSchedule {
    /// A schedule from its cumulative products ᾱₙ directly (for example the float32 values
    /// a PyTorch scheduler computed), so a grid can match another library to the last bit.
    public init(alphasCumulativeProduct values: [Double]) {
        precondition(!values.isEmpty && values.allSatisfy { $0 > 0 && $0 <= 1 }, "ᾱ must lie in (0, 1]")
        var betas: [Double] = []
        var previous = 1.0
        for v in values { betas.append(1 - v / previous); previous = v }
        self.init(betas: betas, alphasCumulativeProduct: values)
    }
}
