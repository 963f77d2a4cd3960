import DiffuseCore
import DiffuseNN
import DiffuseTensor
import Foundation

extension TSDiff {
    /// Samples of the model's prior (no guidance): `count` windows of context + horizon (channel 0, in the model's
    /// mean-scaled units), drawn with `sampler` (DDPM over all or a subset of the T steps, or DDIM
    /// on `steps` trailing-spaced steps). Row i depends only on the seed and i (not on `chunkSize`).
    /// A conditional model draws row i under the conditioning of `conditions[i % conditions.count]`
    /// (windows whose calendar and covariates the synthetic data should have); an unconditional
    /// one ignores them.
    ///
    /// Throws when the sampler does not fit the model (``ForecastSampler/validate(diffusionSteps:)``)
    /// or a conditional model is given no conditions.
    public func synthesize(count: Int, sampler: ForecastSampler = .ddpm, conditions: [WindowLayout.Window] = [], seed: UInt64 = 0,
                           chunkSize: Int = 256) throws -> [[Double]] {
        try sampler.validate(diffusionSteps: configuration.diffusionSteps)
        guard count >= 0, chunkSize >= 1 else {
            throw TimeSeriesError.invalidOption("synthesis needs count ≥ 0 and chunk size ≥ 1 (got \(count), \(chunkSize))")
        }
        guard !isConditional || !conditions.isEmpty else {
            throw TimeSeriesError.invalidOption("a conditional model synthesises under given conditions: pass windows whose conditioning to use")
        }
        guard configuration.jointSeries == 1 else {
            throw TimeSeriesError.invalidOption("synthesis draws windows of one series; this is a joint model of \(configuration.jointSeries) series")
        }
        let layout = configuration.layout
        let l = layout.length, c = layout.channels
        let models = noiseModels()
        let key = RandomKey(seed: seed)
        var result: [[Double]] = []
        result.reserveCapacity(count)
        for start in stride(from: 0, to: count, by: chunkSize) {
            let end = Swift.min(start + chunkSize, count)
            let noise = Tensor<Float>.randomNormal(shape: [end - start, l, c], key: key.folding(in: 0), sampleOffset: start)
            let model = models(isConditional ? conditioning(of: (start..<end).map { conditions[$0 % conditions.count] }) : nil)
            let samples: Tensor<Float>
            let grid = sampler.grid(schedule, diffusionSteps: configuration.diffusionSteps)
            samples = sampler.isAncestral
                ? sample(model, from: noise, grid: grid, using: DDPMSampler(), key: key.folding(in: 1), sampleOffset: start).samples
                : sample(model, from: noise, grid: grid, using: DDIMSampler(), key: key.folding(in: 1), sampleOffset: start).samples
            let values = samples.scalars
            for i in 0..<(end - start) { result.append((0..<l).map { Double(values[(i * l + $0) * c]) }) }
        }
        return result
    }
}

/// The linear predictive score of TSDiff (§3.3; reference `metrics/linear_pred_score.py`): a ridge
/// regression (α = 1, with intercept, no further scaling) from context to horizon is fitted on
/// (synthetic or real) scaled windows, and scored on the last window of each test series, whose
/// context sets the mean scale (floor 10⁻⁷). The forecast is a point forecast, so its CRPS is ND.
public enum LinearPredictiveScore {
    /// - Parameters:
    ///   - windows: training windows of `contextLength + horizon` values (already scaled).
    ///   - contextLength: the number of context values the regression predicts from.
    ///   - horizon: the number of values it predicts.
    ///   - testSeries: series whose last `contextLength + horizon` steps are scored.
    ///   - seasonality: the seasonal period of the naive forecast that scales MASE.
    ///   - ridge: the ridge penalty α (default: 1).
    public static func evaluate(trainingWindows windows: [[Double]], contextLength: Int, horizon: Int, testSeries: [TimeSeries],
                                seasonality: Int, ridge: Double = 1) throws -> ForecastMetrics {
        guard !windows.isEmpty else { throw TimeSeriesError.invalidOption("no training windows for the linear predictive score") }
        guard windows.allSatisfy({ $0.count == contextLength + horizon }) else {
            throw TimeSeriesError.invalidOption("training windows must have \(contextLength + horizon) values")
        }
        let model = try RidgeForecaster.fit(inputs: windows.map { Array($0[0..<contextLength]) }, targets: windows.map { Array($0[contextLength...]) }, ridge: ridge)
        var paths: [[[Double]]] = [], truths: [([Double], [Bool])] = [], histories: [TimeSeries] = []
        for s in testSeries {
            guard s.count >= contextLength + horizon else { throw TimeSeriesError.tooShort(series: s.name, needed: contextLength + horizon, available: s.count) }
            let start = s.count - horizon
            let context = (start - contextLength)..<start
            let observed = context.filter { s.observed[$0] }
            let scale = Swift.max(observed.reduce(0) { $0 + Swift.abs(s.values[$1]) } / Double(Swift.max(observed.count, 1)), 1e-7)
            let x = context.map { s.observed[$0] ? s.values[$0] / scale : 0 }
            paths.append([model.predict(scaledContext: x).map { $0 * scale }])
            truths.append((Array(s.values[start...]), Array(s.observed[start...])))
            histories.append(s.slice(0..<start))
        }
        return ForecastMetrics.score(samples: paths, truths: truths, histories: histories, seasonality: seasonality)
    }

    /// Real training windows (channel 0 of TSDiff windows, scaled) for the "real data" reference row.
    public static func realWindows(_ series: [TimeSeries], trainingEnd: [Int], contextLength: Int, horizon: Int, count: Int, key: RandomKey) -> [[Double]] {
        var stream = RandomStream(key: key)
        let spans = zip(series, trainingEnd).map { Swift.max(0, $1 - contextLength - horizon + 1) }
        guard spans.contains(where: { $0 > 0 }) else { return [] }
        return (0..<count).map { _ in
            let s = stream.categorical(weights: spans.map(Double.init))
            let start = stream.integer(below: spans[s])
            let scale = WindowLayout.meanScale(series[s], context: start..<(start + contextLength))
            return (start..<(start + contextLength + horizon)).map { series[s].observed[$0] ? series[s].values[$0] / scale : 0 }
        }
    }
}
