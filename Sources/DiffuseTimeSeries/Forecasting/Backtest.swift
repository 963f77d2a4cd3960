import DiffuseTensor
import Foundation

/// The rolling-window evaluation protocol of GluonTS (and of the TSDiff paper): the last
/// `windows × predictionLength` steps of every series are the test period, cut into `windows`
/// consecutive windows, each forecast from all history before it. Training uses only the steps
/// before the test period; validation uses the same protocol on the end of the training part.
public struct Backtest: Sendable {
    public var series: [TimeSeries]
    public var predictionLength: Int
    public var windows: Int
    public var seasonality: Int

    /// - Throws: ``TimeSeriesError`` when a series cannot hold `windows` windows after `history`
    ///   steps (and one season for the seasonal baselines), is constant or has no observations
    ///   before or in its test period.
    public init(series: [TimeSeries], predictionLength: Int, windows: Int, history: Int, seasonality: Int) throws {
        guard !series.isEmpty else { throw TimeSeriesError.invalidOption("no series to evaluate") }
        guard predictionLength > 0 else { throw TimeSeriesError.invalidOption("--horizon must be positive (got \(predictionLength))") }
        guard windows > 0 else { throw TimeSeriesError.invalidOption("--windows must be positive (got \(windows))") }
        let (testLength, overflow) = windows.multipliedReportingOverflow(by: predictionLength)
        guard !overflow, testLength < Int.max / 4 else {
            throw TimeSeriesError.invalidOption("\(windows) windows of \(predictionLength) steps is more than any series holds")
        }
        for s in series { try Self.check(s, testLength: testLength, history: history, seasonality: seasonality) }
        self.series = series
        self.predictionLength = predictionLength
        self.windows = windows
        self.seasonality = seasonality
    }

    /// Throws when `s` cannot hold a test period of `testLength` steps after `history` steps and
    /// a season, is constant or has no observations before or in its test period.
    static func check(_ s: TimeSeries, testLength: Int, history: Int, seasonality: Int) throws {
        let needed = Swift.max(history, seasonality) + testLength
        guard s.count >= needed else { throw TimeSeriesError.tooShort(series: s.name, needed: needed, available: s.count) }
        let testStart = s.count - testLength
        let observedValues = (0..<testStart).filter { s.observed[$0] }.map { s.values[$0] }
        guard let first = observedValues.first else { throw TimeSeriesError.allMissing(series: s.name) }
        guard observedValues.contains(where: { $0 != first }) else { throw TimeSeriesError.constant(series: s.name) }
        guard (testStart..<s.count).contains(where: { s.observed[$0] }) else {
            throw TimeSeriesError.invalidOption("series '\(s.name)' has no observed values in its test period (the last \(testLength) steps): nothing to score")
        }
    }

    /// Forecast starts of the test windows of series `i`.
    public func testStarts(_ i: Int) -> [Int] {
        let n = series[i].count
        return (0..<windows).map { n - (windows - $0) * predictionLength }
    }

    /// The first test index of each series (training must stop before it).
    public var trainingEnd: [Int] { series.map { $0.count - windows * predictionLength } }

    /// The test targets: each series with its test forecast starts.
    public var testTargets: [(series: TimeSeries, starts: [Int])] {
        series.indices.map { (series[$0], testStarts($0)) }
    }

    /// Validation targets: the last `count` windows before the test period of each series whose
    /// training part is long enough to hold them after `history` steps.
    public func validationTargets(count: Int, history: Int) -> [(series: TimeSeries, starts: [Int])] {
        series.indices.compactMap { i in
            let end = trainingEnd[i]
            let starts = (0..<count).map { end - (count - $0) * predictionLength }
            guard let first = starts.first, first >= history else { return nil }
            return (series[i].slice(0..<end), starts)
        }
    }

    /// The same protocol one period earlier: the last `windows` windows before this test period,
    /// each forecast from the history before it, on the series whose training part holds them
    /// after `history` steps (and a season), has observations in them and is not constant
    /// before them; a series that cannot is left out, the others kept. Nil when no series can.
    /// What is chosen on it (a method, a guidance scale) never sees the test period.
    public func validation(windows count: Int, history: Int) -> Backtest? {
        guard count > 0, count <= Int.max / 4 / predictionLength else { return nil }
        let parts = series.indices.compactMap { i -> TimeSeries? in
            let part = series[i].slice(0..<trainingEnd[i])
            guard (try? Self.check(part, testLength: count * predictionLength, history: history, seasonality: seasonality)) != nil else { return nil }
            return part
        }
        return parts.isEmpty ? nil : try? Backtest(series: parts, predictionLength: predictionLength, windows: count, history: history, seasonality: seasonality)
    }

    /// Per series, where training stops so that the `count` validation windows of
    /// ``validationTargets(count:history:)`` stay out of it: at the first validation window for
    /// a series that has them and keeps a training window before them (`history` steps and a
    /// horizon), else at the test period. A model trained so is scored on validation windows it
    /// has not seen, like the baselines, which see only the history before each window.
    public func trainingEnd(holdingOutValidation count: Int, history: Int) -> [Int] {
        trainingEnd.map { end in
            let start = end - count * predictionLength
            return start >= history + predictionLength ? start : end
        }
    }

    /// Sample paths `[window][sample][step]` of a base forecaster on the test windows, in the
    /// order of ``testTargets``.
    public func forecast(_ forecaster: BaseForecaster, samples: Int, key: RandomKey) throws -> [[[Double]]] {
        var result: [[[Double]]] = []
        for (i, target) in testTargets.enumerated() {
            for (w, start) in target.starts.enumerated() {
                result.append(try forecaster.forecast(history: target.series.slice(0..<start), horizon: predictionLength, seasonality: seasonality,
                                                      samples: samples, key: key.folding(in: i).folding(in: w)))
            }
        }
        return result
    }

    /// The true values of the test windows and whether each is observed, in the order of
    /// ``testTargets``.
    public var testTruths: [([Double], [Bool])] {
        testTargets.flatMap { target in
            target.starts.map { start in
                let range = start..<(start + predictionLength)
                return (range.map { target.series.values[$0] }, range.map { target.series.observed[$0] })
            }
        }
    }

    /// Scores paths `[window][sample][step]` given in the order of ``testTargets``.
    public func score(_ samples: [[[Double]]]) -> ForecastMetrics {
        let histories = testTargets.flatMap { target in target.starts.map { target.series.slice(0..<$0) } }
        return ForecastMetrics.score(samples: samples, truths: testTruths, histories: histories, seasonality: seasonality)
    }
}
