import DiffuseCore
import DiffuseNN
import DiffuseTensor
@testable import DiffuseTimeSeries
import Foundation
import XCTest

/// Conditioning channels of the conditional TSDiff: calendar features, the holiday indicator and
/// covariates, aligned with the window step by step; the shared backbone; a trained conditional
/// model that must read its covariate.
final class ConditioningTests: XCTestCase {
    func t(_ text: String) -> Int64 { Timestamp.parse(text)! }
    func day(_ text: String) -> Int64 { t(text) / 86_400 }

    /// A series of 100 hours from Wednesday 2024-02-28 00:00 (a leap year) with a past-only
    /// covariate a = i (missing at 30) and a known-future covariate b = 100 − i.
    func covariateSeries() -> TimeSeries {
        let a = Covariate(name: "a", values: (0..<100).map { $0 == 30 ? nil : Double($0) })
        let b = Covariate(name: "b", values: (0..<100).map { Double(100 - $0) })
        return TimeSeries(name: "load", start: t("2024-02-28 00:00"), frequency: .hourly, values: (0..<100).map { Double($0 % 24) + 1 }, covariates: [a, b])
    }

    var conditioning: SeriesConditioning {
        SeriesConditioning(calendar: [.hourOfDay, .dayOfWeek], holidays: HolidayCalendar(days: [day("2024-02-29")]),
                           covariates: [.init(name: "a", knownFuture: false, mean: 10, standardDeviation: 2), .init(name: "b", knownFuture: true, mean: 0, standardDeviation: 4)])
    }

    /// Every channel of every step, computed by hand: the window of context 24 and horizon 6
    /// whose forecast starts at index 40 covers indices 16…45.
    func testWindowConditioningIsAlignedWithTheSteps() throws {
        let layout = WindowLayout(contextLength: 24, predictionLength: 6, lags: [], conditioning: conditioning)
        XCTAssertEqual(layout.conditioning.channels, 5)
        let series = covariateSeries()
        let window = layout.window(series, forecastStart: 40, revealFuture: false)
        XCTAssertEqual(window.conditioning.count, 30 * 5)
        for row in 0..<30 {
            let i = 16 + row
            let weekday = i < 24 ? 2 : i < 48 ? 3 : 4              // Wednesday, Thursday (the holiday), Friday
            let a: Float = i >= 40 || i == 30 ? 0 : Float((Double(i) - 10) / 2)   // past only; missing at 30
            let expected: [Float] = [Float(Double(i % 24) / 23 - 0.5), Float(Double(weekday) / 6 - 0.5), i >= 24 && i < 48 ? 0.5 : -0.5,
                                     a, Float(Double(100 - i) / 4)]
            XCTAssertEqual(Array(window.conditioning[(row * 5)..<(row * 5 + 5)]), expected, "row \(row), index \(i)")
        }
        // Revealing the future for training does not reveal a past-only covariate.
        XCTAssertEqual(layout.window(series, forecastStart: 40, revealFuture: true).conditioning, window.conditioning)
    }

    /// A covariate changed at one step changes the window's conditioning at exactly that step and
    /// channel, and a past-only covariate changed over the horizon changes nothing.
    func testChangingACovariateAtOneStepChangesExactlyThatRow() {
        let layout = WindowLayout(contextLength: 24, predictionLength: 6, lags: [], conditioning: conditioning)
        let series = covariateSeries()
        let base = layout.window(series, forecastStart: 40, revealFuture: false).conditioning
        func changed(_ covariate: Int, at index: Int) -> [Int] {
            var other = series
            other.covariates[covariate].values[index] += 1
            other.covariates[covariate].observed[index] = true
            let new = layout.window(other, forecastStart: 40, revealFuture: false).conditioning
            return base.indices.filter { base[$0] != new[$0] }
        }
        XCTAssertEqual(changed(0, at: 25), [(25 - 16) * 5 + 3])
        XCTAssertEqual(changed(0, at: 30), [(30 - 16) * 5 + 3])  // a missing value becomes observed
        XCTAssertEqual(changed(0, at: 43), [])                    // past only: hidden over the horizon
        XCTAssertEqual(changed(1, at: 43), [(43 - 16) * 5 + 4])   // known in the future
        XCTAssertEqual(changed(1, at: 10), [])                    // before the window
        // A covariate shifted by one step: every row where consecutive values differ changes.
        var shifted = series
        shifted.covariates[1].values = [shifted.covariates[1].values[0]] + shifted.covariates[1].values.dropLast()
        let new = layout.window(shifted, forecastStart: 40, revealFuture: false).conditioning
        XCTAssertEqual(base.indices.filter { base[$0] != new[$0] }, (0..<30).map { $0 * 5 + 4 })
        for row in 0..<30 { XCTAssertEqual(new[row * 5 + 4] - base[row * 5 + 4], 0.25) }
    }

