import DiffuseCore
import DiffuseTensor
@testable import DiffuseTimeSeries
import Foundation
import XCTest

/// Static attributes: the file reader, their encoding as conditioning channels (computed by
/// hand), their place in a window, the checks a checkpoint makes, and the configuration fields.
final class StaticAttributesTests: XCTestCase {
    let text = """
        series,region,capacity,note
        north,cold,10,
        south,warm,20,x
        "east, coast",warm,NA,y
        spare,cold,40,z

        """

    func series(_ names: [String]) -> [TimeSeries] {
        names.map { TimeSeries(name: $0, start: 0, frequency: .hourly, values: (0..<48).map { Double($0 % 24) }) }
    }

    func testReaderAttachesEachSeriesRow() throws {
        let attributes = try StaticAttributes(table: CSVTable(text: text, source: "static.csv"))
        XCTAssertEqual(attributes.names, ["region", "capacity", "note"])
        XCTAssertEqual(attributes.values["east, coast"], ["region": "warm", "capacity": "NA", "note": "y"])
        // Rows naming series not in the data ("spare") are ignored; every series needs a row.
        let attached = try attributes.attached(to: series(["south", "north", "east, coast", " spare"]))
        XCTAssertEqual(attached.map { $0.attributes["region"] }, ["warm", "cold", "warm", "cold"])   // a long file's id " spare" meets the row "spare"
        XCTAssertEqual(attached[0].slice(3..<10).attributes, attached[0].attributes)
        XCTAssertThrowsError(try attributes.attached(to: series(["west"]))) {
            XCTAssertTrue("\($0)".contains("static.csv: no row for series 'west'"), "\($0)")
        }
        func refused(_ text: String, _ expected: String) {
            XCTAssertThrowsError(try StaticAttributes(table: CSVTable(text: text, source: "bad.csv"))) { XCTAssertTrue("\($0)".contains(expected), "\($0)") }
        }
        refused("series\na\n", "at least one attribute column")
        refused("series,k\na,1\na,2\n", "bad.csv:3: column 'series': series 'a' is named again (first on line 2)")
        refused("series,k\n ,1\n", "bad.csv:2: column 'series': the series name is empty")
        refused("series," + (0...64).map { "k\($0)" }.joined(separator: ",") + "\n", "65 attribute columns")
    }

    /// Numeric attributes are standardised over the series (each once, missing left out), and
    /// categorical ones are indicators over the sorted categories; a missing value is 0.
    func testEncodingByHand() throws {
        let attributes = try StaticAttributes(table: CSVTable(text: text, source: "static.csv"))
        // Each series has a covariate equal to its step index: over the 3 × 48 steps mean 23.5 and
        // sample standard deviation √((48² − 1)/12 · 144/143).
        let data = try attributes.attached(to: series(["north", "south", "east, coast"]).map { s in
            var s = s
            s.covariates = [Covariate(name: "step", values: (0..<48).map(Double.init))]
            return s
        })
        let conditioning = try SeriesConditioning.fitted(calendar: [.hourOfDay], covariates: ["step"], attributes: ["region", "capacity", "note"], series: data)
        let deviation = ((48.0 * 48 - 1) / 12 * 144 / 143).squareRoot()
        XCTAssertEqual(conditioning.covariates[0].mean, 23.5)
        XCTAssertEqual(conditioning.covariates[0].standardDeviation, deviation, accuracy: 1e-12)
        // capacity: 10 and 20 (east is missing): mean 15, sample standard deviation √50.
        XCTAssertEqual(conditioning.attributes, [
            .init(name: "region", encoding: .categorical(categories: ["cold", "warm"])),
            .init(name: "capacity", encoding: .numeric(mean: 15, standardDeviation: 50.0.squareRoot())),
            .init(name: "note", encoding: .categorical(categories: ["x", "y"])),
        ])
        XCTAssertEqual(conditioning.channels, 1 + 1 + 2 + 1 + 2)
        let f = 7
        let expected: [[Float]] = [[1, 0, Float(-5 / 50.0.squareRoot()), 0, 0], [0, 1, Float(5 / 50.0.squareRoot()), 1, 0], [0, 1, 0, 0, 1]]
        for (s, statics) in zip(data, expected) {
            let rows = conditioning.rows(s, from: 20, count: 6, forecastStart: 24)
            for t in 0..<6 {
                // Calendar, covariate (past only: 0 from the forecast start), attributes.
                XCTAssertEqual(rows[t * f], Float(Double((20 + t) % 24) / 23 - 0.5))
                XCTAssertEqual(rows[t * f + 1], 20 + t < 24 ? Float((Double(20 + t) - 23.5) / deviation) : 0, "\(s.name), step \(t)")
                XCTAssertEqual(Array(rows[(t * f + 2)..<(t * f + f)]), statics, "\(s.name), step \(t)")
            }
        }
        // A window of the layout carries the same channels.
        let layout = WindowLayout(contextLength: 12, predictionLength: 4, lags: [], conditioning: conditioning)
        let window = layout.window(data[1], forecastStart: 30, revealFuture: false)
        XCTAssertEqual(Array(window.conditioning[2..<f]), expected[1])
        XCTAssertEqual(Array(window.conditioning[(15 * f + 2)..<(16 * f)]), expected[1])
    }

