import DiffuseTensor
@testable import DiffuseTimeSeries
import XCTest
import _DiffuseTestSupport

final class DataTests: XCTestCase {
    private func temporaryFile(_ text: String, name: String = "data.csv") throws -> URL {
        let folder = try makeTemporaryFolder()
        let url = folder.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url
    }

    /// A hand-made window: series 1…12, context 3, horizon 2, lags 1 and 3, forecast from index 8.
    /// Context = values 6, 7, 8 (scale 7); lag 1 reads indices 4…8 with index 8 (the future) hidden;
    /// lag 3 reads indices 2…6.
    func testWindowLagsAndScaling() {
        let s = TimeSeries(name: "s", frequency: .hourly, values: (1...12).map(Double.init))
        let layout = WindowLayout(contextLength: 3, predictionLength: 2, lags: [1, 3])
        XCTAssertEqual(layout.history, 6)
        let w = layout.window(s, forecastStart: 8, revealFuture: false)
        XCTAssertEqual(w.scale, 7)
        let expected: [[Double]] = [[6, 5, 3], [7, 6, 4], [8, 7, 5], [0, 8, 6], [0, 0, 7]]
        let mask: [[Float]] = [[1, 1, 1], [1, 1, 1], [1, 1, 1], [0, 1, 1], [0, 0, 1]]
        for t in 0..<5 {
            for c in 0..<3 {
                XCTAssertEqual(Double(w.input[t * 3 + c]), expected[t][c] / 7, accuracy: 1e-6, "t=\(t) c=\(c)")
                XCTAssertEqual(w.observed[t * 3 + c], mask[t][c], "t=\(t) c=\(c)")
            }
        }
        XCTAssertEqual(w.future, [9, 10])
        XCTAssertEqual(w.context, [6, 7, 8])
        // Training windows reveal the future.
        let revealed = layout.window(s, forecastStart: 8, revealFuture: true)
        XCTAssertEqual(Double(revealed.input[3 * 3]), 9 / 7, accuracy: 1e-6)
        XCTAssertEqual(revealed.observed[4 * 3 + 1], 1)
    }

    /// Missing context values leave the scale and the mask.
    func testMissingValuesAreMaskedNotFilled() {
        let s = TimeSeries(name: "s", frequency: .hourly, values: [1, 2, nil, 4, 5, nil, 7, 8])
        XCTAssertEqual(s.observedCount, 6)
        let layout = WindowLayout(contextLength: 3, predictionLength: 1, lags: [1])
        let w = layout.window(s, forecastStart: 6, revealFuture: false)
        XCTAssertEqual(w.scale, (4 + 5) / 2)                 // index 5 is missing
        XCTAssertEqual(w.observed[2 * 2], 0)                 // context step 3 (index 5)
        XCTAssertEqual(w.input[2 * 2], 0)
        XCTAssertEqual(w.observed[1 * 2 + 1], 1)             // lag 1 of index 4 = index 3
    }

    /// RM / BM-B / BM-E hide k = fraction · context steps, only inside the context.
    func testMissingValueScenarios() throws {
        let s = TimeSeries(name: "s", frequency: .hourly, values: (0..<20).map { Double($0) + 1 })
        let begin = try MissingValueScenario.blockAtBeginning(fraction: 0.5).apply(to: s, forecastStart: 16, contextLength: 8, key: RandomKey(seed: 0))
        XCTAssertEqual((0..<20).filter { !begin.observed[$0] }, [8, 9, 10, 11])
        let end = try MissingValueScenario.blockAtEnd(fraction: 0.5).apply(to: s, forecastStart: 16, contextLength: 8, key: RandomKey(seed: 0))
        XCTAssertEqual((0..<20).filter { !end.observed[$0] }, [12, 13, 14, 15])
        let random = try MissingValueScenario.random(fraction: 0.5).apply(to: s, forecastStart: 16, contextLength: 8, key: RandomKey(seed: 1))
        let hidden = (0..<20).filter { !random.observed[$0] }
        XCTAssertEqual(hidden.count, 4)
        XCTAssertTrue(hidden.allSatisfy { (8..<16).contains($0) })
        XCTAssertThrowsError(try MissingValueScenario.random(fraction: 1.5).apply(to: s, forecastStart: 16, contextLength: 8, key: RandomKey(seed: 1)))
    }

