import DiffuseTensor
@testable import DiffuseTimeSeries
import XCTest
import _DiffuseTestSupport

final class MetricsTests: XCTestCase {
    /// One window, y = (10, 20), three sample paths. Worked by hand: the sample quantile index is
    /// round(2q) = 0, 0, 1, 1, 1, 1, 1, 2, 2 for q = 0.1…0.9, giving quantile losses per level
    /// 0.8, 1.6, 2.8, 2.4, 2.0, 1.6, 1.2, 2.8, 1.4 (sum 16.6), so mean wQL = 16.6 / 30 / 9;
    /// median (10, 22) → ND = 2/30; mean (10, 65/3) → NRMSE = √((5/3)²/2)/15; MASE with history
    /// 1, 2, 4, 7 (m = 1, mean seasonal error 2) is (2/2)/2.
    func testHandComputedScores() {
        let paths: [[[Double]]] = [[[8, 25], [12, 18], [10, 22]]]
        let history = TimeSeries(name: "h", frequency: .hourly, values: [1, 2, 4, 7])
        let m = ForecastMetrics.score(samples: paths, truths: [([10, 20], [true, true])], histories: [history], seasonality: 1)
        assertClose(m.crps, 16.6 / 30 / 9, relative: 1e-12)
        assertClose(m.nd, 2.0 / 30, relative: 1e-12)
        assertClose(m.nrmse, ((5.0 / 3) * (5.0 / 3) / 2).squareRoot() / 15, relative: 1e-12)
        assertClose(m.mase, 0.5, relative: 1e-12)
    }

    /// NRMSE averages MSE and mean |y| per window first, as GluonTS aggregates items (window 1:
    /// MSE 8, mean |y| 15; window 2, one target missing: MSE 4, mean |y| 4 → √6 / 9.5); a history
    /// not longer than the season falls back to m = 1 for MASE (seasonal error 2, both windows 1).
    func testPerWindowAggregationAndSeasonalFallback() {
        let history = TimeSeries(name: "h", frequency: .hourly, values: [1, 3])
        let m = ForecastMetrics.score(samples: [[[10, 24]], [[6, 0]]], truths: [([10, 20], [true, true]), ([4, 99], [true, false])],
                                      histories: [history, history], seasonality: 24)
        assertClose(m.nrmse, 6.0.squareRoot() / 9.5, relative: 1e-12)
        assertClose(m.mase, 1, relative: 1e-12)
    }

    /// For a one-sample forecast the mean weighted quantile loss equals ND (the mean of 2q and of
    /// 2(1 − q) over q = 0.1…0.9 is 1).
    func testPointForecastCRPSEqualsND() {
        var stream = RandomStream(seed: 3)
        let windows = 6, horizon = 5
        let paths = (0..<windows).map { _ in [(0..<horizon).map { _ in stream.normal(Double.self) * 3 + 10 }] }
        let truths = (0..<windows).map { _ in ((0..<horizon).map { _ in stream.normal(Double.self) * 3 + 10 }, [Bool](repeating: true, count: horizon)) }
        let m = ForecastMetrics.score(samples: paths, truths: truths, histories: [], seasonality: 1)
        assertClose(m.crps, m.nd, relative: 1e-12)
    }

    /// Unobserved targets are left out of every sum.
    func testUnobservedTargetsAreIgnored() {
        let full = ForecastMetrics.score(samples: [[[1, 2]]], truths: [([1.5, 2], [true, true])], histories: [], seasonality: 1)
        let masked = ForecastMetrics.score(samples: [[[1, 2, 99]]], truths: [([1.5, 2, -5], [true, true, false])], histories: [], seasonality: 1)
        XCTAssertEqual(full.crps, masked.crps)
        XCTAssertEqual(full.nd, masked.nd)
        XCTAssertEqual(full.nrmse, masked.nrmse)
        XCTAssertTrue(full.mase.isNaN && masked.mase.isNaN, "no history, no MASE")
        // Nothing observed: undefined scores, not a perfect 0.
        let nothing = ForecastMetrics.score(samples: [[[1, 2]]], truths: [([1.5, 2], [false, false])], histories: [], seasonality: 1)
        XCTAssertTrue(nothing.crps.isNaN && nothing.nd.isNaN && nothing.nrmse.isNaN)
    }

    /// The GluonTS sample quantile rounds half to even.
    func testSampleQuantileRule() {
        let sorted = (0..<100).map(Double.init)
        XCTAssertEqual(ForecastMetrics.sampleQuantile(sorted, 0.5), 50)        // round(49.5) = 50 (even)
        XCTAssertEqual(ForecastMetrics.sampleQuantile(sorted, 0.1), 10)        // round(9.9)
        XCTAssertEqual(ForecastMetrics.sampleQuantile([1, 2, 3, 4], 0.5), 3)   // round(1.5) = 2
    }

