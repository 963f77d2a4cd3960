import DiffuseTensor
import DiffuseNN
@testable import DiffuseTimeSeries
import XCTest
import _DiffuseTestSupport

/// Timestamps and frequencies from outside: overflow, impossible dates and absurd ranges are
/// errors naming the file and line, never a trap or a date other than the file's.
final class HostileTimestampTests: XCTestCase {
    private func load(_ text: String, frequency: Frequency? = nil) throws -> TimeSeriesDataset {
        let folder = try makeTemporaryFolder()
        let url = folder.appendingPathComponent("series.csv")
        try Data(text.utf8).write(to: url)
        return try TimeSeriesDataset.loadWide(url, frequency: frequency)
    }

    private func message(_ text: String, frequency: Frequency? = nil) -> String {
        do { _ = try load(text, frequency: frequency); return "accepted" } catch { return "\(error)" }
    }

    func testTimestampsNearTheIntegerLimitsAreOutOfRange() {
        // Their difference overflowed and crashed `forecast`.
        XCTAssertTrue(message("t,x\n-9000000000000000000,1\n9000000000000000000,2\n").hasSuffix(
            "series.csv:2: timestamp '-9000000000000000000' is outside the supported range 0001-01-01 00:00 … 9999-12-31 23:59 (integers are seconds since 1970, or step indices)"))
        // Int64.max used to load as year 219 250 468.
        XCTAssertTrue(message("t,x\n9223372036854775806,1\n9223372036854775807,2\n").contains("series.csv:2: timestamp '9223372036854775806' is outside"))
        XCTAssertTrue(message("t,x\n99999999999999999999,1\n").contains("cannot parse timestamp '99999999999999999999'"))
        // Step indices far out, times a frequency, leave the range too.
        XCTAssertTrue(message("t,x\n253402300000,1\n253402300001,2\n", frequency: .daily).contains("is outside the supported range"))
        // Inside the range the same arithmetic is exact.
        XCTAssertEqual(try load("t,x\n0001-01-01,1\n0001-01-02,2\n").series[0].start, Timestamp.range.lowerBound)
    }

    func testDatesThatDoNotExistAreRefused() {
        for bad in ["2018-02-30", "2018-02-29", "2019-04-31", "2018-13-01", "2018-00-10", "2018-01-01 24:00", "2016-12-31 23:59:60"] {
            XCTAssertTrue(message("t,x\n\(bad),1\n").contains("cannot parse timestamp '\(bad)'"), bad)
        }
        XCTAssertEqual(Timestamp.parse("2016-02-29").map(Timestamp.format), "2016-02-29 00:00")
        XCTAssertEqual(Timestamp.parse("2000-02-29 23:59:59").map(Timestamp.format), "2000-02-29 23:59")
        XCTAssertNil(Timestamp.parse("1900-02-29"))
        XCTAssertNil(Timestamp.parse("0x10"))
        XCTAssertNil(Timestamp.parse("12abc"))
    }

    func testFrequenciesAreBounded() {
        XCTAssertNil(Frequency(code: "999999999999999999min"))
        XCTAssertNil(Frequency(code: "99999999999999999999"))
        XCTAssertNil(Frequency(code: "0"))
        XCTAssertNil(Frequency(code: "-5min"))
        XCTAssertNil(Frequency(code: "+5min"))
        XCTAssertNil(Frequency(code: "\(Frequency.maximumSeconds + 1)"))
        XCTAssertEqual(Frequency(code: "30min"), .minutes(30))
        XCTAssertEqual(Frequency(code: "1440min"), .daily)
        XCTAssertEqual(Frequency(code: "\(Frequency.maximumSeconds)")?.seconds, Frequency.maximumSeconds)
        XCTAssertTrue(message("t,x\n1,1\n2,2\n", frequency: .seconds(Int.max)).contains("frequency of \(Int.max) s is outside"))
        XCTAssertTrue(message("t,x\n1970-01-01,1\n2070-01-01,2\n").contains("more than the longest supported interval"))
    }
}

