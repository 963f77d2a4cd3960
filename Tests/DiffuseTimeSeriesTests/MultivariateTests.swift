import DiffuseCore
import DiffuseNN
import DiffuseTensor
@testable import DiffuseTimeSeries
import Foundation
import XCTest

/// The joint model of a group of series: windows stacked along the channels, guidance on all
/// observed channels at once, paths split back per series; GluonTS's multivariate scores.
final class MultivariateTests: XCTestCase {
    static let layout = WindowLayout(contextLength: 24, predictionLength: 12, lags: [12])

    static func pair(length: Int = 120) -> [TimeSeries] {
        var stream = RandomStream(seed: 9)
        return (0..<2).map { k in
            TimeSeries(name: "s\(k)", start: 3600 * 1000, frequency: .hourly, values: (0..<length).map { i in
                5 + 3 * Double(k) + (1 + Double(k)) * Foundation.sin(2 * Double.pi * Double(i) / 12 + Double(k)) + 0.1 * stream.normal(Double.self)
            })
        }
    }

    static func smallModel(jointSeries: Int = 1, seed: UInt64 = 3) -> TSDiff {
        let channels = jointSeries * layout.channels
        return TSDiff(configuration: TSDiffConfiguration(layout: layout, backbone: TSDiffBackboneConfiguration(channels: channels, hidden: 16, blocks: 1, stepEmbedding: 16, stateSize: 8),
                                                         diffusionSteps: 50, frequency: .hourly, jointSeries: jointSeries), seed: seed)
    }

    /// With a network that treats each series' channels on their own (the univariate network on
    /// each block), guiding the stacked window on all observed channels at once gives, block by
    /// block, exactly the univariate guided draws from the same noise: the joint energy and its
    /// gradient separate over the series.
    func testJointGuidanceEqualsUnivariateWhenSeriesAreIndependent() {
        let model = Self.smallModel()
        let c = Self.layout.channels, l = Self.layout.length, n = 6
        let bound = model.parameters.constants
        let blockwise = NetworkModel<Float>(type: .noise, schedule: model.schedule) { x, point in
            let steps = [Double](repeating: point.time, count: x.shape[0])
            return Variable.concatenate((0..<2).map { m in model.backbone(x.slice(axis: 2, (m * c)..<((m + 1) * c)), steps: steps, bound) }, alongAxis: 2)
        }
        let windows = Self.pair().map { Self.layout.window($0, forecastStart: 90, revealFuture: false) }
        let (input, mask) = WindowLayout.stacked(windows, channels: c)
        let levels = (0..<n).map { Double($0 + 1) / Double(n + 1) }
        func repeated(_ rows: [Float], channels: Int) -> Tensor<Float> { Tensor(shape: [n, l, channels], scalars: Array((0..<n).map { _ in rows }.joined())) }
        let noise = Tensor<Float>.randomNormal(shape: [n, l, 2 * c], key: RandomKey(seed: 4))
        for (loss, scale) in [(GuidanceLoss.quantile, 1.0), (.meanSquared, 0.2)] {
            let options = ForecastOptions(samples: n, loss: loss, scale: scale, sampler: .ddim(steps: 10))
            let joint = model.guidedSamples(blockwise, observed: repeated(input, channels: 2 * c), mask: repeated(mask, channels: 2 * c), levels: levels,
                                            from: noise, options: options, key: RandomKey(seed: 5), sampleOffset: 0)
            for m in 0..<2 {
                let alone = model.guidedSamples(model.noiseModel(), observed: repeated(windows[m].input, channels: c), mask: repeated(windows[m].observed, channels: c),
                                                levels: levels, from: noise.slice(axis: 2, (m * c)..<((m + 1) * c)).contiguous(), options: options,
                                                key: RandomKey(seed: 5), sampleOffset: 0)
                let block = joint.slice(axis: 2, (m * c)..<((m + 1) * c)).contiguous()
                XCTAssertLessThan((block - alone).abs().max().scalar, 1e-4, "\(loss), series \(m)")
                XCTAssertGreaterThan((alone - noise.slice(axis: 2, (m * c)..<((m + 1) * c)).contiguous()).abs().max().scalar, 0.1)
            }
        }
    }

