import DiffuseTensor
import Foundation

/// How TSDiff cuts a series into model inputs: a window of `contextLength + predictionLength`
/// steps whose channel 0 is the series and whose channel 1 + j is the series lagged by
/// `lags[j]` steps (Kollovieh et al. 2023, `_extract_features`), all divided by the context's
/// mean absolute value (GluonTS `MeanScaler`); with a ``conditioning``, the window also carries
/// `[L, F]` conditioning channels that the model reads but does not generate.
public struct WindowLayout: Codable, Hashable, Sendable {
    public var contextLength: Int
    public var predictionLength: Int
    public var lags: [Int]
    /// What a conditional model reads beside the series (``SeriesConditioning/unconditional``: TSDiff's
    /// unconditional model).
    public var conditioning: SeriesConditioning

    public init(contextLength: Int, predictionLength: Int, lags: [Int], conditioning: SeriesConditioning = .unconditional) {
        precondition(contextLength > 0 && predictionLength > 0, "context and prediction lengths must be positive")
        precondition(lags.allSatisfy { $0 > 0 }, "lags must be positive")
        self.contextLength = contextLength
        self.predictionLength = predictionLength
        self.lags = lags
        self.conditioning = conditioning
    }

    enum CodingKeys: String, CodingKey { case contextLength, predictionLength, lags, conditioning }