/// Values and models that produce no numbers: named errors, not NaN tables.
final class NonFiniteForecastTests: XCTestCase {
    func testValuesBeyondTheArithmeticRangeAreRefused() throws {
        let folder = try makeTemporaryFolder()
        let url = folder.appendingPathComponent("big.csv")
        try Data("t,x\n2020-01-01,1\n2020-01-02,1e308\n".utf8).write(to: url)
        XCTAssertThrowsError(try TimeSeriesDataset.loadWide(url)) {
            XCTAssertEqual("\($0)", "\(url.path):3: column 'x': 1e+308 is beyond ±1e+150, the largest magnitude the forecasting arithmetic handles (rescale the data)")
        }
    }

    /// A model whose weights are NaN (built in memory; a checkpoint holding them is refused at
    /// load) yields an error saying so, not "guidance diverged".
    func testAModelProducingNaNIsNamedAsSuch() throws {
        let layout = WindowLayout(contextLength: 8, predictionLength: 4, lags: [1])
        let configuration = TSDiffConfiguration(layout: layout, backbone: TSDiffBackboneConfiguration(channels: layout.channels, hidden: 4, blocks: 1, stepEmbedding: 4, stateSize: 4),
                                                diffusionSteps: 10, frequency: .hourly)
        let healthy = TSDiff(configuration: configuration, seed: 1)
        let broken = try TSDiff(configuration: configuration, parameters: healthy.parameters.mapValues { _, t in t * .nan })
        let series = TimeSeries(name: "s", frequency: .hourly, values: (0..<40).map { Double($0 % 7) + 1 })
        let windows = try layout.windows(for: [(series, [30])])
        XCTAssertThrowsError(try broken.forecast(windows, options: ForecastOptions(samples: 2, sampler: .ddim(steps: 5)))) { error in
            guard case TimeSeriesError.nonFiniteForecast(window: 0, step: _) = error else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("nothing was written for this method"))
        }
    }
}

/// Hand-edited checkpoint configurations: values beyond the documented limits are errors naming
/// config.json and the field, before anything is allocated.
final class HostileConfigurationTests: XCTestCase {
    func testOversizedConfigurationsAreNamedErrors() throws {
        let layout = WindowLayout(contextLength: 8, predictionLength: 4, lags: [1])
        let configuration = TSDiffConfiguration(layout: layout, backbone: TSDiffBackboneConfiguration(channels: layout.channels, hidden: 4, blocks: 1, stepEmbedding: 4, stateSize: 4),
                                                diffusionSteps: 10, frequency: .hourly)
        let folder = try makeTemporaryFolder()
        try TSDiff(configuration: configuration, seed: 1).save(to: folder)
        // Weights without their saved configuration (an earlier version's checkpoint), so that
        // the edits below reach the configuration checks rather than the pair check.
        let weightsURL = folder.appendingPathComponent("model.safetensors")
        try SafeTensors.write(try SafeTensors.read(weightsURL, as: Float.self).parameters, to: weightsURL)
        let configURL = folder.appendingPathComponent("config.json")
        let valid = try String(contentsOf: configURL, encoding: .utf8)
        func message(replacing old: String, with new: String, and more: [(String, String)] = []) throws -> String {
            var text = valid
            for (a, b) in [(old, new)] + more {
                XCTAssertTrue(text.contains(a), a)
                text = text.replacingOccurrences(of: a, with: b)
            }
            try text.write(to: configURL, atomically: true, encoding: .utf8)
            do { _ = try TSDiff.load(from: folder); return "loaded" } catch { return "\(error)" }
        }
        XCTAssertEqual(try message(replacing: "\"diffusionSteps\" : 10", with: "\"diffusionSteps\" : 2000000000"),
                       "\(configURL.path): model configuration: field 'diffusionSteps' = 2000000000 must be in 1…100000")
        XCTAssertEqual(try message(replacing: "\"hidden\" : 4", with: "\"hidden\" : 1000000"),
                       "\(configURL.path): model configuration: field 'backbone.hidden' = 1000000 must be in 1…4096")
        XCTAssertTrue(try message(replacing: "\"hidden\" : 4", with: "\"hidden\" : 4096", and: [("\"blocks\" : 1", "\"blocks\" : 64")])
            .contains("describe about 4299161600 weights, more than 268435456"))
        // Within the caps but far larger than the weights in the file (found by the fuzzer as a
        // load that took seconds to build the model before comparing): refused at once.
        let large = try message(replacing: "\"hidden\" : 4", with: "\"hidden\" : 4000")
        XCTAssertTrue(large.contains("describes about 64064000 weights"), large)
        XCTAssertEqual(try message(replacing: "\"stateSize\" : 4", with: "\"stateSize\" : 3"),
                       "\(configURL.path): model configuration: field 'backbone.stateSize' = 3 must be even")
        XCTAssertEqual(try message(replacing: "\"contextLength\" : 8", with: "\"contextLength\" : 9223372036854775000"),
                       "\(configURL.path): model configuration: field 'layout.contextLength' = 9223372036854775000 must be in 1…100000")
        XCTAssertTrue(try message(replacing: "\"hourly\" : {\n\n    }", with: "\"minutes\" : { \"_0\" : 200000000000000000 }").contains("field 'frequency (seconds)'"))
        XCTAssertEqual(try message(replacing: "\"diffusionSteps\" : 10", with: "\"diffusionSteps\" : 10"), "loaded")
    }
}