    /// The forecast table: one row per method, window and step, with the truth (empty where
    /// missing), the mean and the same sample quantiles the CRPS scores.
    func testForecastTableRows() throws {
        let values: [Double?] = (0..<12).map { $0 == 11 ? nil : Double($0 % 4) }
        let s = TimeSeries(name: "load, MW", start: Timestamp.parse("2024-01-01 00:00")!, frequency: .hourly, values: values)
        let backtest = try Backtest(series: [s], predictionLength: 2, windows: 2, history: 4, seasonality: 4)
        // Window 0 (steps 8, 9): five paths 0…4 and 10…14; window 1 (steps 10, 11): one path.
        let paths: [[[Double]]] = [(0..<5).map { [Double($0), Double($0 + 10)] }, [[7, 8]]]
        let table = try ForecastTable(backtest: backtest, methods: [("m", paths)])
        let lines = table.csv().split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 5)
        XCTAssertEqual(lines[0], "method,series,window,timestamp,step,truth,mean,q0.05,q0.1,q0.2,q0.3,q0.4,q0.5,q0.6,q0.7,q0.8,q0.9,q0.95")
        // round(4q): 0.05 → 0, 0.1 → 0, 0.2 → 1 (0.8), 0.3 → 1, 0.4 → 2 (1.6), 0.5 → 2, 0.6 → 2 (2.4), 0.7 → 3, 0.8 → 3, 0.9 → 4, 0.95 → 4.
        XCTAssertEqual(lines[1], "m,\"load, MW\",0,2024-01-01 08:00,0,0.0,2.0,0.0,0.0,1.0,1.0,2.0,2.0,2.0,3.0,3.0,4.0,4.0")
        XCTAssertEqual(lines[2], "m,\"load, MW\",0,2024-01-01 09:00,1,1.0,12.0,10.0,10.0,11.0,11.0,12.0,12.0,12.0,13.0,13.0,14.0,14.0")
        XCTAssertEqual(lines[4], "m,\"load, MW\",1,2024-01-01 11:00,1,,8.0," + [String](repeating: "8.0", count: 11).joined(separator: ","))
        XCTAssertThrowsError(try ForecastTable(backtest: backtest, methods: [("short", [paths[0]])]))
        XCTAssertThrowsError(try ForecastTable(backtest: backtest, methods: [("empty", [paths[0], []])]))
        XCTAssertThrowsError(try ForecastTable(backtest: backtest, methods: [("ragged", [paths[0], [[1]]])]))
    }

    /// Seasonal naive repeats the last season; its CRPS is its ND.
    func testSeasonalNaive() throws {
        let s = TimeSeries(name: "s", frequency: .hourly, values: (0..<10).map { Double($0 % 4) + 1 })
        let f = try BaseForecaster.seasonalNaive.forecast(history: s, horizon: 6, seasonality: 4, samples: 2, key: RandomKey(seed: 0))
        XCTAssertEqual(f, [[Double]](repeating: [3, 4, 1, 2, 3, 4], count: 2))
    }

    /// The bootstrapped naive forecast with a period of its own (a week of hourly data): every
    /// step is the naive value of that period plus one of the lag-period errors of the last
    /// `seasons` periods, and none from earlier; a series that repeats with that period exactly
    /// has only zero errors there, so every path is the naive forecast.
    func testBootstrappedPeriodicNaive() throws {
        // Period 6: a pattern plus a ramp that grows by 1 per period for the last 3 periods.
        let pattern = [5.0, 1, 4, 2, 8, 3]
        let values: [Double] = (0..<60).map { (i: Int) -> Double in
            let ramp: Double = i >= 42 ? Double(i / 6 - 6) : 0
            return pattern[i % 6] + ramp
        }
        let s = TimeSeries(name: "s", frequency: .hourly, values: values)
        let paths = try BaseForecaster.bootstrappedPeriodicNaive(period: 6, seasons: 2).forecast(history: s, horizon: 8, seasonality: 24,
                                                                                                samples: 40, key: RandomKey(seed: 3))
        let naive = try BaseForecaster.periodicNaive(period: 6).forecast(history: s, horizon: 8, seasonality: 24, samples: 1, key: RandomKey(seed: 0))[0]
        // The last 2 periods' errors y_t − y_{t−6} are all 1 (the ramp); earlier periods' are 0 or
        // 1 (the ramp starts at t = 42), so drawing only from the last 2 periods adds exactly 1.
        for path in paths { XCTAssertEqual(path, naive.map { $0 + 1 }) }
        let periodic = TimeSeries(name: "p", frequency: .hourly, values: (0..<60).map { pattern[$0 % 6] })
        let flat = try BaseForecaster.bootstrappedPeriodicNaive(period: 6, seasons: 4).forecast(history: periodic, horizon: 8, seasonality: 24,
                                                                                               samples: 10, key: RandomKey(seed: 4))
        XCTAssertEqual(flat, [[Double]](repeating: (0..<8).map { pattern[(60 + $0) % 6] }, count: 10))
    }

    /// Arguments no forecast can use are named errors, not traps: a period or seasonality of 0,
    /// a negative horizon or sample count, fewer than one season of errors; a huge season count
    /// means the whole history.
    func testBaseForecastersRejectArgumentsTheyCannotUse() throws {
        let s = TimeSeries(name: "s", frequency: .hourly, values: (0..<48).map { Double($0 % 24) })
        let key = RandomKey(seed: 1)
        let bad: [(BaseForecaster, Int, Int, Int)] = [
            (.periodicNaive(period: 0), 24, 4, 1), (.seasonalNaive, 0, 4, 1), (.seasonalNaive, 24, -1, 1), (.seasonalNaive, 24, 4, -1),
            (.bootstrappedSeasonalNaive(seasons: 0), 24, 4, 2), (.bootstrappedPeriodicNaive(period: 12, seasons: -3), 24, 4, 2),
            (.holtWinters(seasons: 0), 24, 4, 2),
        ]
        for (base, m, horizon, samples) in bad {
            XCTAssertThrowsError(try base.forecast(history: s, horizon: horizon, seasonality: m, samples: samples, key: key), "\(base)") { error in
                guard case TimeSeriesError.invalidOption = error else { return XCTFail("\(base): \(error)") }
            }
        }
        let all = try BaseForecaster.bootstrappedPeriodicNaive(period: 24, seasons: .max).forecast(history: s, horizon: 4, seasonality: 24, samples: 3, key: key)
        XCTAssertEqual(all, [[Double]](repeating: [0, 1, 2, 3], count: 3))
    }
}
