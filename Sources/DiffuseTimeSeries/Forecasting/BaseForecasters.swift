import DiffuseTensor
import Foundation

/// Simple forecasters: baselines reported next to TSDiff, and base forecasts for refinement.
/// Each returns sample paths `[samples][horizon]` for the window after `history`.
public enum BaseForecaster: Codable, Hashable, Sendable {
    /// ŷ_{T+h} = y_{T+h−m·⌈h/m⌉}: the last season repeated (a point forecast; every sample equal).
    case seasonalNaive
    /// The seasonal-naive forecast plus seasonal errors e_t = y_t − y_{t−m} drawn from the last
    /// `seasons` seasons of history, independently per step and sample.
    case bootstrappedSeasonalNaive(seasons: Int)
    /// Ridge regression of the (mean-scaled) horizon on the (mean-scaled) context, fitted on
    /// windows of the history (a linear point forecaster).
    case linear(contextLength: Int, ridge: Double)
    /// The seasonal-naive forecast with this period instead of the frequency's seasonality (a
    /// week of hourly data: 168).
    case periodicNaive(period: Int)
    /// ``bootstrappedSeasonalNaive(seasons:)`` with this period instead of the frequency's
    /// seasonality (a week of hourly data, errors from the last `seasons` weeks).
    case bootstrappedPeriodicNaive(period: Int, seasons: Int)
    /// Additive Holt–Winters (``HoltWinters``, ETS(A,A,A)) with the frequency's seasonality,
    /// fitted to the last `seasons` seasons of history; samples are simulated paths.
    case holtWinters(seasons: Int)

    /// Throws ``TimeSeriesError/invalidOption(_:)`` for a seasonality or period below 1, a
    /// negative horizon or sample count, or fewer than one season of errors or fitting history,
    /// and ``TimeSeriesError/tooShort(series:needed:available:)`` for a history shorter than a
    /// season.
    public func forecast(history: TimeSeries, horizon: Int, seasonality m: Int, samples: Int, key: RandomKey) throws -> [[Double]] {
        let n = history.count
        guard m >= 1 else { throw TimeSeriesError.invalidOption("seasonality or period must be at least 1 (got \(m))") }
        guard horizon >= 0, samples >= 0 else { throw TimeSeriesError.invalidOption("horizon and samples must be non-negative (got \(horizon), \(samples))") }
        switch self {
        case .bootstrappedSeasonalNaive(let seasons), .bootstrappedPeriodicNaive(_, let seasons), .holtWinters(let seasons):
            guard seasons >= 1 else { throw TimeSeriesError.invalidOption("seasons must be at least 1 (got \(seasons))") }
        case .seasonalNaive, .linear, .periodicNaive:
            break
        }
        guard n >= m else { throw TimeSeriesError.tooShort(series: history.name, needed: m, available: n) }
        func lastObserved(_ i: Int) -> Double {
            var j = i
            while j >= 0 && !history.observed[j] { j -= m }
            return j >= 0 ? history.values[j] : 0
        }
        let naive = (0..<horizon).map { h in lastObserved(n + h - m * ((h / m) + 1)) }
        switch self {
        case .seasonalNaive:
            return [[Double]](repeating: naive, count: samples)
        case .bootstrappedSeasonalNaive(let seasons):
            var errors: [Double] = []
            for i in Swift.max(m, n - Swift.min(seasons, n) * m)..<n where history.observed[i] && history.observed[i - m] {
                errors.append(history.values[i] - history.values[i - m])
            }
            guard !errors.isEmpty else { return [[Double]](repeating: naive, count: samples) }
            return (0..<samples).map { s in
                var stream = RandomStream(key: key.folding(in: s))
                return naive.map { $0 + errors[stream.integer(below: errors.count)] }
            }
        case .periodicNaive(let period):
            return try BaseForecaster.seasonalNaive.forecast(history: history, horizon: horizon, seasonality: period, samples: samples, key: key)
        case let .bootstrappedPeriodicNaive(period, seasons):
            return try BaseForecaster.bootstrappedSeasonalNaive(seasons: seasons).forecast(history: history, horizon: horizon, seasonality: period,
                                                                                           samples: samples, key: key)
        case .holtWinters(let seasons):
            let recent = history.slice(Swift.max(0, n - Swift.min(seasons, n) * m)..<n)
            let model = try HoltWinters.fit(recent, period: m)
            return model.samplePaths(horizon: horizon, samples: samples, key: key)
        case let .linear(context, ridge):
            let model = try RidgeForecaster.fit(series: [history], contextLength: context, horizon: horizon, ridge: ridge)
            return [[Double]](repeating: try model.predict(history: history), count: samples)
        }
    }
}