/// Seasons, lags and default windows derived from the frequency.
final class FrequencyDefaultsTests: XCTestCase {
    func testSeasonsAndDefaultWindowsPerFrequency() {
        XCTAssertEqual(Frequency.hourly.seasons, [24, 168])
        XCTAssertEqual(Frequency.minutes(30).seasons, [48, 336])
        XCTAssertEqual(Frequency.minutes(15).seasons, [96, 672])
        XCTAssertEqual(Frequency.daily.seasons, [7, 365])
        XCTAssertEqual(Frequency.weekly.seasons, [52])
        XCTAssertEqual(Frequency.seconds(7).seasons, [])
        XCTAssertEqual(Frequency.minutes(30).tsdiffLags, [1, 2, 3, 4, 5, 6, 7, 14, 21, 28].map { 48 * $0 })
        XCTAssertEqual(Frequency.seconds(1).tsdiffLags, [])
        // The paper's hourly setting is unchanged; half-hourly gets a day's horizon, 14 days of context.
        let hourly = TSDiffConfiguration.standard(frequency: .hourly).layout
        XCTAssertEqual([hourly.contextLength, hourly.predictionLength], [336, 24])
        XCTAssertEqual(hourly.lags, Frequency.hourly.tsdiffLags)
        let halfHourly = TSDiffConfiguration.standard(frequency: .minutes(30)).layout
        XCTAssertEqual([halfHourly.contextLength, halfHourly.predictionLength], [672, 48])
        let daily = TSDiffConfiguration.standard(frequency: .daily).layout
        XCTAssertEqual([daily.contextLength, daily.predictionLength], [360, 30])
        XCTAssertEqual(daily.lags, Frequency.daily.tsdiffLags)
        // Weekly: two years of context and a quarter's horizon; monthly: four years and one, no lags.
        let weekly = TSDiffConfiguration.standard(frequency: .weekly).layout
        XCTAssertEqual([weekly.contextLength, weekly.predictionLength, weekly.lags.count], [104, 13, 0])
        let monthly = TSDiffConfiguration.standard(frequency: .monthly).layout
        XCTAssertEqual([monthly.contextLength, monthly.predictionLength, monthly.lags.count], [48, 12, 0])
        let quarterHourly = TSDiffConfiguration.standard(frequency: .minutes(15)).layout
        XCTAssertEqual([quarterHourly.contextLength, quarterHourly.predictionLength], [1344, 96])
        XCTAssertNoThrow(try TSDiffConfiguration.standard(frequency: .minutes(1)).validate())
        XCTAssertNoThrow(try TSDiffConfiguration.standard(frequency: .seconds(1)).validate())
    }
}

