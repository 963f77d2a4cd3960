import DiffuseCore
import DiffuseNN
import DiffuseTensor
@testable import DiffuseTimeSeries
import XCTest
import _DiffuseTestSupport

/// A tiny TSDiff trained for a few hundred steps on synthetic seasonal series: it must forecast
/// better than seasonal naive, refine a naive forecast, synthesise windows a ridge model can learn
/// from, and survive a checkpoint round trip.
final class EndToEndTests: XCTestCase {
    static let period = 12

    /// Four series: level + amplitude · sin(2πt/12 + phase) + noise with σ = 0.25·amplitude.
    /// Seasonal naive's error is then the difference of two noises (√2 σ); a model that learns the
    /// seasonal shape can do better.
    static func seasonalSeries(length: Int = 480) -> [TimeSeries] {
        var stream = RandomStream(seed: 42)
        return (0..<4).map { k in
            let level = 10 + 3 * Double(k), amplitude = 2 + Double(k) / 2, phase = Double(k)
            let values = (0..<length).map { t in
                level + amplitude * Foundation.sin(2 * Double.pi * Double(t) / Double(period) + phase) + 0.25 * amplitude * stream.normal(Double.self)
            }
            return TimeSeries(name: "s\(k)", frequency: .hourly, values: values)
        }
    }

    static let layout = WindowLayout(contextLength: 36, predictionLength: 12, lags: [12, 24])

    static func trainedModel() throws -> (TSDiff, Backtest) {
        let series = seasonalSeries()
        let configuration = TSDiffConfiguration(layout: layout, backbone: TSDiffBackboneConfiguration(channels: 3, hidden: 32, blocks: 2, stepEmbedding: 32, stateSize: 16),
                                                frequency: .hourly)
        var model = TSDiff(configuration: configuration, seed: 1)
        let backtest = try Backtest(series: series, predictionLength: 12, windows: 3, history: layout.history, seasonality: period)
        let trainer = TSDiffTrainer(options: TSDiffTrainingOptions(steps: 400, batchSize: 32, learningRate: 2e-3, seed: 2))
        let report = try trainer.train(&model, series: series, trainingEnd: backtest.trainingEnd)
        XCTAssertLessThan(report.losses.suffix(50).reduce(0, +) / 50, report.losses.prefix(10).reduce(0, +) / 10 * 0.5, "training reduces the loss")
        return (model, backtest)
    }

    static let shared = Result { try EndToEndTests.trainedModel() }

    func testGuidedForecastBeatsSeasonalNaive() throws {
        let (model, backtest) = try Self.shared.get()
        let naive = backtest.score(try backtest.forecast(.seasonalNaive, samples: 1, key: RandomKey(seed: 0)))
        // The DDIM form with the scales that suit it (its gradient is not damped by σ̃² as the
        // DDPM form's is), and the reference's DDPM form with its scale 4 for TSDiff-Q.
        let settings: [(GuidanceLoss, ForecastSampler, Double)] = [(.quantile, .ddim(steps: 10), 1), (.meanSquared, .ddim(steps: 10), 0.2), (.quantile, .ddpm, 4),
                                                                        (.quantile, .stridedDDPM(steps: 25), 4)]
        for (loss, sampler, scale) in settings {
            let options = ForecastOptions(samples: 16, loss: loss, scale: scale, sampler: sampler, seed: 3)
            let evaluation = try model.evaluate(backtest.testTargets, options: options)
            let scores = backtest.score(evaluation.samples)
            XCTAssertEqual(scores.crps, evaluation.tsdiff.crps)
            XCTAssertLessThan(scores.crps, naive.crps, "\(loss) \(sampler): TSDiff CRPS \(scores.crps) vs seasonal naive \(naive.crps)")
        }
    }