    /// A series' attributes must be present and take the model's encoding: a category never seen
    /// in training and text where a number is read are refused with the series and attribute.
    func testChecksNameTheSeriesAndAttribute() throws {
        let attributes = try StaticAttributes(table: CSVTable(text: text, source: "static.csv"))
        let conditioning = try SeriesConditioning.fitted(covariates: [], attributes: ["region", "capacity"], series: attributes.attached(to: series(["north", "south"])))
        var s = series(["new"])[0]
        XCTAssertThrowsError(try conditioning.check(s)) { XCTAssertTrue("\($0)".contains("series 'new' has no static attribute 'region'"), "\($0)") }
        s.attributes = ["region": "temperate", "capacity": "5"]
        XCTAssertThrowsError(try conditioning.check(s)) {
            XCTAssertTrue("\($0)".contains("'region' is 'temperate', a category the model was not trained on (it knows 'cold', 'warm')"), "\($0)")
        }
        s.attributes = ["region": "cold", "capacity": "big"]
        XCTAssertThrowsError(try conditioning.check(s)) { XCTAssertTrue("\($0)".contains("'capacity' is 'big', where the model reads a number"), "\($0)") }
        s.attributes = ["region": "", "capacity": "1e300"]
        XCTAssertThrowsError(try conditioning.check(s)) { XCTAssertTrue("\($0)".contains("'capacity' is '1e300'"), "\($0)") }
        s.attributes = ["region": "", "capacity": "25"]
        XCTAssertNoThrow(try conditioning.check(s))
        XCTAssertThrowsError(try SeriesConditioning.fitted(covariates: [], attributes: ["region", "region"], series: attributes.attached(to: series(["north"])))) {
            XCTAssertTrue("\($0)".contains("named twice"), "\($0)")
        }
        // More categories than a model may have.
        let many = (0...SeriesConditioning.maximumCategories).map { k -> TimeSeries in
            var s = series(["s\(k)"])[0]
            s.attributes = ["id": "c\(k)"]
            return s
        }
        XCTAssertThrowsError(try SeriesConditioning.fitted(covariates: [], attributes: ["id"], series: many)) { XCTAssertTrue("\($0)".contains("257 categories"), "\($0)") }
        // Together, attributes may make at most maximumAttributeChannels channels.
        let wide = (0..<210).map { k -> TimeSeries in
            var s = series(["s\(k)"])[0]
            s.attributes = Dictionary(uniqueKeysWithValues: (0..<5).map { ("a\($0)", "c\(k)") })
            return s
        }
        XCTAssertThrowsError(try SeriesConditioning.fitted(covariates: [], attributes: (0..<5).map { "a\($0)" }, series: wide)) {
            XCTAssertTrue("\($0)".contains("make 1050 channels, more than 1024"), "\($0)")
        }
        // Mostly numbers with some text is refused as a likely typo; numbers beyond the arithmetic's range too.
        func fit(_ values: [String]) throws {
            let data = values.enumerated().map { k, v -> TimeSeries in
                var s = series(["s\(k)"])[0]
                s.attributes = ["capacity": v]
                return s
            }
            _ = try SeriesConditioning.fitted(covariates: [], attributes: ["capacity"], series: data)
        }
        XCTAssertThrowsError(try fit(["1.5", "2", "1,5"])) { XCTAssertTrue("\($0)".contains("series 's2': static attribute 'capacity' is '1,5' where 2 of 3 series hold a decimal number"), "\($0)") }
        XCTAssertThrowsError(try fit(["1", "2e200"])) { XCTAssertTrue("\($0)".contains("series 's1': static attribute 'capacity' is 2e200, beyond"), "\($0)") }
        XCTAssertNoThrow(try fit(["a1", "2", "b"]))   // mostly text: categorical
    }