    /// A joint model's forecast: window w of every series drawn together, split back per series
    /// in the order of the windows, scaled by each series' own scale — checked against the same
    /// draw assembled by hand from the stacked windows and the same noise.
    func testJointForecastSplitsEachDrawIntoItsSeries() throws {
        var model = Self.smallModel(jointSeries: 2)
        let series = Self.pair()
        // A little training, so that guided draws stay within the divergence check.
        _ = try TSDiffTrainer(options: TSDiffTrainingOptions(steps: 150, batchSize: 16, learningRate: 2e-3, seed: 1)).train(&model, series: series, trainingEnd: [84, 84])
        let targets = series.map { ($0, [84, 96, 108]) }
        let windows = try Self.layout.windows(for: targets)
        XCTAssertEqual(try model.jointGroups(windowCount: 6), [[0, 3], [1, 4], [2, 5]])
        XCTAssertThrowsError(try model.jointGroups(windowCount: 5))
        let options = ForecastOptions(samples: 4, loss: .quantile, scale: 1, sampler: .ddim(steps: 10), seed: 7)
        let paths = try model.forecast(windows, options: options)
        XCTAssertEqual(paths.count, 6)
        XCTAssertTrue(paths.allSatisfy { $0.count == 4 && $0.allSatisfy { $0.count == 12 && $0.allSatisfy(\.isFinite) } })
        // By hand: rows g·4 + s, noise by global row, the stacked [L, 2C] inputs.
        let c = Self.layout.channels, l = Self.layout.length
        var observed: [Float] = [], mask: [Float] = [], levels: [Double] = []
        for g in 0..<3 {
            let (input, m) = WindowLayout.stacked([windows[g], windows[3 + g]], channels: c)
            for s in 0..<4 { observed += input; mask += m; levels.append(Double(s + 1) / 5) }
        }
        let shape = [12, l, 2 * c]
        let noise = Tensor<Float>.randomNormal(shape: shape, key: RandomKey(seed: 7).folding(in: 0), sampleOffset: 0)
        let draws = model.guidedSamples(model.noiseModel(), observed: Tensor(shape: shape, scalars: observed), mask: Tensor(shape: shape, scalars: mask), levels: levels,
                                        from: noise, options: options, key: RandomKey(seed: 7).folding(in: 1), sampleOffset: 0)
        let split = draws.reshaped([12, l, 2, c])
        for g in 0..<3 {
            for m in 0..<2 {
                for s in 0..<4 {
                    let expected = (24..<l).map { Double(split[element: g * 4 + s, $0, m, 0]) * windows[m * 3 + g].scale }
                    for (a, b) in zip(paths[m * 3 + g][s], expected) { XCTAssertEqual(a, b, accuracy: 1e-9 * Swift.max(1, Swift.abs(b))) }
                }
            }
        }
    }