    /// Step counts a model cannot use are errors, not traps.
    func testSamplerStepsAreValidated() throws {
        XCTAssertNoThrow(try ForecastSampler.stridedDDPM(steps: 25).validate(diffusionSteps: 100))
        XCTAssertNoThrow(try ForecastSampler.ddim(steps: 100).validate(diffusionSteps: 100))
        for bad in [ForecastSampler.stridedDDPM(steps: 30), .stridedDDPM(steps: 0), .ddim(steps: 0), .ddim(steps: 101)] {
            XCTAssertThrowsError(try bad.validate(diffusionSteps: 100), "\(bad)")
        }
        let (model, backtest) = try Self.shared.get()
        XCTAssertThrowsError(try model.evaluate([backtest.testTargets[0]], options: ForecastOptions(samples: 2, sampler: .stridedDDPM(steps: 7))))
        // Other unusable options of forecasting and refinement throw too.
        for bad in [ForecastOptions(samples: 0), ForecastOptions(samples: 2, chunkSize: 0), ForecastOptions(samples: 2, scale: -1), ForecastOptions(samples: 2, scale: .nan)] {
            XCTAssertThrowsError(try model.evaluate([backtest.testTargets[0]], options: bad))
        }
        let windows = backtest.testTargets[0].starts.map { Self.layout.window(backtest.testTargets[0].series, forecastStart: $0, revealFuture: false) }
        let base = try backtest.forecast(.seasonalNaive, samples: 2, key: RandomKey(seed: 1))
        let initial = Array(base.prefix(windows.count))
        for bad in [RefinementOptions(), RefinementOptions(diffusionStep: 100), RefinementOptions(diffusionStep: -1), RefinementOptions(diffusionStep: 5, chunkSize: 0)] {
            XCTAssertThrowsError(try model.refine(windows, initial: initial, options: bad))
        }
        XCTAssertThrowsError(try model.refine(windows, initial: Array(initial.dropLast()), options: RefinementOptions(diffusionStep: 5)))
        XCTAssertThrowsError(try model.synthesize(count: 2, chunkSize: 0))
    }

    /// An unstable guidance scale is an error naming the loss and scale, not a scored table of
    /// garbage; a stable one passes the same check.
    func testDivergedGuidanceIsAnError() throws {
        let (model, backtest) = try Self.shared.get()
        let target = [backtest.testTargets[0]]
        let unstable = ForecastOptions(samples: 4, loss: .meanSquared, scale: 1e4, sampler: .ddim(steps: 4), seed: 5)
        XCTAssertThrowsError(try model.evaluate(target, options: unstable)) { error in
            guard case TimeSeriesError.guidanceDiverged(let loss, let scale, let largest)? = error as? TimeSeriesError else {
                return XCTFail("expected guidanceDiverged, got \(error)")
            }
            XCTAssertEqual(loss, "mean-squared")
            XCTAssertEqual(scale, 1e4)
            XCTAssertGreaterThan(largest, TSDiff.divergenceLimit)
            XCTAssertTrue("\(error)".contains("scale 10000"), "\(error)")
        }
        XCTAssertNoThrow(try model.evaluate(target, options: ForecastOptions(samples: 4, loss: .meanSquared, scale: 0.2, sampler: .ddim(steps: 4), seed: 5)))
        // During training a diverged validation scores +∞ and training goes on.
        var copy = model
        let trainer = TSDiffTrainer(options: TSDiffTrainingOptions(steps: 4, batchSize: 8, validationInterval: 2, validationSamples: 4, seed: 6))
        let report = try trainer.train(&copy, series: Self.seasonalSeries(), trainingEnd: backtest.trainingEnd, validation: target, forecastOptions: unstable)
        XCTAssertEqual(report.validations.map(\.step), [2, 4])
        XCTAssertTrue(report.validations.allSatisfy { $0.crps == .infinity }, "\(report.validations)")
    }

    /// The same forecast with other chunks agrees to Float32 rounding (every row has its own
    /// random stream; OpenBLAS's kernels round differently for different matrix sizes), and is
    /// bit-identical when repeated.
    func testForecastIndependentOfChunking() throws {
        let (model, backtest) = try Self.shared.get()
        let target = [backtest.testTargets[0]]
        // Scale 0.5: with 1, rounding-level changes to training (row sums of the layer norm in
        // eight lanes) made this few-step model's 4-step DDIM forecast trip the divergence check.
        var options = ForecastOptions(samples: 5, scale: 0.5, sampler: .ddim(steps: 4), seed: 9, chunkSize: 256)
        let a = try model.evaluate(target, options: options).samples
        XCTAssertEqual(a, try model.evaluate(target, options: options).samples)
        options.chunkSize = 4
        let b = try model.evaluate(target, options: options).samples
        for (x, y) in zip(a.joined().joined(), b.joined().joined()) { XCTAssertEqual(x, y, accuracy: 1e-3 * Swift.max(1, Swift.abs(x))) }
    }