    /// Forecast windows of the backtest's targets: without a scenario the layout's windows; with
    /// block-end the last k context steps of each window are hidden (and lagged copies of them),
    /// the truth stays complete; random windows hide different steps per window, reproducibly.
    func testForecastWindowsWithMissingContext() throws {
        let s = TimeSeries(name: "s", frequency: .hourly, values: (0..<60).map { Double($0 % 5) + 1 })
        let layout = WindowLayout(contextLength: 8, predictionLength: 4, lags: [4])
        let b = try Backtest(series: [s], predictionLength: 4, windows: 2, history: layout.history, seasonality: 5)
        let complete = try layout.windows(for: b.testTargets)
        XCTAssertEqual(complete.map(\.input), b.testStarts(0).map { layout.window(s, forecastStart: $0, revealFuture: false).input })
        let end = try layout.windows(for: b.testTargets, missing: .blockAtEnd(fraction: 0.5))
        for (w, window) in end.enumerated() {
            // Channel 0: context steps 4…7 hidden; channel 1 (lag 4) at steps 8…11 reads them.
            XCTAssertEqual((0..<12).filter { window.observed[$0 * 2] == 0 }, Array(4..<12), "window \(w)")
            XCTAssertEqual((0..<12).filter { window.observed[$0 * 2 + 1] == 0 }, Array(8..<12), "window \(w)")
            XCTAssertEqual(window.future, complete[w].future)
            XCTAssertEqual(window.futureObserved, [true, true, true, true])
        }
        let random = try layout.windows(for: b.testTargets, missing: .random(fraction: 0.5), key: RandomKey(seed: 3))
        let hidden = random.map { window in (0..<8).filter { window.observed[$0 * 2] == 0 } }
        XCTAssertEqual(hidden.map(\.count), [4, 4])
        XCTAssertEqual(try layout.windows(for: b.testTargets, missing: .random(fraction: 0.5), key: RandomKey(seed: 3)).map(\.observed), random.map(\.observed))
        XCTAssertNotEqual(try layout.windows(for: b.testTargets, missing: .random(fraction: 0.5), key: RandomKey(seed: 4)).map(\.observed), random.map(\.observed))
        XCTAssertThrowsError(try layout.windows(for: b.testTargets, missing: .blockAtEnd(fraction: 2)))
    }

    /// GluonTS rolling windows: the last k windows of the horizon.
    func testBacktestWindows() throws {
        let s = TimeSeries(name: "s", frequency: .hourly, values: (0..<100).map { Double($0 % 7) })
        let b = try Backtest(series: [s], predictionLength: 10, windows: 3, history: 20, seasonality: 7)
        XCTAssertEqual(b.testStarts(0), [70, 80, 90])
        XCTAssertEqual(b.trainingEnd, [70])
        let v = b.validationTargets(count: 2, history: 20)
        XCTAssertEqual(v.first?.starts, [50, 60])
        XCTAssertEqual(v.first?.series.count, 70)
        // The validation backtest is the same protocol one period earlier: its test windows are
        // the validation targets, and a series too short to hold them is left out.
        let short = TimeSeries(name: "short", frequency: .hourly, values: (0..<60).map { Double($0 % 5) })
        let both = try Backtest(series: [s, short], predictionLength: 10, windows: 3, history: 20, seasonality: 7)
        let validation = try XCTUnwrap(both.validation(windows: 2, history: 20))
        XCTAssertEqual(validation.series.map(\.name), ["s"])
        XCTAssertEqual(validation.testStarts(0), [50, 60])
        XCTAssertEqual(validation.series[0].values, Array(s.values[0..<70]))
        XCTAssertNil(b.validation(windows: 6, history: 20))
        // A series with no observation in its validation windows is left out; the others stay.
        let gap = TimeSeries(name: "gap", frequency: .hourly, values: (0..<100).map { (50..<70).contains($0) ? nil : Double($0 % 3) })
        XCTAssertEqual(try Backtest(series: [gap, s], predictionLength: 10, windows: 3, history: 20, seasonality: 7)
            .validation(windows: 2, history: 20)?.series.map(\.name), ["s"])
        // Training held out of the validation windows stops at the first one, unless no
        // training window (history + horizon) would be left before it.
        XCTAssertEqual(b.trainingEnd(holdingOutValidation: 2, history: 20), [50])
        XCTAssertEqual(b.trainingEnd(holdingOutValidation: 5, history: 20), [70])
    }