    /// A configuration saved before static attributes existed reads with none; one with them
    /// round-trips; hand-edited fields are refused with the field's name, and a joint model
    /// cannot have them.
    func testConfigurationFields() throws {
        let conditioning = SeriesConditioning(calendar: [.dayOfWeek], attributes: [.init(name: "region", encoding: .categorical(categories: ["a", "b"])),
                                                                                  .init(name: "size", encoding: .numeric(mean: 2, standardDeviation: 3))])
        let configuration = TSDiffConfiguration(layout: WindowLayout(contextLength: 24, predictionLength: 6, lags: [], conditioning: conditioning), frequency: .hourly)
        XCTAssertEqual(configuration.backbone.conditioningChannels, 4)
        XCTAssertNoThrow(try configuration.validate())
        let json = try JSONEncoder().encode(configuration)
        XCTAssertEqual(try JSONDecoder().decode(TSDiffConfiguration.self, from: json), configuration)
        var withoutAttributes = configuration
        withoutAttributes.layout.conditioning.attributes = []
        withoutAttributes.backbone.conditioningChannels = 1
        let older = try JSONSerialization.jsonObject(with: JSONEncoder().encode(withoutAttributes)) as! [String: Any]
        var layout = older["layout"] as! [String: Any], stored = layout["conditioning"] as! [String: Any]
        stored.removeValue(forKey: "attributes")
        layout["conditioning"] = stored
        var file = older
        file["layout"] = layout
        XCTAssertEqual(try JSONDecoder().decode(TSDiffConfiguration.self, from: JSONSerialization.data(withJSONObject: file)), withoutAttributes)
        func refused(_ edit: (inout TSDiffConfiguration) -> Void, _ field: String) {
            var c = configuration
            edit(&c)
            XCTAssertThrowsError(try c.validate(), field) { XCTAssertTrue("\($0)".contains(field), "\($0)") }
        }
        refused({ $0.layout.conditioning.attributes[1].encoding = .numeric(mean: 0, standardDeviation: 0) }, "attributes[1].encoding.numeric.standardDeviation")
        refused({ $0.layout.conditioning.attributes[1].encoding = .numeric(mean: .infinity, standardDeviation: 1) }, "attributes[1].encoding.numeric.mean")
        refused({ $0.layout.conditioning.attributes[0].encoding = .categorical(categories: []) }, "attributes[0].encoding.categorical.categories")
        refused({ $0.layout.conditioning.attributes[0].encoding = .categorical(categories: ["a", "a"]) }, "repeats a category")
        refused({ $0.layout.conditioning.attributes[0].encoding = .categorical(categories: ["a", "NA"]) }, "missing-value marker")
        refused({ $0.layout.conditioning.attributes[1].name = "region"; $0.backbone.conditioningChannels = 4 }, "attributes[1].name")
        refused({ $0.backbone.conditioningChannels = 3 }, "backbone.conditioningChannels")
        refused({ $0.jointSeries = 2; $0.backbone.channels = $0.channels }, "a joint model's channels are its series")
    }

    /// A small model of four hourly series that are flat from midnight to noon and then, by
    /// category, bump up or down: the test window's context (the flat morning) is the same for
    /// both categories and only the static attribute tells the horizon (the bump) apart; the
    /// hour of day (a calendar channel) tells when the bump starts. Told each series' category it
    /// forecasts far better than told the other one (measured: CRPS 0.057 against 0.73).
    func testModelReadsItsStaticAttribute() throws {
        let period = 24, length = 480
        var stream = RandomStream(seed: 12)
        let categories = ["rise", "fall", "rise", "fall"]
        let data = categories.enumerated().map { k, category -> TimeSeries in
            let values = (0..<length).map { i -> Double in
                let phase = Double(i % period)
                let shape = phase < 12 ? 0 : (category == "rise" ? 5 : -5) * Foundation.sin(Double.pi * (phase - 11) / 13)
                return 10 + shape + 0.1 * stream.normal(Double.self)
            }
            var s = TimeSeries(name: "s\(k)", frequency: .hourly, values: values)
            s.attributes = ["kind": category]
            return s
        }
        let backtest = try Backtest(series: data, predictionLength: 12, windows: 1, history: 12, seasonality: 12)
        let conditioning = try SeriesConditioning.fitted(calendar: [.hourOfDay], covariates: [], attributes: ["kind"], series: data, trainingEnd: backtest.trainingEnd)
        let layout = WindowLayout(contextLength: 12, predictionLength: 12, lags: [], conditioning: conditioning)
        let crps = try ConditioningTests.trainedSmallModel(layout, series: data, backtest: backtest)
        let told = try crps(backtest.testTargets)
        let swapped = backtest.testTargets.map { target -> (series: TimeSeries, starts: [Int]) in
            var s = target.series
            s.attributes["kind"] = s.attributes["kind"] == "rise" ? "fall" : "rise"
            return (s, target.starts)
        }
        let misinformed = try crps(swapped)
        XCTAssertLessThan(told, 0.3 * misinformed, "CRPS told the categories \(told), told the other ones \(misinformed)")
    }
}