    /// The chunked training loss and gradient (three chunks here, kernels pulled back once) equal
    /// the whole batch's on one tape, to Float32 rounding.
    func testChunkedTrainingGradientMatchesWholeBatch() throws {
        let configuration = TSDiffConfiguration(layout: Self.layout, backbone: TSDiffBackboneConfiguration(channels: 3, hidden: 8, blocks: 2, stepEmbedding: 16, stateSize: 8),
                                                frequency: .hourly)
        let model = TSDiff(configuration: configuration, seed: 3)
        let rows = 2 * TSDiff.trainingChunkSize + 5
        let x0 = Tensor<Float>.randomNormal(shape: [rows, Self.layout.length, 3], key: RandomKey(seed: 4))
        let objective = DenoisingObjective(schedule: model.schedule, prediction: .noise, timeSampling: .uniformSteps)
        let example = objective.example(for: x0, key: RandomKey(seed: 5))
        let (loss, gradient) = model.trainingLossAndGradient(example, objective: objective, dropoutKey: nil)
        let tape = Tape<Float>()
        let bound = model.parameters.bound(to: tape)
        let wholeLoss = objective.loss(model.backbone(Variable(example.noisy), steps: example.times, bound), example)
        let whole = bound.gradients(tape.gradient(of: wholeLoss))
        XCTAssertEqual(loss, wholeLoss.value.scalar, accuracy: 1e-5 * wholeLoss.value.scalar)
        XCTAssertEqual(gradient.names, whole.names)
        var unused: [String] = []
        for (name, expected) in whole.entries {
            let scale = expected.abs().max().scalar
            if scale == 0 { unused.append(name) }
            XCTAssertLessThanOrEqual((gradient[name]! - expected).abs().max().scalar, 1e-4 * scale, name)
        }
        // Only the last block's residual projection is unused (its output is never read).
        XCTAssertEqual(unused, ["residual_blocks.1.out_linear1.weight", "residual_blocks.1.out_linear1.bias"].filter(whole.names.contains))
    }

    /// With dropout, the chunked training gradient is bit-identical on one and on two threads
    /// (each chunk draws its masks from its own key).
    func testChunkedTrainingWithDropoutIndependentOfThreadCount() {
        let configuration = TSDiffConfiguration(layout: Self.layout, backbone: TSDiffBackboneConfiguration(channels: 3, hidden: 8, blocks: 2, stepEmbedding: 16,
                                                                                                          stateSize: 8, dropout: 0.2),
                                                frequency: .hourly)
        let model = TSDiff(configuration: configuration, seed: 3)
        let x0 = Tensor<Float>.randomNormal(shape: [2 * TSDiff.trainingChunkSize + 3, Self.layout.length, 3], key: RandomKey(seed: 4))
        let objective = DenoisingObjective(schedule: model.schedule, prediction: .noise, timeSampling: .uniformSteps)
        let example = objective.example(for: x0, key: RandomKey(seed: 5))
        let threads = Parallel.threadCount
        defer { Parallel.threadCount = threads }
        Parallel.threadCount = 1
        let serial = model.trainingLossAndGradient(example, objective: objective, dropoutKey: RandomKey(seed: 6))
        Parallel.threadCount = 2
        let parallel = model.trainingLossAndGradient(example, objective: objective, dropoutKey: RandomKey(seed: 6))
        let withoutDropout = model.trainingLossAndGradient(example, objective: objective, dropoutKey: nil)
        XCTAssertEqual(serial.loss, parallel.loss)
        XCTAssertNotEqual(serial.loss, withoutDropout.loss)
        for (name, tensor) in serial.gradient.entries { XCTAssertEqual(tensor.scalars, parallel.gradient[name]!.scalars, name) }
    }

    /// Guided forecasts with half of the context missing (random and block) still beat seasonal
    /// naive computed on the complete data.
    func testMissingContextIsHandledByTheMask() throws {
        let (model, backtest) = try Self.shared.get()
        let naive = backtest.score(try backtest.forecast(.seasonalNaive, samples: 1, key: RandomKey(seed: 0)))
        for scenario in [MissingValueScenario.random(fraction: 0.5), .blockAtEnd(fraction: 0.5)] {
            let windows = try Self.layout.windows(for: backtest.testTargets, missing: scenario)
            let hidden = windows[0].observed.enumerated().filter { $0.offset % 3 == 0 && $0.offset / 3 < 36 && $0.element == 0 }.count
            XCTAssertEqual(hidden, 18)
            let paths = try model.forecast(windows, options: ForecastOptions(samples: 16, scale: 1, sampler: .ddim(steps: 10), seed: 4))
            let scores = backtest.score(paths)
            XCTAssertLessThan(scores.crps, naive.crps, "\(scenario): CRPS \(scores.crps) vs naive \(naive.crps)")
        }
    }