    /// Reads a layout; one saved before conditioning existed has none.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        contextLength = try container.decode(Int.self, forKey: .contextLength)
        predictionLength = try container.decode(Int.self, forKey: .predictionLength)
        lags = try container.decode([Int].self, forKey: .lags)
        conditioning = try container.decodeIfPresent(SeriesConditioning.self, forKey: .conditioning) ?? .unconditional
    }

    /// Window length L.
    public var length: Int { contextLength + predictionLength }
    /// Channels C = 1 + lags.
    public var channels: Int { 1 + lags.count }
    /// The largest lag.
    public var maximumLag: Int { lags.max() ?? 0 }
    /// Steps of history needed before the forecast start: context plus the largest lag.
    public var history: Int { contextLength + maximumLag }

    /// One window: inputs `[L, C]` (scaled), their observed mask, conditioning `[L, F]` (empty
    /// without conditioning), the scale and the true future.
    public struct Window: Sendable {
        public var input: [Float]
        public var observed: [Float]
        public var conditioning: [Float]
        public var scale: Double
        /// The unscaled future values and whether each is observed (for evaluation).
        public var future: [Double]
        public var futureObserved: [Bool]
        /// The unscaled context, for plots and baselines.
        public var context: [Double]
    }

    /// The mean absolute observed value of `values[range]`, the TSDiff/GluonTS scale; when the
    /// context has no observed non-zero value, the mean absolute value of all earlier
    /// observations is used, then 1.
    public static func meanScale(_ series: TimeSeries, context range: Range<Int>) -> Double {
        var sum = 0.0, n = 0
        for i in range where i >= 0 && i < series.count && series.observed[i] { sum += Swift.abs(series.values[i]); n += 1 }
        if n > 0 && sum > 0 { return Swift.max(sum / Double(n), 1e-10) }
        var total = 0.0, m = 0
        for i in 0..<Swift.min(range.upperBound, series.count) where series.observed[i] { total += Swift.abs(series.values[i]); m += 1 }
        return m > 0 && total > 0 ? total / Double(m) : 1
    }

    /// The window whose forecast starts at index `start` of the series. With `revealFuture`
    /// (training), the future is part of the input and observed; otherwise it is zero and masked.
    /// The conditioning does not depend on `revealFuture` (a covariate not known in the future is
    /// hidden over the horizon in training too). The series must have the conditioning's
    /// covariates (``SeriesConditioning/check(_:)``).
    public func window(_ series: TimeSeries, forecastStart start: Int, revealFuture: Bool) -> Window {
        let l = length, c = channels
        let contextStart = start - contextLength
        let scale = Self.meanScale(series, context: contextStart..<start)
        var input = [Float](repeating: 0, count: l * c), observed = [Float](repeating: 0, count: l * c)
        let visibleEnd = revealFuture ? Swift.min(start + predictionLength, series.count) : start
        func value(_ i: Int) -> (Float, Float) {
            guard i >= 0 && i < visibleEnd && i < series.count && series.observed[i] else { return (0, 0) }
            return (Float(series.values[i] / scale), 1)
        }
        for t in 0..<l {
            let (v, o) = value(contextStart + t)
            input[t * c] = v
            observed[t * c] = o
            for (j, lag) in lags.enumerated() {
                let (lv, lo) = value(contextStart + t - lag)
                input[t * c + 1 + j] = lv
                observed[t * c + 1 + j] = lo
            }
        }
        let futureRange = start..<(start + predictionLength)
        let future = futureRange.map { $0 < series.count ? series.values[$0] : 0 }
        let futureObserved = futureRange.map { $0 < series.count && series.observed[$0] }
        let context = (contextStart..<start).map { $0 >= 0 && $0 < series.count ? series.values[$0] : 0 }
        let rows = conditioning.rows(series, from: contextStart, count: l, forecastStart: start)
        return Window(input: input, observed: observed, conditioning: rows, scale: scale, future: future, futureObserved: futureObserved, context: context)
    }

    /// The forecast windows (future masked) of `targets`, target by target and start by start —
    /// for ``Backtest/testTargets`` the order ``Backtest/score(_:)`` expects. Each series is
    /// checked first (``validate(_:forecastStarts:)``). With a `missing` scenario every window
    /// hides its own part of the context, as in TSDiff's missing-value experiments: random
    /// scenarios draw the hidden steps of window w of target i from `key.folding(in: i).folding(in: w)`.
    /// The future values kept for scoring stay complete.
    ///
    /// - Throws: ``TimeSeriesError`` when a series cannot provide its windows, or the scenario's
    ///   fraction is outside [0, 1].
    public func windows(for targets: [(series: TimeSeries, starts: [Int])], missing scenario: MissingValueScenario? = nil,
                        key: RandomKey = RandomKey(seed: 0)) throws -> [Window] {
        var windows: [Window] = []
        for (i, target) in targets.enumerated() {
            try validate(target.series, forecastStarts: target.starts)
            for (w, start) in target.starts.enumerated() {
                let series = try scenario?.apply(to: target.series, forecastStart: start, contextLength: contextLength,
                                                 key: key.folding(in: i).folding(in: w)) ?? target.series
                windows.append(window(series, forecastStart: start, revealFuture: false))
            }
        }
        return windows
    }

    /// The inputs and observed masks of windows of several series stacked along the channels, as
    /// a joint model reads them: `[L, K·C]` with series k's C channels at k·C…(k + 1)·C − 1 of
    /// every step.
    public static func stacked(_ windows: [Window], channels c: Int) -> (input: [Float], observed: [Float]) {
        guard windows.count > 1 else { return (windows.first?.input ?? [], windows.first?.observed ?? []) }
        let l = windows[0].input.count / Swift.max(c, 1), k = windows.count
        var input = [Float](repeating: 0, count: l * k * c), observed = input
        for (m, window) in windows.enumerated() {
            precondition(window.input.count == l * c, "stacked windows must have the same length and channels")
            for t in 0..<l {
                for j in 0..<c {
                    input[(t * k + m) * c + j] = window.input[t * c + j]
                    observed[(t * k + m) * c + j] = window.observed[t * c + j]
                }
            }
        }
        return (input, observed)
    }

    /// Checks that a series can provide windows starting at `starts`, has the covariates of the
    /// conditioning, and is worth forecasting.
    public func validate(_ series: TimeSeries, forecastStarts starts: [Int]) throws {
        try conditioning.check(series)
        guard let first = starts.min() else { return }
        if first < history {
            throw TimeSeriesError.tooShort(series: series.name, needed: history + series.count - first, available: series.count)
        }
        let range = (first - contextLength)..<first
        if !range.contains(where: { series.observed[$0] }) { throw TimeSeriesError.allMissing(series: series.name) }
        let observedValues = (0..<first).filter { series.observed[$0] }.map { series.values[$0] }
        if let v = observedValues.first, observedValues.allSatisfy({ $0 == v }) { throw TimeSeriesError.constant(series: series.name) }
    }
}