    /// The holiday channel covers the step: the date of an hour, any day of a week or a month.
    func testHolidayIndicatorCoversEachStep() {
        let days = [day("2024-02-29"), day("2024-12-25"), day("2025-01-01")]
        func indicator(_ start: String, _ frequency: Frequency, _ count: Int) -> [Float] {
            let c = SeriesConditioning(holidays: HolidayCalendar(days: Set(days)))
            return c.rows(TimeSeries(name: "s", start: t(start), frequency: frequency, values: [Double](repeating: 1, count: count)), from: 0, count: count, forecastStart: count)
        }
        XCTAssertEqual(indicator("2024-12-25 22:00", .hourly, 3), [0.5, 0.5, -0.5])
        XCTAssertEqual(indicator("2024-12-24", .daily, 3), [-0.5, 0.5, -0.5])
        // Weeks from Monday 2024-12-16: the week of 23 December holds the 25th, the next 1 January.
        XCTAssertEqual(indicator("2024-12-16", .weekly, 4), [-0.5, 0.5, 0.5, -0.5])
        // Months from 2024-01-01: February holds its 29th, December its 25th.
        let months: [Float] = [-0.5, 0.5] + [Float](repeating: -0.5, count: 9) + [0.5, 0.5]
        XCTAssertEqual(indicator("2024-01-01", .monthly, 13), months)
        // Rows may run past the series' end: calendar channels continue, covariates are 0.
        let c = SeriesConditioning(calendar: [.dayOfWeek], covariates: [.init(name: "x", knownFuture: true)])
        let s = TimeSeries(name: "s", start: t("2024-01-01"), frequency: .daily, values: [1, 2], covariates: [Covariate(name: "x", values: [3, 4])])
        let expected: [Double] = [1.0 / 6 - 0.5, 4, 2.0 / 6 - 0.5, 0, 3.0 / 6 - 0.5, 0]
        XCTAssertEqual(c.rows(s, from: 1, count: 3, forecastStart: 1), expected.map { Float($0) })
    }

    /// Standardisation uses the training part only: mean and sample standard deviation of the
    /// observed values before each series' training end, over all series.
    func testCovariatesAreStandardisedOnTheTrainingPart() throws {
        func series(_ name: String, _ values: [Double?]) -> TimeSeries {
            TimeSeries(name: name, frequency: .hourly, values: values.map { $0 ?? 0 }, covariates: [Covariate(name: "x", values: values), Covariate(name: "k", values: [Double](repeating: 7, count: values.count))])
        }
        let all = [series("p", [1, 2, nil, 1000]), series("q", [3, 4, 5000])]
        let c = try SeriesConditioning.fitted(covariates: ["x", "k"], knownFuture: ["k"], series: all, trainingEnd: [3, 2])
        XCTAssertEqual(c.covariates[0].mean, 2.5)
        XCTAssertEqual(c.covariates[0].standardDeviation, (5.0 / 3).squareRoot(), accuracy: 1e-12)
        XCTAssertFalse(c.covariates[0].knownFuture)
        XCTAssertEqual(c.covariates[1], .init(name: "k", knownFuture: true, mean: 7, standardDeviation: 1))   // constant: deviation 1
        // Named problems.
        XCTAssertThrowsError(try SeriesConditioning.fitted(covariates: ["x", "temp"], series: all)) { error in
            XCTAssertTrue("\(error)".contains("series 'p' has no covariate 'temp'"), "\(error)")
        }
        XCTAssertThrowsError(try SeriesConditioning.fitted(covariates: ["x"], knownFuture: ["k"], series: all)) { XCTAssertTrue("\($0)".contains("'k'"), "\($0)") }
        XCTAssertThrowsError(try SeriesConditioning.fitted(covariates: ["x", "x"], series: all)) { XCTAssertTrue("\($0)".contains("named twice"), "\($0)") }
        // Windows of a series lacking a covariate are refused, not read as zeros.
        let layout = WindowLayout(contextLength: 2, predictionLength: 1, lags: [], conditioning: SeriesConditioning(covariates: [.init(name: "temp", knownFuture: false)]))
        XCTAssertThrowsError(try layout.windows(for: [(all[0], [2])]))
        XCTAssertThrowsError(try TSDiffTrainer.trainingBatch(all, trainingEnd: [4, 3], layout: layout, count: 2, key: RandomKey(seed: 0)))
    }

