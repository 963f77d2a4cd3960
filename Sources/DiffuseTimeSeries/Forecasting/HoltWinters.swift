import DiffuseTensor
import Foundation

/// Additive Holt–Winters exponential smoothing with additive errors, ETS(A,A,A) (Hyndman,
/// Koehler, Ord & Snyder, *Forecasting with Exponential Smoothing*, 2008, §2.5.1): level ℓ,
/// trend b and a season of period m, with one-step errors eₜ = yₜ − (ℓₜ₋₁ + bₜ₋₁ + sₜ₋ₘ) and
///
///     ℓₜ = ℓₜ₋₁ + bₜ₋₁ + α·eₜ,   bₜ = bₜ₋₁ + β·eₜ,   sₜ = sₜ₋ₘ + γ·eₜ.
///
/// The smoothing parameters are chosen by maximum likelihood under Gaussian errors (minimising
/// the sum of squared one-step errors, Nelder–Mead inside 0 < α < 1, 0 < β < α, 0 < γ < 1 − α);
/// the initial state is the classical one (level and trend from the first two seasons' means,
/// seasonal indices from the first season, centred). A missing value leaves the state to run on
/// without an update (its error is 0). Forecast distributions come from simulated sample paths
/// of the model with errors N(0, σ²), σ² the mean squared one-step error.
///
/// Limitations: one season (the main one); no damping; no Box–Cox; the likelihood is
/// conditional on the classical initial state (statsforecast's AutoETS also estimates it, and
/// chooses among error, trend and season forms).
public struct HoltWinters: Sendable, Equatable {
    public var alpha: Double
    public var beta: Double
    public var gamma: Double
    public var period: Int
    /// The state after the last observation: level, trend, and the last `period` seasonal
    /// indices (oldest first).
    public var level: Double
    public var trend: Double
    public var season: [Double]
    /// The standard deviation of the one-step errors.
    public var sigma: Double

    /// The state after running the recursions over `values` (nil entries unobserved) with these
    /// parameters, from the classical initial state, and the sum of squared one-step errors and
    /// their count.
    static func run(_ values: [Double?], period m: Int, alpha: Double, beta: Double, gamma: Double)
        -> (level: Double, trend: Double, season: [Double], squaredErrors: Double, count: Int)? {
        guard values.count >= 2 * m else { return nil }
        func mean(_ range: Range<Int>) -> Double? {
            let observed = values[range].compactMap { $0 }
            return observed.isEmpty ? nil : observed.reduce(0, +) / Double(observed.count)
        }
        guard let first = mean(0..<m), let second = mean(m..<(2 * m)) else { return nil }
        var trend = (second - first) / Double(m)
        // The level at time −1 (before the first observation): the first season's mean sits at
        // its middle, (m − 1)/2 steps after −1… written so that ℓ₋₁ + b₋₁ forecasts y₀'s level.
        var level = first - trend * Double(m + 1) / 2
        var season = [Double](repeating: 0, count: m)
        for i in 0..<m {
            guard let y = values[i] else { continue }
            let trendLine: Double = first + trend * (Double(i) - Double(m - 1) / 2)
            season[i] = y - trendLine
        }
        let centre: Double = season.reduce(0, +) / Double(m)
        season = season.map { $0 - centre }
        var squared = 0.0, count = 0
        for t in 0..<values.count {
            let s: Double = season[t % m]
            let predicted: Double = level + trend + s
            var e: Double = 0
            if let y = values[t] {
                e = y - predicted
                squared += e * e
                count += 1
            }
            level = level + trend + alpha * e
            trend = trend + beta * e
            season[t % m] = s + gamma * e
        }
        // Oldest first: the index of time n (next) is season[n % m].
        let n = values.count
        let ordered = (0..<m).map { season[(n + $0) % m] }
        return (level, trend, ordered, squared, count)
    }