/// A linear forecaster: ŷ = W·x over the mean-scaled context x (scale = context mean |x|),
/// fitted by ridge regression (the "linear predictive score" model of TSDiff, sklearn's
/// `Ridge()` with α = 1 and an intercept).
public struct RidgeForecaster: Sendable {
    public var contextLength: Int
    public var horizon: Int
    /// Weights `[context + 1, horizon]` (last row: intercept).
    public var weights: Tensor<Double>

    /// Fits on every window of the series (stride 1) or on explicit scaled windows.
    public static func fit(series: [TimeSeries], contextLength: Int, horizon: Int, ridge: Double, stride: Int = 1) throws -> RidgeForecaster {
        var xs: [[Double]] = [], ys: [[Double]] = []
        for s in series where s.count >= contextLength + horizon {
            for end in Swift.stride(from: contextLength, through: s.count - horizon, by: stride) {
                let ctx = (end - contextLength)..<end
                let scale = WindowLayout.meanScale(s, context: ctx)
                xs.append(ctx.map { s.values[$0] / scale })
                ys.append((end..<(end + horizon)).map { s.values[$0] / scale })
            }
        }
        guard !xs.isEmpty else {
            throw TimeSeriesError.tooShort(series: series.first?.name ?? "?", needed: contextLength + horizon, available: series.map(\.count).max() ?? 0)
        }
        return try fit(inputs: xs, targets: ys, ridge: ridge)
    }

    /// Fits on scaled windows: inputs `[n][context]`, targets `[n][horizon]`.
    public static func fit(inputs xs: [[Double]], targets ys: [[Double]], ridge: Double) throws -> RidgeForecaster {
        let n = xs.count, p = xs[0].count, h = ys[0].count
        // Centre to fit the intercept without penalising it (sklearn's Ridge).
        let xMean = (0..<p).map { j in xs.reduce(0) { $0 + $1[j] } / Double(n) }
        let yMean = (0..<h).map { j in ys.reduce(0) { $0 + $1[j] } / Double(n) }
        let x = Tensor<Double>(shape: [n, p], scalars: xs.flatMap { row in row.enumerated().map { $1 - xMean[$0] } })
        let y = Tensor<Double>(shape: [n, h], scalars: ys.flatMap { row in row.enumerated().map { $1 - yMean[$0] } })
        let gram = matmul(x.transposed(), x) + Tensor<Double>.identity(p) * ridge
        let w = try gram.solve(matmul(x.transposed(), y))                              // [p, h]
        let intercept = Tensor(yMean) - matmul(Tensor(xMean).reshaped([1, p]), w).reshaped([h])
        return RidgeForecaster(contextLength: p, horizon: h, weights: Tensor.concatenate([w, intercept.reshaped([1, h])], alongAxis: 0))
    }

    /// The forecast after the end of `history`.
    public func predict(history: TimeSeries) throws -> [Double] {
        guard history.count >= contextLength else { throw TimeSeriesError.tooShort(series: history.name, needed: contextLength, available: history.count) }
        let ctx = (history.count - contextLength)..<history.count
        let scale = WindowLayout.meanScale(history, context: ctx)
        return predict(scaledContext: ctx.map { history.values[$0] / scale }).map { $0 * scale }
    }

    /// The forecast for one scaled context.
    public func predict(scaledContext x: [Double]) -> [Double] {
        let input = Tensor<Double>(shape: [1, contextLength + 1], scalars: x + [1])
        return matmul(input, weights).scalars
    }
}
