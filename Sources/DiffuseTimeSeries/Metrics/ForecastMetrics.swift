import Foundation

/// Probabilistic forecast scores following GluonTS's `Evaluator` (gluonts 0.12):
///
/// - `crps`: the mean weighted quantile loss over q = 0.1, …, 0.9, with the quantile forecast the
///   sample `sorted[round((N − 1)q)]` (no interpolation), QL_q = 2Σ|(ŷ_q − y)(1{y ≤ ŷ_q} − q)|, and
///   one global normaliser Σ|y| over all series and windows (the "CRPS" of the TSDiff tables).
///   For a one-sample forecast it equals ND.
/// - `nd`: Σ|y − ŷ_0.5| / Σ|y| (the median forecast).
/// - `nrmse`: √(mean (y − ŷ_mean)²) / mean |y|.
/// - `mase`: the mean over windows of mean|y − ŷ_0.5| / mean|y_t − y_{t−m}| over the window's history.
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
        var absoluteTarget = 0.0, absoluteError = 0.0, squaredError = 0.0
        var count = 0
        var maseSum = 0.0, maseCount = 0
        for (w, paths) in samples.enumerated() {
            let (y, observed) = truths[w]
            let horizon = y.count
            var windowAbsoluteError = 0.0, windowCount = 0
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
                squaredError += (y[t] - mean) * (y[t] - mean)
                windowAbsoluteError += Swift.abs(y[t] - median)
                windowCount += 1
                count += 1
            }
            if w < histories.count, windowCount > 0 {
                let h = histories[w]
                var seasonal = 0.0, n = 0
                for i in seasonality..<Swift.max(h.count, seasonality) where h.observed[i] && h.observed[i - seasonality] {
                    seasonal += Swift.abs(h.values[i] - h.values[i - seasonality])
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
        let nrmse = count > 0 ? (squaredError / Double(count)).squareRoot() / (absoluteTarget / Double(count)) : .nan
        return ForecastMetrics(crps: crps, nd: absoluteError / normaliser, nrmse: nrmse, mase: maseCount > 0 ? maseSum / Double(maseCount) : .nan)
    }
}