    /// Joint training windows stack the series' windows at one start; the series must be aligned.
    func testJointTrainingBatchesAndConfiguration() throws {
        let series = Self.pair()
        let batch = try TSDiffTrainer.trainingBatch(series, trainingEnd: [100, 90], layout: Self.layout, jointSeries: 2, count: 5, key: RandomKey(seed: 1))
        let c = Self.layout.channels, l = Self.layout.length
        XCTAssertEqual(batch.windows.shape, [5, l, 2 * c])
        let values = batch.windows.scalars
        for b in 0..<5 {
            // The first series' window identifies the start; the second must be its window at the same start.
            let first = (0..<l).map { values[(b * l + $0) * 2 * c] }
            let start = try XCTUnwrap((Self.layout.history...(90 - 12)).first { s in Self.layout.window(series[0], forecastStart: s, revealFuture: true).input.enumerated().filter { $0.offset % c == 0 }.map(\.element) == first })
            let expected = WindowLayout.stacked(series.map { Self.layout.window($0, forecastStart: start, revealFuture: true) }, channels: c).input
            XCTAssertEqual(Array(values[(b * l * 2 * c)..<((b + 1) * l * 2 * c)]), expected)
        }
        var shifted = series
        shifted[1].start += 3600
        XCTAssertThrowsError(try TSDiffTrainer.trainingBatch(shifted, trainingEnd: [100, 100], layout: Self.layout, jointSeries: 2, count: 2, key: RandomKey(seed: 1))) {
            XCTAssertTrue("\($0)".contains("not aligned"), "\($0)")
        }
        XCTAssertThrowsError(try TSDiffTrainer.trainingBatch([series[0]], trainingEnd: [100], layout: Self.layout, jointSeries: 2, count: 2, key: RandomKey(seed: 1)))
        // Configuration: stored, older files read as one series per window, mismatches refused.
        let configuration = Self.smallModel(jointSeries: 2).configuration
        XCTAssertEqual(try JSONDecoder().decode(TSDiffConfiguration.self, from: JSONEncoder().encode(configuration)), configuration)
        var old = try JSONSerialization.jsonObject(with: JSONEncoder().encode(Self.smallModel().configuration)) as? [String: Any] ?? [:]
        old["jointSeries"] = nil
        XCTAssertEqual(try JSONDecoder().decode(TSDiffConfiguration.self, from: JSONSerialization.data(withJSONObject: old)).jointSeries, 1)
        var bad = configuration
        bad.jointSeries = 3
        XCTAssertThrowsError(try bad.validate()) { XCTAssertTrue("\($0)".contains("backbone.channels"), "\($0)") }
        bad.jointSeries = 0
        XCTAssertThrowsError(try bad.validate()) { XCTAssertTrue("\($0)".contains("jointSeries"), "\($0)") }
        // Refinement and synthesis are for models of one series.
        XCTAssertThrowsError(try Self.smallModel(jointSeries: 2).synthesize(count: 2))
    }

    /// A joint model's default width: the smallest multiple of 64 at least twice its channels.
    func testJointDefaultWidth() {
        XCTAssertEqual([1, 11, 32, 33, 55, 64, 65, 110].map { TSDiffBackboneConfiguration.jointHidden(channels: $0) }, [64, 64, 64, 128, 128, 128, 192, 256])
    }

    /// A joint model records its series' names in channel order: a dataset's series are put in
    /// that order, and a different set of series is refused by name.
    func testJointModelKeepsItsSeriesOrder() throws {
        var configuration = Self.smallModel(jointSeries: 2).configuration
        let series = Self.pair()
        XCTAssertEqual(try configuration.orderedForJointModel(series.reversed()).map(\.name), series.reversed().map(\.name))   // not recorded: as given
        configuration.jointSeriesNames = series.map(\.name)
        XCTAssertNoThrow(try configuration.validate())
        XCTAssertEqual(try JSONDecoder().decode(TSDiffConfiguration.self, from: JSONEncoder().encode(configuration)), configuration)
        XCTAssertEqual(try configuration.orderedForJointModel(series.reversed()), series)
        var renamed = series
        renamed[1].name = "other"
        XCTAssertThrowsError(try configuration.orderedForJointModel(renamed)) {
            XCTAssertTrue("\($0)".contains("a joint model of the series '\(series[0].name)', '\(series[1].name)' (in this order) cannot forecast the series '\(series[0].name)', 'other'"), "\($0)")
        }
        XCTAssertThrowsError(try configuration.orderedForJointModel([series[0], series[0]]))
        // The library's evaluation checks the order it is given.
        XCTAssertNoThrow(try configuration.checkJointOrder(of: series.map(\.name)))
        var model = Self.smallModel(jointSeries: 2)
        model.configuration = configuration
        let starts = [series[0].count - Self.layout.predictionLength]
        XCTAssertThrowsError(try model.evaluate(series.reversed().map { ($0, starts) }, options: ForecastOptions(samples: 2, sampler: .ddim(steps: 2)))) {
            XCTAssertTrue("\($0)".contains("was given the series '\(series[1].name)', '\(series[0].name)'"), "\($0)")
        }
        // In the model's order the check passes (the untrained network's draws may then be judged diverged, which comes after it).
        do {
            _ = try model.evaluate(series.map { ($0, starts) }, options: ForecastOptions(samples: 2, sampler: .ddim(steps: 2)))
        } catch TimeSeriesError.guidanceDiverged {}
        XCTAssertThrowsError(try configuration.orderedForJointModel(series + [renamed[1]]))
        var bad = configuration
        bad.jointSeriesNames = [series[0].name]
        XCTAssertThrowsError(try bad.validate()) { XCTAssertTrue("\($0)".contains("jointSeriesNames (count)"), "\($0)") }
        bad.jointSeriesNames = [series[0].name, series[0].name]
        XCTAssertThrowsError(try bad.validate()) { XCTAssertTrue("\($0)".contains("repeats a name"), "\($0)") }
        var single = Self.smallModel().configuration
        single.jointSeriesNames = [series[0].name]
        XCTAssertThrowsError(try single.validate()) { XCTAssertTrue("\($0)".contains("for joint models"), "\($0)") }
        XCTAssertEqual(try single.orderedForJointModel(renamed), renamed)   // a model of one series at a time reads any series
    }

