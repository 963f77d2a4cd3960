import Foundation

/// Probabilistic forecasts of a backtest as one long CSV table, for plotting or scoring
/// elsewhere: one row per method, series, window and forecast step, with the truth, the sample
/// mean and the sample quantiles at ``quantileLevels`` (the GluonTS rule of
/// ``ForecastMetrics/sampleQuantile(_:_:)``, so the 0.1…0.9 columns are exactly what the CRPS
/// scores).
///
/// Columns: `method,series,window,timestamp,step,truth,mean,q0.05,q0.1,…,q0.9,q0.95`; `truth` is
/// empty where the series has a missing value. Timestamps are `YYYY-MM-DD hh:mm` (UTC), so
/// series sampled more often than once a minute repeat them (the `step` column stays exact).
/// Paths containing NaN give a `nan` mean and quantiles in no defined order, as in the CRPS.
public struct ForecastTable: Sendable {
    /// The quantile levels of the table's columns.
    public static let quantileLevels: [Double] = [0.05] + ForecastMetrics.quantileLevels + [0.95]

    public private(set) var backtest: Backtest
    /// Each method's sample paths `[window][sample][step]`, in the order of
    /// ``Backtest/testTargets``.
    public private(set) var methods: [(name: String, samples: [[[Double]]])]

    /// - Throws: ``TimeSeriesError/invalidOption(_:)`` when a method's paths do not match the
    ///   backtest's windows and horizon, or a method has no paths for a window.
    public init(backtest: Backtest, methods: [(name: String, samples: [[[Double]]])]) throws {
        let windowCount = backtest.series.count * backtest.windows
        for method in methods {
            guard method.samples.count == windowCount else {
                throw TimeSeriesError.invalidOption("forecast table: '\(method.name)' has \(method.samples.count) windows, the backtest \(windowCount)")
            }
            for paths in method.samples {
                guard !paths.isEmpty, paths.allSatisfy({ $0.count == backtest.predictionLength }) else {
                    throw TimeSeriesError.invalidOption("forecast table: '\(method.name)' needs at least one path of \(backtest.predictionLength) steps per window")
                }
            }
        }
        self.backtest = backtest
        self.methods = methods
    }

    /// The table as CSV text (header line, then one line per row).
    public func csv() -> String {
        var lines = ["method,series,window,timestamp,step,truth,mean," + Self.quantileLevels.map { "q\(Self.label($0))" }.joined(separator: ",")]
        for method in methods {
            var windowIndex = 0
            for target in backtest.testTargets {
                for (w, start) in target.starts.enumerated() {
                    let paths = method.samples[windowIndex]
                    windowIndex += 1
                    for step in 0..<backtest.predictionLength {
                        let t = start + step
                        let column = paths.map { $0[step] }.sorted()
                        let mean = column.reduce(0, +) / Double(column.count)
                        let truth = target.series.observed[t] ? "\(target.series.values[t])" : ""
                        let quantiles = Self.quantileLevels.map { "\(ForecastMetrics.sampleQuantile(column, $0))" }
                        let fields = [Self.quoted(method.name), Self.quoted(target.series.name), "\(w)", Timestamp.format(target.series.timestamp(at: t)),
                                      "\(step)", truth, "\(mean)"] + quantiles
                        lines.append(fields.joined(separator: ","))
                    }
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `0.05`, `0.1`, … without trailing zeros.
    static func label(_ level: Double) -> String {
        var text = String(format: "%.2f", level)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }

    /// A CSV field, quoted when it contains a comma, quote or line break.
    static func quoted(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