    /// Refining seasonal naive (a point forecast) and its bootstrapped version with the model as a
    /// prior lowers their CRPS; zero iterations return the base samples sorted per step.
    func testRefinementImprovesSeasonalNaive() throws {
        let (model, backtest) = try Self.shared.get()
        let windows = try Self.layout.windows(for: backtest.testTargets)
        let base = try backtest.forecast(.bootstrappedSeasonalNaive(seasons: 10), samples: 8, key: RandomKey(seed: 5))
        let unchanged = try model.refine(windows, initial: base, options: RefinementOptions(iterations: 0, diffusionStep: 10))
        for (w, paths) in unchanged.enumerated() {
            for t in 0..<12 {
                let column = paths.map { $0[t] }
                XCTAssertEqual(column, column.sorted())
                for (a, b) in zip(column, base[w].map { $0[t] }.sorted()) { XCTAssertEqual(a, b, accuracy: 1e-4 * Swift.abs(b)) }
            }
        }
        let training = try TSDiffTrainer.trainingBatch(backtest.series, trainingEnd: backtest.trainingEnd, layout: Self.layout, count: 32, key: RandomKey(seed: 6))
        let tau = model.representativeStep(windows: training.windows, key: RandomKey(seed: 7))
        XCTAssertTrue((0..<100).contains(tau))
        let naive = try backtest.forecast(.seasonalNaive, samples: 8, key: RandomKey(seed: 5))
        for (initial, method, loss) in [(base, RefinementMethod.maximumLikelihood, GuidanceLoss.quantile), (base, .langevin, .quantile), (naive, .maximumLikelihood, .meanSquared)] {
            let refined = try model.refine(windows, initial: initial, options: RefinementOptions(method: method, loss: loss, diffusionStep: tau, seed: 8))
            let before = backtest.score(initial).crps, after = backtest.score(refined).crps
            XCTAssertLessThan(after, before * 0.95, "\(method) \(loss): refined CRPS \(after) vs base \(before)")
        }
    }

    /// Synthetic windows are seasonal enough for a ridge model trained on them to beat seasonal
    /// naive on the real series (the linear predictive score).
    func testSynthesisAndLinearPredictiveScore() throws {
        let (model, backtest) = try Self.shared.get()
        let synthetic = try model.synthesize(count: 200, sampler: .ddim(steps: 10), seed: 1)
        XCTAssertEqual(synthetic.count, 200)
        XCTAssertTrue(synthetic.allSatisfy { $0.count == 48 && $0.allSatisfy(\.isFinite) })
        let lps = try LinearPredictiveScore.evaluate(trainingWindows: synthetic, contextLength: 36, horizon: 12, testSeries: backtest.series, seasonality: 12)
        let naive = ForecastMetrics.score(samples: backtest.series.map { s in
            [try! BaseForecaster.seasonalNaive.forecast(history: s.slice(0..<(s.count - 12)), horizon: 12, seasonality: 12, samples: 1, key: RandomKey(seed: 0))[0]]
        }, truths: backtest.series.map { (Array($0.values.suffix(12)), [Bool](repeating: true, count: 12)) }, histories: [], seasonality: 12)
        assertClose(lps.crps, lps.nd, relative: 1e-12)
        XCTAssertLessThan(lps.crps, naive.crps * 1.5, "LPS \(lps.crps) vs seasonal naive \(naive.crps)")
    }

    func testCheckpointRoundTrip() throws {
        let (model, _) = try Self.shared.get()
        let folder = try makeTemporaryFolder()
        try model.save(to: folder)
        let loaded = try TSDiff.load(from: folder)
        XCTAssertEqual(loaded.configuration, model.configuration)
        for name in model.parameters.names { XCTAssertEqual(loaded.parameters[name]!.scalars, model.parameters[name]!.scalars, name) }
        // A hand-edited configuration that no model can have is an error at load, not a trap later.
        let configURL = folder.appendingPathComponent("config.json")
        let text = try String(contentsOf: configURL, encoding: .utf8)
        for (field, bad) in [("\"diffusionSteps\" : 100", "\"diffusionSteps\" : 0"), ("\"contextLength\" : 36", "\"contextLength\" : -5")] {
            XCTAssertTrue(text.contains(field), "config.json has \(field)")
            try text.replacingOccurrences(of: field, with: bad).write(to: configURL, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try TSDiff.load(from: folder), bad)
        }
    }
}

final class LinearPredictiveScoreTests: XCTestCase {
    /// Windows of one exact seasonal pattern are predicted perfectly by ridge (ND ≈ 0).
    func testLinearPatternIsLearnedExactly() throws {
        // Scaled windows (context mean 1) of one pattern, as TSDiff's samples are.
        let pattern = (0..<48).map { 1 + 0.2 * Foundation.sin(2 * Double.pi * Double($0) / 12) }
        let windows = (0..<12).map { shift in (0..<48).map { pattern[($0 + shift) % 48] } }
        let test = TimeSeries(name: "t", frequency: .hourly, values: (0..<60).map { 3 * (5 + Foundation.sin(2 * Double.pi * Double($0) / 12)) })
        let score = try LinearPredictiveScore.evaluate(trainingWindows: windows, contextLength: 36, horizon: 12, testSeries: [test], seasonality: 12, ridge: 1e-8)
        XCTAssertLessThan(score.nd, 1e-4)
        XCTAssertThrowsError(try LinearPredictiveScore.evaluate(trainingWindows: [], contextLength: 36, horizon: 12, testSeries: [test], seasonality: 12))
    }
}
