import Foundation

/// Probabilistic forecast scores following GluonTS's `Evaluator` (gluonts 0.12):
///
/// - `crps`: the mean weighted quantile loss over q = 0.1, …, 0.9, with the quantile forecast the
///   sample `sorted[round((N − 1)q)]` (no interpolation), QL_q = 2Σ|(ŷ_q − y)(1{y ≤ ŷ_q} − q)|, and
///   one global normaliser Σ|y| over all series and windows (the "CRPS" of the TSDiff tables).
///   For a one-sample forecast it equals ND.
/// - `nd`: Σ|y − ŷ_0.5| / Σ|y| (the median forecast).
/// - `nrmse`: √(MSE) / mean |y| with both averaged per window first and then over windows, as
///   GluonTS aggregates items (the same as pooling when no target is missing).
/// - `mase`: the mean over windows of mean|y − ŷ_0.5| / mean|y_t − y_{t−m}| over the window's
///   history, with m = 1 when the history is not longer than the season (GluonTS's fallback).
/// Unobserved targets are left out of every sum.
public struct ForecastMetrics: Codable, Equatable, Sendable {
    public var crps: Double
    public var nd: Double
    public var nrmse: Double
    public var mase: Double

    public static let quantileLevels: [Double] = (1...9).map { Double($0) / 10 }

    /// The GluonTS sample quantile: `sorted[round((N − 1)q)]` (round half to even, as NumPy).
    public static func sampleQuantile(_ sorted: [Double], _ q: Double) -> Double {
        sorted[Int((Double(sorted.count - 1) * q).rounded(.toNearestOrEven))]
    }

    /// Scores sample paths `[window][sample][step]` against truths (values, observed flags), with
    /// each window's history for MASE.
    public static func score(samples: [[[Double]]], truths: [([Double], [Bool])], histories: [TimeSeries], seasonality: Int) -> ForecastMetrics {
        precondition(samples.count == truths.count, "one truth per forecast window")
        var quantileLoss = [Double](repeating: 0, count: quantileLevels.count)
        var absoluteTarget = 0.0, absoluteError = 0.0
        var squaredErrorMeans = 0.0, absoluteTargetMeans = 0.0, scoredWindows = 0
        var maseSum = 0.0, maseCount = 0
        for (w, paths) in samples.enumerated() {
            let (y, observed) = truths[w]
            let horizon = y.count
            var windowAbsoluteError = 0.0, windowSquaredError = 0.0, windowAbsoluteTarget = 0.0, windowCount = 0
            for t in 0..<horizon where observed[t] {
                let values = paths.map { $0[t] }.sorted()
                let mean = values.reduce(0, +) / Double(values.count)
                let median = sampleQuantile(values, 0.5)
                for (k, q) in quantileLevels.enumerated() {
                    let forecast = sampleQuantile(values, q)
                    quantileLoss[k] += 2 * Swift.abs((forecast - y[t]) * ((y[t] <= forecast ? 1 : 0) - q))
                }
                absoluteTarget += Swift.abs(y[t])
                absoluteError += Swift.abs(y[t] - median)
                windowSquaredError += (y[t] - mean) * (y[t] - mean)
                windowAbsoluteTarget += Swift.abs(y[t])
                windowAbsoluteError += Swift.abs(y[t] - median)
                windowCount += 1
            }
            if windowCount > 0 {
                squaredErrorMeans += windowSquaredError / Double(windowCount)
                absoluteTargetMeans += windowAbsoluteTarget / Double(windowCount)
                scoredWindows += 1
            }
            if w < histories.count, windowCount > 0 {
                let h = histories[w]
                let m = seasonality < h.count ? seasonality : 1
                var seasonal = 0.0, n = 0
                for i in m..<Swift.max(h.count, m) where h.observed[i] && h.observed[i - m] {
                    seasonal += Swift.abs(h.values[i] - h.values[i - m])
                    n += 1
                }
                if n > 0 && seasonal > 0 {
                    maseSum += (windowAbsoluteError / Double(windowCount)) / (seasonal / Double(n))
                    maseCount += 1
                }
            }
        }
        // Nothing observed to score (or only zeros): undefined, as in GluonTS, never a perfect 0.
        let normaliser = absoluteTarget > 0 ? absoluteTarget : .nan
        let crps = quantileLoss.map { $0 / normaliser }.reduce(0, +) / Double(quantileLevels.count)
        let nrmse = scoredWindows > 0 ? (squaredErrorMeans / Double(scoredWindows)).squareRoot() / (absoluteTargetMeans / Double(scoredWindows)) : .nan
        return ForecastMetrics(crps: crps, nd: absoluteError / normaliser, nrmse: nrmse, mase: maseCount > 0 ? maseSum / Double(maseCount) : .nan)
    }
}