/// A guidance scale that diverges is halved rather than the forecast dropped.
final class DivergenceRetryTests: XCTestCase {
    func testADivergingScaleIsHalvedUntilTheForecastHolds() throws {
        let layout = WindowLayout(contextLength: 24, predictionLength: 6, lags: [1])
        let configuration = TSDiffConfiguration(layout: layout, backbone: TSDiffBackboneConfiguration(channels: layout.channels, hidden: 8, blocks: 1, stepEmbedding: 8, stateSize: 4),
                                                diffusionSteps: 20, frequency: .hourly)
        let model = TSDiff(configuration: configuration, seed: 2)
        let series = TimeSeries(name: "s", frequency: .hourly, values: (0..<80).map { 10 + 3 * sin(Double($0) * .pi / 12) })
        let windows = try layout.windows(for: [(series, [60])])
        var options = ForecastOptions(samples: 4, loss: .meanSquared, scale: 1e6, sampler: .ddim(steps: 10))
        options.chunkSize = 4
        XCTAssertThrowsError(try model.forecast(windows, options: options)) {
            guard case TimeSeriesError.guidanceDiverged = $0 else { return XCTFail("\($0)") }
        }
        let (paths, scale) = try model.forecastHalvingScaleOnDivergence(windows, options: options, retries: 40)
        XCTAssertLessThan(scale, 1e6)
        // The scale returned is the first that held: exactly 1e6 / 2^k, and one halving less diverges.
        let halvings = Foundation.log2(1e6 / scale)
        XCTAssertEqual(halvings, halvings.rounded(), accuracy: 1e-9)
        var previous = options
        previous.scale = scale * 2
        XCTAssertThrowsError(try model.forecast(windows, options: previous))
        XCTAssertTrue(paths.allSatisfy { $0.allSatisfy { $0.allSatisfy(\.isFinite) } })
        XCTAssertThrowsError(try model.forecastHalvingScaleOnDivergence(windows, options: options, retries: 0))
    }
}

/// A wide CSV without timestamps: rows are steps at the given frequency.
final class UntimedDataTests: XCTestCase {
    func testRowsAreStepsAtTheGivenFrequency() throws {
        let folder = try makeTemporaryFolder()
        let url = folder.appendingPathComponent("untimed.csv")
        try Data("a,b\n1,2\n3,\n5,6\n".utf8).write(to: url)
        let data = try TimeSeriesDataset.loadWide(untimed: url, frequency: .minutes(30))
        XCTAssertEqual(data.series.map(\.name), ["a", "b"])
        XCTAssertEqual(data.series[0].values, [1, 3, 5])
        XCTAssertEqual(data.series[1].observed, [true, false, true])
        XCTAssertEqual(data.series[1].timestamp(at: 2), 3600)
        XCTAssertThrowsError(try TimeSeriesDataset.loadWide(untimed: url, frequency: .seconds(0)))
    }
}

/// Integer timestamps are step indices or seconds for the whole file, never both.
final class StepIndexRuleTests: XCTestCase {
    func testOneRuleForTheWholeFile() throws {
        let folder = try makeTemporaryFolder()
        let long = folder.appendingPathComponent("long.csv")
        try Data("id,t,v\na,0,1\na,1,2\na,2,3\nb,5,4\n".utf8).write(to: long)
        let data = try TimeSeriesDataset.loadLong(long, idColumn: "id", timestampColumn: "t", valueColumn: "v", frequency: .daily)
        // b's single row is a step index too: day 5, not 5 seconds.
        XCTAssertEqual(data.series.first { $0.name == "b" }?.start, 5 * 86_400)
        XCTAssertEqual(data.series.first { $0.name == "a" }?.start, 0)
        // Not consecutive (0, 1, 5): seconds, so the spacing is irregular.
        let wide = folder.appendingPathComponent("wide.csv")
        try Data("t,x\n0,1\n1,2\n5,3\n".utf8).write(to: wide)
        XCTAssertThrowsError(try TimeSeriesDataset.loadWide(wide, frequency: .hourly)) { XCTAssertTrue("\($0)".contains("irregular spacing"), "\($0)") }
    }
}

final class FractionTests: XCTestCase {
    func testAFractionNeedsItsDigits() {
        XCTAssertNil(Timestamp.parse("2020-01-01 13:00:00."))
        XCTAssertEqual(Timestamp.parse("2020-01-01 13:00:00.25"), Timestamp.parse("2020-01-01 13:00:00"))
    }
}

final class ActivationLimitTests: XCTestCase {
    /// Weights within their cap, but a window so long and wide that forecasting would exhaust
    /// memory: refused when the configuration is checked.
    func testLongWideWindowsAreRefused() {
        let layout = WindowLayout(contextLength: 100_000, predictionLength: 24, lags: [])
        let configuration = TSDiffConfiguration(layout: layout, backbone: TSDiffBackboneConfiguration(channels: layout.channels, hidden: 64, blocks: 1, stepEmbedding: 16, stateSize: 16),
                                                diffusionSteps: 10, frequency: .hourly)
        XCTAssertThrowsError(try configuration.validate()) { XCTAssertTrue("\($0)".contains("activation memory per window"), "\($0)") }
        XCTAssertNoThrow(try TSDiffConfiguration.standard(frequency: .minutes(30)).validate())
    }
}
