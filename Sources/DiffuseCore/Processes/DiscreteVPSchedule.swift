import Foundation

/// How the β sequence of a discrete DDPM schedule is built, as diffusers names them.
public enum BetaSchedule: Codable, Hashable, Sendable {
    /// βₙ linear from `start` to `end` (Ho et al. 2020: 1e-4 → 0.02 over 1000 steps).
    case linear(start: Double, end: Double)
    /// √βₙ linear from √start to √end (Stable Diffusion's "scaled_linear").
    case scaledLinear(start: Double, end: Double)
    /// βₙ = min(1 − ᾱ(n+1)/ᾱ(n), 0.999) with ᾱ(t) = cos²((t/N + 0.008)/1.008 · π/2)
    /// (Nichol & Dhariwal 2021, diffusers' "squaredcos_cap_v2").
    case squaredCosine
    /// Given βs.
    case custom([Double])

    /// The βs for `count` training steps.
    public func betas(count: Int) -> [Double] {
        precondition(count >= 1, "a schedule needs at least one step")
        switch self {
        case let .linear(start, end):
            return (0..<count).map { count == 1 ? start : start + (end - start) * Double($0) / Double(count - 1) }
        case let .scaledLinear(start, end):
            let a = start.squareRoot(), b = end.squareRoot()
            return (0..<count).map { let r = count == 1 ? a : a + (b - a) * Double($0) / Double(count - 1); return r * r }
        case .squaredCosine:
            func alphaBar(_ t: Double) -> Double { let c = Foundation.cos((t + 0.008) / 1.008 * Double.pi / 2); return c * c }
            return (0..<count).map { i in
                Swift.min(1 - alphaBar(Double(i + 1) / Double(count)) / alphaBar(Double(i) / Double(count)), 0.999)
            }
        case .custom(let b):
            precondition(b.count == count, "custom betas have \(b.count) entries, schedule needs \(count)")
            return b
        }
    }
}

/// A discrete variance-preserving (DDPM) schedule: N training steps with ᾱₙ = Πₖ≤ₙ (1 − βₖ),
/// α = √ᾱ, σ = √(1 − ᾱ) (Ho, Jain & Abbeel 2020).
///
/// Time is the training-step index, 0…N−1. Between integers, log ᾱ is interpolated linearly
/// (as DPM-Solver's discrete `NoiseScheduleVP` does), so continuous-time solvers and adaptive
/// integrators can evaluate the schedule anywhere in [0, N−1].
public struct DiscreteVPSchedule: NoiseSchedule, Codable, Hashable {
    /// βₙ for n = 0..<N.
    public let betas: [Double]
    /// ᾱₙ for n = 0..<N.
    public let alphasCumulativeProduct: [Double]

    /// A schedule of `trainingSteps` steps.
    ///
    /// - Parameters:
    ///   - trainingSteps: the number of steps N (default: 1000).
    ///   - betaSchedule: how the βs are chosen (default: linear from 1e-4 to 0.02).
    ///   - rescaleToZeroTerminalSNR: rescale so that ᾱ_{N−1} = 0 while keeping ᾱ₀
    ///     (Lin et al., "Common Diffusion Noise Schedules and Sample Steps are Flawed", 2024;
    ///     diffusers' `rescale_betas_zero_snr`). The last step is then pure noise; its σ/α is ∞.
    public init(trainingSteps: Int = 1000, betaSchedule: BetaSchedule = .linear(start: 1e-4, end: 0.02),
                rescaleToZeroTerminalSNR: Bool = false) {
        var betas = betaSchedule.betas(count: trainingSteps)
        if rescaleToZeroTerminalSNR { betas = Self.rescaledToZeroTerminalSNR(betas) }
        self.init(betas: betas)
    }

    /// A schedule from explicit βs.
    public init(betas: [Double]) {
        precondition(!betas.isEmpty && betas.allSatisfy { $0 >= 0 && $0 <= 1 }, "betas must lie in [0, 1]")
        var product = 1.0
        self.init(betas: betas, alphasCumulativeProduct: betas.map { product *= 1 - $0; return product })
    }

    init(betas: [Double], alphasCumulativeProduct: [Double]) {
        self.betas = betas
        self.alphasCumulativeProduct = alphasCumulativeProduct
    }

    /// The βs rescaled so that √ᾱ is shifted and scaled to start unchanged and end at 0.
    public static func rescaledToZeroTerminalSNR(_ betas: [Double]) -> [Double] {
        var product = 1.0
        var sqrtAlphaBar = betas.map { product *= 1 - $0; return product.squareRoot() }
        let first = sqrtAlphaBar[0], last = sqrtAlphaBar[sqrtAlphaBar.count - 1]
        sqrtAlphaBar = sqrtAlphaBar.map { ($0 - last) * first / (first - last) }
        let alphaBar = sqrtAlphaBar.map { $0 * $0 }
        var alphas = [alphaBar[0]]
        for i in 1..<alphaBar.count { alphas.append(alphaBar[i] / alphaBar[i - 1]) }
        return alphas.map { 1 - $0 }
    }

    /// The number of training steps N.
    public var trainingSteps: Int { betas.count }

    public var timeRange: ClosedRange<Double> { 0...Double(betas.count - 1) }

    /// ᾱ at a (possibly fractional) step, log-linearly interpolated.
    public func alphaBar(at t: Double) -> Double {
        let n = betas.count
        let clamped = Swift.min(Swift.max(t, 0), Double(n - 1))
        let i = Swift.min(Int(clamped), n - 2 < 0 ? 0 : n - 2)
        if n == 1 { return alphasCumulativeProduct[0] }
        let w = clamped - Double(i)
        let a = alphasCumulativeProduct[i], b = alphasCumulativeProduct[i + 1]
        if w == 0 { return a }
        if b == 0 { return w == 1 ? 0 : a * Foundation.pow(Swift.max(b, .leastNormalMagnitude) / a, w) }
        return Foundation.exp((1 - w) * Foundation.log(a) + w * Foundation.log(b))
    }

    public func alpha(at t: Double) -> Double { alphaBar(at: t).squareRoot() }
    public func sigma(at t: Double) -> Double { (1 - alphaBar(at: t)).squareRoot() }

    /// d log ᾱ/dt on the segment containing t.
    private func logAlphaBarSlope(at t: Double) -> Double {
        let n = betas.count
        guard n > 1 else { return 0 }
        let i = Swift.min(Swift.max(Int(Swift.max(t, 0)), 0), n - 2)
        return Foundation.log(Swift.max(alphasCumulativeProduct[i + 1], .leastNormalMagnitude)) - Foundation.log(alphasCumulativeProduct[i])
    }

    public func alphaDerivative(at t: Double) -> Double { 0.5 * alpha(at: t) * logAlphaBarSlope(at: t) }
    public func sigmaDerivative(at t: Double) -> Double {
        let ab = alphaBar(at: t)
        return -0.5 * ab * logAlphaBarSlope(at: t) / Swift.max((1 - ab).squareRoot(), .leastNormalMagnitude)
    }
}