    /// The scores by hand: the energy score of one step is the fair sample CRPS; anti-correlated paths
    /// whose sums are exact score 0 on the sum; scaling a series and its scale together changes
    /// nothing.
    func testMultivariateScores() throws {
        // E|X − 3| = 4/3, Σ_{i≠j}|xᵢ − xⱼ| = 12 over 2·3·2: 1/3.
        XCTAssertEqual(try XCTUnwrap(MultivariateMetrics.energyScore([[[1], [2], [4]]], truths: [([3], [true])], scales: [1])), 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(MultivariateMetrics.energyScore([[[1]]], truths: [([3], [true])], scales: [1])), 2, accuracy: 1e-12)
        XCTAssertNil(MultivariateMetrics.energyScore([[[1]]], truths: [([3], [false])], scales: [1]))
        let samples: [[[Double]]] = [[[1, 10], [3, 10]], [[3, 20], [1, 20]]]   // series A window 0, series B window 0
        let truths: [([Double], [Bool])] = [([2, 10], [true, true]), ([2, 20], [true, true])]
        let m = MultivariateMetrics.score(samples: samples, truths: truths, groups: [[0, 1]], scales: [1, 1])
        XCTAssertEqual(m.sumCRPS, 0, accuracy: 1e-12)
        XCTAssertGreaterThan(m.meanSeriesCRPS, 0)
        let a = ForecastMetrics.score(samples: [samples[0]], truths: [truths[0]], histories: [], seasonality: 1).crps
        let b = ForecastMetrics.score(samples: [samples[1]], truths: [truths[1]], histories: [], seasonality: 1).crps
        XCTAssertEqual(m.meanSeriesCRPS, (a + b) / 2, accuracy: 1e-12)
        // Hand value of the energy score: paths (1, 10, 3, 20) and (3, 10, 1, 20) against (2, 10, 2, 20):
        // √2 to the truth, √8 between them over 2·2·1 ordered-pair weights.
        XCTAssertEqual(m.energyScore, 2.0.squareRoot() - 2 * 8.0.squareRoot() / 4, accuracy: 1e-12)
        let doubled = MultivariateMetrics.score(samples: [samples[0], samples[1].map { $0.map { $0 * 2 } }],
                                                truths: [truths[0], (truths[1].0.map { $0 * 2 }, truths[1].1)], groups: [[0, 1]], scales: [1, 2])
        XCTAssertEqual(doubled.energyScore, m.energyScore, accuracy: 1e-12)
        // An unobserved step is left out of the sum and of the energy.
        let gap = MultivariateMetrics.score(samples: samples, truths: [([2, 10], [true, false]), truths[1]], groups: [[0, 1]], scales: [1, 1])
        XCTAssertTrue(gap.sumCRPS.isFinite && gap.energyScore.isFinite)
    }
}