    /// Fits the smoothing parameters to a series by maximum likelihood.
    ///
    /// - Throws: ``TimeSeriesError/tooShort(series:needed:available:)`` with fewer than two
    ///   seasons, or ``TimeSeriesError/allMissing(series:)`` when a season of the first two has
    ///   no observation.
    public static func fit(_ series: TimeSeries, period m: Int) throws -> HoltWinters {
        precondition(m >= 1, "the season must have at least one step")
        guard series.count >= 2 * m else { throw TimeSeriesError.tooShort(series: series.name, needed: 2 * m, available: series.count) }
        let values: [Double?] = zip(series.values, series.observed).map { $1 ? $0 : nil }
        guard run(values, period: m, alpha: 0.5, beta: 0.1, gamma: 0.1) != nil else { throw TimeSeriesError.allMissing(series: series.name) }
        // Unconstrained coordinates → the admissible region (each a logistic fraction of its bound).
        func parameters(_ u: [Double]) -> (Double, Double, Double) {
            let a = 1 / (1 + Foundation.exp(-u[0]))
            let b = a / (1 + Foundation.exp(-u[1]))
            let g = (1 - a) / (1 + Foundation.exp(-u[2]))
            return (a, b, g)
        }
        func objective(_ u: [Double]) -> Double {
            let (a, b, g) = parameters(u)
            guard let r = run(values, period: m, alpha: a, beta: b, gamma: g), r.count > 0, r.squaredErrors.isFinite else { return .infinity }
            return Double(r.count) * Foundation.log(Swift.max(r.squaredErrors / Double(r.count), 1e-300))
        }
        let best = NelderMead.minimize(objective, from: [0, -2, -2], step: 1, iterations: 400)
        let (a, b, g) = parameters(best)
        let r = run(values, period: m, alpha: a, beta: b, gamma: g)!
        return HoltWinters(alpha: a, beta: b, gamma: g, period: m, level: r.level, trend: r.trend, season: r.season,
                           sigma: (r.squaredErrors / Double(Swift.max(r.count, 1))).squareRoot())
    }

    /// The point forecasts ℓ + h·b + s for h = 1…horizon.
    public func pointForecast(horizon: Int) -> [Double] {
        (0..<horizon).map { h in level + Double(h + 1) * trend + season[h % period] }
    }

    /// `samples` paths of the model over `horizon` steps, errors drawn from sample s's stream
    /// `key.folding(in: s)`.
    public func samplePaths(horizon: Int, samples: Int, key: RandomKey) -> [[Double]] {
        (0..<samples).map { s in
            var stream = RandomStream(key: key.folding(in: s))
            var l = level, b = trend, seasonal = season
            return (0..<horizon).map { h in
                let index = h % period
                let mean = l + b + seasonal[index]
                let e = sigma * stream.normal(Double.self)
                l = l + b + alpha * e
                b = b + beta * e
                seasonal[index] += gamma * e
                return mean + e
            }
        }
    }
}

/// Nelder–Mead simplex minimisation (Nelder & Mead 1965, with the standard coefficients:
/// reflection 1, expansion 2, contraction ½, shrink ½), for small smooth problems.
enum NelderMead {
    static func minimize(_ f: ([Double]) -> Double, from start: [Double], step: Double, iterations: Int) -> [Double] {
        let n = start.count
        var simplex = [start] + (0..<n).map { i in var p = start; p[i] += step; return p }
        var values = simplex.map(f)
        for _ in 0..<iterations {
            let order = values.indices.sorted { values[$0] < values[$1] }
            simplex = order.map { simplex[$0] }
            values = order.map { values[$0] }
            if Swift.abs(values[n] - values[0]) <= 1e-10 * (Swift.abs(values[0]) + 1e-10) { break }
            let centroid = (0..<n).map { j in simplex[0..<n].reduce(0) { $0 + $1[j] } / Double(n) }
            func along(_ t: Double) -> [Double] { (0..<n).map { centroid[$0] + t * (simplex[n][$0] - centroid[$0]) } }
            let reflected = along(-1), fr = f(reflected)
            if fr < values[0] {
                let expanded = along(-2), fe = f(expanded)
                (simplex[n], values[n]) = fe < fr ? (expanded, fe) : (reflected, fr)
            } else if fr < values[n - 1] {
                (simplex[n], values[n]) = (reflected, fr)
            } else {
                let contracted = fr < values[n] ? along(-0.5) : along(0.5)
                let fc = f(contracted)
                if fc < Swift.min(fr, values[n]) {
                    (simplex[n], values[n]) = (contracted, fc)
                } else {
                    for i in 1...n {
                        simplex[i] = (0..<n).map { simplex[0][$0] + 0.5 * (simplex[i][$0] - simplex[0][$0]) }
                        values[i] = f(simplex[i])
                    }
                }
            }
        }
        return simplex[values.indices.min { values[$0] < values[$1] }!]
    }
}