    /// A configuration saved before conditioning existed reads as unconditional; a conditional one
    /// round-trips; hand-edited conditioning fields are refused with the field's name.
    func testConfigurationCodingAndValidation() throws {
        let bundled = try Data(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Examples/Forecast/Checkpoints/caiso/config.json"))
        XCTAssertFalse(String(decoding: bundled, as: UTF8.self).contains("conditioning"))
        let old = try JSONDecoder().decode(TSDiffConfiguration.self, from: bundled)
        XCTAssertEqual(old.layout.conditioning, .unconditional)
        XCTAssertEqual(old.backbone.conditioningChannels, 0)
        var layout = WindowLayout(contextLength: 24, predictionLength: 6, lags: [24], conditioning: conditioning)
        let configuration = TSDiffConfiguration(layout: layout, frequency: .hourly)
        XCTAssertEqual(configuration.backbone.conditioningChannels, 5)
        XCTAssertNoThrow(try configuration.validate())
        XCTAssertEqual(try JSONDecoder().decode(TSDiffConfiguration.self, from: JSONEncoder().encode(configuration)), configuration)
        func refused(_ edit: (inout TSDiffConfiguration) -> Void, _ field: String) {
            var c = configuration
            edit(&c)
            XCTAssertThrowsError(try c.validate(), field) { XCTAssertTrue("\($0)".contains(field), "\($0)") }
        }
        // Holidays set through the API are kept sorted; a hand-edited file's are checked.
        var edited = configuration
        edited.layout.conditioning.holidays = [5, 3, 5]
        XCTAssertEqual(edited.layout.conditioning.holidays, [3, 5])
        let json = String(decoding: try JSONEncoder().encode(edited), as: UTF8.self).replacingOccurrences(of: "[3,5]", with: "[5,3]")
        XCTAssertThrowsError(try JSONDecoder().decode(TSDiffConfiguration.self, from: Data(json.utf8)).validate()) { XCTAssertTrue("\($0)".contains("holidays"), "\($0)") }
        refused({ $0.layout.conditioning.holidays = [Int64.max / 2] }, "holidays")
        refused({ $0.layout.conditioning.covariates[0].standardDeviation = 0 }, "covariates[0].standardDeviation")
        refused({ $0.layout.conditioning.covariates[1].mean = .nan }, "covariates[1].mean")
        refused({ $0.layout.conditioning.calendar = [.hourOfDay, .hourOfDay] }, "calendar")
        refused({ $0.backbone.conditioningChannels = 4 }, "backbone.conditioningChannels")
        layout.conditioning = .unconditional
        XCTAssertEqual(TSDiffConfiguration(layout: layout, frequency: .hourly).backbone.conditioningChannels, 0)
    }

    /// The conditional model shares the unconditional backbone: with its conditioning projection
    /// at zero it computes the unconditional network; otherwise its conditioning matters.
    func testConditionalBackboneSharesTheUnconditionalOne() {
        let plain = TSDiffBackboneConfiguration(channels: 2, hidden: 8, blocks: 2, stepEmbedding: 8, stateSize: 4)
        var conditionalConfiguration = plain
        conditionalConfiguration.conditioningChannels = 3
        let unconditional = TSDiffBackbone(plain), conditional = TSDiffBackbone(conditionalConfiguration)
        let key = RandomKey(seed: 4)
        let p = unconditional.makeParameters(as: Double.self, key: key)
        var q = conditional.makeParameters(as: Double.self, key: key)
        XCTAssertEqual(Set(q.names).subtracting(p.names), ["conditioning_init.0.weight"])
        for name in p.names { XCTAssertEqual(q[name], p[name], name) }   // parameters keyed by name: the shared ones are equal
        let x = Tensor<Double>.randomNormal(shape: [2, 10, 2], key: RandomKey(seed: 5))
        let c = Tensor<Double>.randomNormal(shape: [2, 10, 3], key: RandomKey(seed: 6))
        let expected = unconditional(Variable(x), steps: [3, 70], p.constants).value
        let different = conditional(Variable(x), conditioning: Variable(c), steps: [3, 70], q.constants).value
        XCTAssertGreaterThan((different - expected).abs().max().scalar, 1e-3)
        q["conditioning_init.0.weight"] = Tensor(zeros: [8, 3])
        let zeroed = conditional(Variable(x), conditioning: Variable(c), steps: [3, 70], q.constants).value
        XCTAssertLessThan((zeroed - expected).abs().max().scalar, 1e-12)
    }

    /// A wide CSV's covariate columns: read beside every series, left out of the default series,
    /// never both a series and a covariate.
    func testWideCSVCovariates() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("covariates-\(UUID().uuidString).csv")
        try Data("time,y,z,temp,flag\n2024-01-01 00:00,1,2,10.5,0\n2024-01-01 01:00,2,3,,1\n2024-01-01 02:00,3,5,12,0\n".utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let dataset = try TimeSeriesDataset.loadWide(url, covariates: ["temp", "flag"])
        XCTAssertEqual(dataset.series.map(\.name), ["y", "z"])
        for s in dataset.series {
            XCTAssertEqual(s.covariates, [Covariate(name: "temp", values: [10.5, nil, 12]), Covariate(name: "flag", values: [0, 1, 0])])
            XCTAssertEqual(s.slice(1..<3).covariates[0], Covariate(name: "temp", values: [nil, 12]))
        }
        XCTAssertThrowsError(try TimeSeriesDataset.loadWide(url, columns: ["y", "temp"], covariates: ["temp"])) { XCTAssertTrue("\($0)".contains("both a series and a covariate"), "\($0)") }
        XCTAssertThrowsError(try TimeSeriesDataset.loadWide(url, covariates: ["flag", "flag"])) { XCTAssertTrue("\($0)".contains("named twice"), "\($0)") }
        XCTAssertThrowsError(try TimeSeriesDataset.loadWide(url, covariates: ["wind"]))
    }

    /// A small conditional TSDiff for `layout` (hidden 32, 2 blocks), trained 400 steps on
    /// `series` up to the backtest's training end, and the CRPS of its guided forecasts (16 paths,
    /// DDIM 10 steps, quantile guidance at scale 1) of any targets on the backtest's windows.
    static func trainedSmallModel(_ layout: WindowLayout, series: [TimeSeries], backtest: Backtest) throws
        -> ([(series: TimeSeries, starts: [Int])]) throws -> Double {
        let backbone = TSDiffBackboneConfiguration(channels: layout.channels, conditioningChannels: layout.conditioning.channels,
                                                   hidden: 32, blocks: 2, stepEmbedding: 32, stateSize: 16)
        var model = TSDiff(configuration: TSDiffConfiguration(layout: layout, backbone: backbone, frequency: .hourly), seed: 1)
        _ = try TSDiffTrainer(options: TSDiffTrainingOptions(steps: 400, batchSize: 32, learningRate: 2e-3, seed: 2)).train(&model, series: series, trainingEnd: backtest.trainingEnd)
        let options = ForecastOptions(samples: 16, loss: .quantile, scale: 1, sampler: .ddim(steps: 10), seed: 3)
        return { [model] targets in backtest.score(try model.forecast(layout.windows(for: targets), options: options)).crps }
    }

    /// A small conditional model trained on series that drop by three amplitudes on "event" days
    /// flagged by a known-future covariate: told the truth about the horizon it forecasts the
    /// drops (better than seasonal naive), and told "no event" it forecasts much worse, so it
    /// reads its covariate.
    func testConditionalModelReadsItsCovariate() throws {
        let period = 12, length = 480
        var stream = RandomStream(seed: 11)
        let blocks = length / period
        // Events on a quarter of the blocks, and on test blocks 37 and 39 (not 38).
        var event = (0..<blocks).map { _ in stream.uniform(Double.self) < 0.25 }
        event[37] = true; event[38] = false; event[39] = true
        let series = (0..<3).map { k -> TimeSeries in
            let level = 10 + 2 * Double(k), amplitude = 2 + Double(k) / 2
            let flag = (0..<length).map { event[$0 / period] ? 1.0 : 0 }
            let values = (0..<length).map { i in
                level + amplitude * Foundation.sin(2 * Double.pi * Double(i) / Double(period) + Double(k)) - 3 * amplitude * flag[i] + 0.2 * amplitude * stream.normal(Double.self)
            }
            return TimeSeries(name: "s\(k)", frequency: .hourly, values: values, covariates: [Covariate(name: "event", values: flag, observed: flag.map { _ in true })])
        }
        let backtest = try Backtest(series: series, predictionLength: period, windows: 3, history: 36, seasonality: period)
        let conditioning = try SeriesConditioning.fitted(covariates: ["event"], knownFuture: ["event"], series: series, trainingEnd: backtest.trainingEnd)
        let layout = WindowLayout(contextLength: 24, predictionLength: period, lags: [12], conditioning: conditioning)
        let crps = try Self.trainedSmallModel(layout, series: series, backtest: backtest)
        let told = try crps(backtest.testTargets)
        // The same windows with the event flag cleared over the test period.
        let blind = backtest.testTargets.map { target -> (series: TimeSeries, starts: [Int]) in
            var s = target.series
            for i in (length - 3 * period)..<length { s.covariates[0].values[i] = 0 }
            return (s, target.starts)
        }
        let notTold = try crps(blind)
        let naive = backtest.score(try backtest.forecast(.seasonalNaive, samples: 1, key: RandomKey(seed: 0))).crps
        XCTAssertLessThan(told, 0.6 * notTold, "CRPS told the events \(told), not told \(notTold)")
        XCTAssertLessThan(told, naive, "CRPS told the events \(told), seasonal naive \(naive)")
    }
}