    /// The choice on validation: the lowest finite CRPS, the earliest on a tie; failed
    /// candidates never win; no finite candidate is an error naming them.
    func testValidationChoice() throws {
        let choice = try ValidationChoice(candidates: [.init(name: "tsdiff-q@2", crps: .infinity), .init(name: "a", crps: 0.5),
                                                       .init(name: "b", crps: 0.25), .init(name: "c", crps: 0.25), .init(name: "d", crps: .nan)])
        XCTAssertEqual(choice.chosen.name, "b")
        XCTAssertEqual(choice.summary, "b 0.2500 (tsdiff-q@2 failed, a 0.5000, c 0.2500, d failed)")
        XCTAssertThrowsError(try ValidationChoice(candidates: [.init(name: "x", crps: .infinity)])) { error in
            XCTAssertTrue("\(error)".contains("x"), "\(error)")
        }
    }

    /// The benchmark manifest: the bundled one reads, and each malformed field is named.
    func testForecastBenchmarkManifest() throws {
        let bundled = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Datasets/timeseries/benchmark.json")
        let manifest = try ForecastBenchmark.load(bundled)
        XCTAssertGreaterThanOrEqual(manifest.datasets.count, 8)
        for d in manifest.datasets {
            let file = bundled.deletingLastPathComponent().appendingPathComponent(d.file)
            let header = try XCTUnwrap(String(contentsOf: file, encoding: .utf8).split(separator: "\n").first).split(separator: ",").map(String.init)
            for column in d.targets + d.covariates { XCTAssertTrue(header.contains(column), "\(d.file) has no column \(column)") }
            // Its holiday calendar reads and covers the series' years.
            if let holidays = d.holidays {
                let calendar = try HolidayCalendar(contentsOf: bundled.deletingLastPathComponent().appendingPathComponent(holidays))
                let dataset = try TimeSeriesDataset.loadWide(file, columns: d.targets)
                let years = Set(calendar.days.map { Timestamp.civil($0 * 86_400).year })
                for s in dataset.series {
                    let first = Timestamp.civil(s.start).year, last = Timestamp.civil(s.timestamp(at: s.count - 1)).year
                    XCTAssertTrue((first...last).allSatisfy(years.contains), "\(holidays) does not cover \(first)–\(last) of \(d.name)")
                }
            }
        }
        func message(_ json: String) -> String {
            do { _ = try ForecastBenchmark.decode(Data(json.utf8), source: "m.json"); return "accepted" } catch { return "\(error)" }
        }
        let good = #"{"datasets": [{"name": "a", "file": "a.csv", "targets": ["y"], "covariates": []}], "windows": 7}"#
        XCTAssertEqual(message(good), "accepted")
        XCTAssertEqual(try ForecastBenchmark.decode(Data(good.utf8), source: "m").windows(of: ForecastBenchmark.Dataset(name: "a", file: "a.csv", targets: ["y"], windows: 3)), 3)
        let cases: [(String, String)] = [
            (#"{"datasets": [], "windows": 7}"#, "'datasets'"),
            (#"{"datasets": [{"name": "a", "file": "a.csv", "targets": ["y"], "covariates": []}], "windows": 0}"#, "'windows'"),
            (#"{"datasets": [{"name": "a/b", "file": "a.csv", "targets": ["y"], "covariates": []}], "windows": 7}"#, "'datasets[0].name'"),
            (#"{"datasets": [{"name": "a", "file": "../a.csv", "targets": ["y"], "covariates": []}], "windows": 7}"#, "'datasets[0].file'"),
            (#"{"datasets": [{"name": "a", "file": "/etc/a.csv", "targets": ["y"], "covariates": []}], "windows": 7}"#, "'datasets[0].file'"),
            (#"{"datasets": [{"name": "a", "file": "a.csv", "targets": [], "covariates": []}], "windows": 7}"#, "'datasets[0].targets'"),
            (#"{"datasets": [{"name": "a", "file": "a.csv", "targets": ["y", "y"], "covariates": []}], "windows": 7}"#, "named twice"),
            (#"{"datasets": [{"name": "a", "file": "a.csv", "targets": ["y,z"], "covariates": []}], "windows": 7}"#, "comma"),
            (#"{"datasets": [{"name": "a", "file": "a.csv", "targets": ["y"], "covariates": [], "windows": 5000}], "windows": 7}"#, "'datasets[0].windows'"),
            (#"{"datasets": [{"name": "a", "file": "a.csv", "covariates": []}], "windows": 7}"#, "'datasets[0].targets' is missing"),
            (#"{"datasets": [{"name": "a", "file": "a.csv", "targets": ["y"], "covariates": []}], "windows": 2.5}"#, "not a benchmark manifest"),
            (#"{"datasets": [{"name": "a", "file": "a.csv", "targets": ["y"], "covariates": []}], "windows": 1e300}"#, "not"),
            (#"{"datasets": [{"name": "a", "file": "a.csv", "targets": ["y"], "covariates": ["x"], "knownFuture": ["z"]}], "windows": 7}"#, "'datasets[0].knownFuture'"),
            (#"{"datasets": [{"name": "a", "file": "a.csv", "targets": ["y"], "covariates": [], "holidays": "../h.csv"}], "windows": 7}"#, "'datasets[0].holidays'"),
            (#"{"datasets": [{"name": "a", "file": "a.csv", "name": "b", "targets": ["y"], "covariates": []}], "windows": 7}"#, "key 'name' appears twice"),
            ("[1, 2", "not JSON"),
        ]
        for (json, expected) in cases {
            let text = message(json)
            XCTAssertTrue(text.contains("m.json") && text.contains(expected), "\(json): \(text)")
        }
    }

    func testWideAndLongLoading() throws {
        let wide = try temporaryFile("time,a,b\n2024-01-01 00:00,1,5\n2024-01-01 01:00,,6\n2024-01-01 02:00,3,NaN\n")
        let d = try TimeSeriesDataset.loadWide(wide)
        XCTAssertEqual(d.frequency, .hourly)
        XCTAssertEqual(d.series.map(\.name), ["a", "b"])
        XCTAssertEqual(d.series[0].observed, [true, false, true])
        XCTAssertEqual(d.series[1].observed, [true, true, false])
        XCTAssertEqual(d.series[0].start, Timestamp.parse("2024-01-01 00:00"))
        let long = try temporaryFile("id,timestamp,value\nx,2024-01-01,1\nx,2024-01-02,2\ny,2024-01-01,3\ny,2024-01-02,4\n")
        let l = try TimeSeriesDataset.loadLong(long, idColumn: "id", timestampColumn: "timestamp", valueColumn: "value")
        XCTAssertEqual(l.frequency, .daily)
        XCTAssertEqual(l.series.map(\.values), [[1, 2], [3, 4]])
    }

    func testTimestampRoundTrip() {
        let t = Timestamp.parse("2018-12-31T23:00:00Z")!
        XCTAssertEqual(Timestamp.format(t), "2018-12-31 23:00")
        XCTAssertEqual(Timestamp.parse("1970-01-02"), 86_400)
        XCTAssertNil(Timestamp.parse("2018-13-01"))
        XCTAssertNil(Timestamp.parse("yesterday"))
    }

    // MARK: Bad input

    func testUnparsableTimestampNamesTheLine() throws {
        let url = try temporaryFile("time,a\n2024-01-01 00:00,1\nnoon,2\n")
        XCTAssertThrowsError(try TimeSeriesDataset.loadWide(url)) { error in
            guard case let TimeSeriesError.unparsableTimestamp(source, line, text) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(source, url.path)
            XCTAssertEqual(line, 3)
            XCTAssertEqual(text, "noon")
        }
    }

    func testIrregularSpacingNamesTheLine() throws {
        let url = try temporaryFile("time,a\n2024-01-01 00:00,1\n2024-01-01 01:00,2\n2024-01-01 02:00,2\n2024-01-01 04:00,3\n")
        XCTAssertThrowsError(try TimeSeriesDataset.loadWide(url)) { error in
            guard case let TimeSeriesError.irregularSpacing(_, line, expected, found) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(line, 5)
            XCTAssertEqual(expected, 3600)
            XCTAssertEqual(found, 7200)
        }
        let unsorted = try temporaryFile("time,a\n2024-01-01 01:00,1\n2024-01-01 00:00,2\n")
        XCTAssertThrowsError(try TimeSeriesDataset.loadWide(unsorted)) { error in
            guard case TimeSeriesError.unsortedTimestamps(_, 3) = error else { return XCTFail("\(error)") }
        }
    }

    /// Calendar months: hand-computed steps (month ends across leap and common Februaries, a day
    /// the next month lacks, steps back over a year's start), inference from month-start and
    /// month-end files, step indices with `--frequency M`, a missing month named by its line, the
    /// frequency's codes, seasons, defaults and calendar features.
    func testMonthlySeries() throws {
        func t(_ text: String) -> Int64 { Timestamp.parse(text)! }
        let m = Frequency.monthly, e = Frequency.monthEnd
        XCTAssertEqual(e.timestamp(from: t("2024-01-31"), steps: 1), t("2024-02-29"))
        XCTAssertEqual(e.timestamp(from: t("2024-01-31"), steps: 2), t("2024-03-31"))
        XCTAssertEqual(e.timestamp(from: t("2023-01-31"), steps: 1), t("2023-02-28"))
        XCTAssertEqual(e.timestamp(from: t("2023-02-28"), steps: 12), t("2024-02-29"))
        XCTAssertEqual(m.timestamp(from: t("2023-02-28"), steps: 12), t("2024-02-28"))
        XCTAssertEqual(e.timestamp(from: t("2024-03-31 18:00"), steps: -1), t("2024-02-29 18:00"))
        XCTAssertEqual(m.timestamp(from: t("2023-01-30 06:30"), steps: 1), t("2023-02-28 06:30"))   // clamped
        XCTAssertEqual(m.timestamp(from: t("2024-01-15"), steps: -13), t("2022-12-15"))
        XCTAssertEqual(m.timestamp(from: 0, steps: 25), t("1972-02-01"))
        XCTAssertEqual(Frequency(code: "ME"), .monthEnd)
        XCTAssertEqual(e.seasons, [12])
        XCTAssertEqual(TSDiffConfiguration.standard(frequency: .monthEnd).layout.predictionLength, 12)
        XCTAssertEqual(Frequency(code: "M"), .monthly)
        XCTAssertEqual(Frequency(code: "MS"), .monthly)
        XCTAssertEqual(Frequency(code: "monthly"), .monthly)
        XCTAssertEqual(Frequency(code: "30min"), .minutes(30))
        XCTAssertEqual(m.description, "monthly")
        XCTAssertEqual(m.seasons, [12])
        XCTAssertEqual(m.seasonality, 12)
        XCTAssertEqual(m.tsdiffLags, [])
        XCTAssertTrue(m.isValid)
        let standard = TSDiffConfiguration.standard(frequency: .monthly)
        XCTAssertEqual([standard.layout.contextLength, standard.layout.predictionLength], [48, 12])
        XCTAssertNoThrow(try standard.validate())
        XCTAssertEqual(CalendarFeature.defaults(for: .monthly), [.monthOfYear])
        XCTAssertEqual(CalendarFeature.rows([.monthOfYear], start: t("2023-11-30"), frequency: .monthly, count: 3).map { $0[0] },
                       [10.0 / 11 - 0.5, 11.0 / 11 - 0.5, -0.5])

        let starts = try TimeSeriesDataset.loadWide(temporaryFile("month,a\n2023-11-01,1\n2023-12-01,2\n2024-01-01,\n2024-02-01,4\n2024-03-01,5\n"))
        XCTAssertEqual(starts.frequency, .monthly)
        XCTAssertEqual(starts.series[0].timestamp(at: 3), t("2024-02-01"))
        XCTAssertEqual(starts.series[0].observed, [true, true, false, true, true])
        let ends = try TimeSeriesDataset.loadWide(temporaryFile("month,a\n2023-12-31,1\n2024-01-31,2\n2024-02-29,3\n2024-03-31,4\n2024-04-30,5\n"))
        XCTAssertEqual(ends.frequency, .monthEnd)
        // Day 28 from a common February is day-28 data when the next row says so; day 30 is refused.
        let day28 = try TimeSeriesDataset.loadWide(temporaryFile("month,a\n2023-02-28,1\n2023-03-28,2\n2023-04-28,3\n"))
        XCTAssertEqual(day28.frequency, .monthly)
        XCTAssertEqual(day28.series[0].timestamp(at: 12), t("2024-02-28"))
        XCTAssertThrowsError(try TimeSeriesDataset.loadWide(temporaryFile("month,a\n2023-01-30,1\n2023-02-28,2\n2023-03-30,3\n"))) { error in
            XCTAssertTrue("\(error)".contains(":2: a monthly series starts on day 30"), "\(error)")
        }
        XCTAssertEqual(ends.series[0].slice(2..<5).timestamp(at: 2), t("2024-04-30"))
        let indices = try TimeSeriesDataset.loadWide(temporaryFile("step,a\n0,1\n1,2\n2,3\n"), frequency: .monthly)
        XCTAssertEqual(indices.series[0].timestamp(at: 2), t("1970-03-01"))
        let gap = try temporaryFile("month,a\n2024-01-01,1\n2024-02-01,2\n2024-03-01,3\n2024-05-01,4\n")
        XCTAssertThrowsError(try TimeSeriesDataset.loadWide(gap)) { error in
            guard case let TimeSeriesError.irregularMonth(_, line, expected, found) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(line, 5)
            XCTAssertEqual(expected, t("2024-04-01"))
            XCTAssertEqual(found, t("2024-05-01"))
            XCTAssertTrue("\(error)".contains("2024-04-01 00:00"), "\(error)")
        }
        // A fixed 30-day interval is read as such when the frequency says so.
        let fixed = try TimeSeriesDataset.loadWide(temporaryFile("day,a\n2024-01-01,1\n2024-01-31,2\n2024-03-01,3\n"), frequency: .seconds(30 * 86_400))
        XCTAssertEqual(fixed.frequency, .seconds(30 * 86_400))
    }

    func testMalformedCellsAreErrors() throws {
        let text = try temporaryFile("time,a\n2024-01-01 00:00,1\n2024-01-01 01:00,abc\n")
        XCTAssertThrowsError(try TimeSeriesDataset.loadWide(text)) { error in
            XCTAssertTrue("\(error)".contains("3"), "the error names the line: \(error)")
        }
        let ragged = try temporaryFile("time,a\n2024-01-01 00:00,1,7\n")
        XCTAssertThrowsError(try TimeSeriesDataset.loadWide(ragged))
        let missingColumn = try temporaryFile("time,a\n2024-01-01 00:00,1\n")
        XCTAssertThrowsError(try TimeSeriesDataset.loadWide(missingColumn, columns: ["b"]))
        let infinite = try temporaryFile("time,a\n2024-01-01 00:00,inf\n")
        XCTAssertThrowsError(try TimeSeriesDataset.loadWide(infinite))
    }

    func testTooShortConstantAndAllMissingSeriesAreErrors() {
        let short = TimeSeries(name: "short", frequency: .hourly, values: [1, 2, 3])
        XCTAssertThrowsError(try Backtest(series: [short], predictionLength: 2, windows: 1, history: 4, seasonality: 1)) { error in
            XCTAssertEqual(error as? TimeSeriesError, .tooShort(series: "short", needed: 6, available: 3))
        }
        let constant = TimeSeries(name: "flat", frequency: .hourly, values: [Double](repeating: 2, count: 20))
        XCTAssertThrowsError(try Backtest(series: [constant], predictionLength: 2, windows: 1, history: 4, seasonality: 1)) { error in
            XCTAssertEqual(error as? TimeSeriesError, .constant(series: "flat"))
        }
        let empty = TimeSeries(name: "void", frequency: .hourly, values: [Double?](repeating: nil, count: 20))
        XCTAssertThrowsError(try Backtest(series: [empty], predictionLength: 2, windows: 1, history: 4, seasonality: 1)) { error in
            XCTAssertEqual(error as? TimeSeriesError, .allMissing(series: "void"))
        }
        XCTAssertThrowsError(try Backtest(series: [short], predictionLength: 0, windows: 1, history: 1, seasonality: 1))
        // The seasonal baselines need one season of history before the first test window.
        let ramp = TimeSeries(name: "ramp", frequency: .hourly, values: (0..<20).map(Double.init))
        XCTAssertThrowsError(try Backtest(series: [ramp], predictionLength: 2, windows: 1, history: 4, seasonality: 24)) { error in
            XCTAssertEqual(error as? TimeSeriesError, .tooShort(series: "ramp", needed: 26, available: 20))
        }
        // A test period without observations has nothing to score.
        let unobservedEnd = TimeSeries(name: "gap", frequency: .hourly, values: (0..<20).map { $0 < 18 ? Double($0) : nil })
        XCTAssertThrowsError(try Backtest(series: [unobservedEnd], predictionLength: 2, windows: 1, history: 4, seasonality: 1))
    }

    /// Consecutive integer timestamps are step indices: they need a frequency and then take it;
    /// other integers are seconds (Unix time).
    func testIntegerStepIndices() throws {
        let steps = try temporaryFile("t,a\n0,1\n1,2\n2,4\n3,3\n")
        XCTAssertThrowsError(try TimeSeriesDataset.loadWide(steps)) { error in
            XCTAssertTrue("\(error)".contains("--frequency"), "\(error)")
        }
        let hourly = try TimeSeriesDataset.loadWide(steps, frequency: .hourly)
        XCTAssertEqual(hourly.frequency, .hourly)
        XCTAssertEqual(hourly.series[0].values, [1, 2, 4, 3])
        let long = try temporaryFile("id,t,v\nx,0,1\nx,1,2\ny,0,3\ny,1,4\n")
        XCTAssertEqual(try TimeSeriesDataset.loadLong(long, idColumn: "id", timestampColumn: "t", valueColumn: "v", frequency: .daily).frequency, .daily)
        // A one-row series first does not decide the frequency of the others.
        let daily = try temporaryFile("id,t,v\nshort,2024-01-01,1\nlong,2024-01-01,1\nlong,2024-01-02,2\nlong,2024-01-03,5\n")
        let mixed = try TimeSeriesDataset.loadLong(daily, idColumn: "id", timestampColumn: "t", valueColumn: "v")
        XCTAssertEqual(mixed.frequency, .daily)
        XCTAssertEqual(mixed.series.map(\.name), ["short", "long"])
        let unix = try temporaryFile("t,a\n1546300800,1\n1546304400,2\n1546308000,3\n")
        XCTAssertEqual(try TimeSeriesDataset.loadWide(unix).frequency, .hourly)
    }

    /// Minute codes go through seconds, so 60min is hourly (with its lags) and 1440min daily.
    func testMinuteCodesNormalise() {
        XCTAssertEqual(Frequency(code: "60min"), .hourly)
        XCTAssertEqual(Frequency(code: "1440T"), .daily)
        XCTAssertEqual(Frequency(code: "15min"), .minutes(15))
    }
}
