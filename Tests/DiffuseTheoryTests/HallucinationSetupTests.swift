import DiffuseCore
import DiffuseNN
import DiffuseTensor
@testable import DiffuseTheory
import _DiffuseTestSupport
import XCTest

final class HallucinationSetupTests: XCTestCase {
    /// The 2-D layout is the reference's Gaussian25 after normalisation: grid spacing
    /// 2/√(0.05² + 8) = 0.7070 and per-mode σ = 0.05/√(0.05² + 8) = 0.01767
    /// (locuslab/diffusion-model-hallucination, `toy_data.py`).
    func testGridLayoutMatchesReferenceNormalisation() {
        let (means, sigma) = HallucinationCheck(layout: .grid).modes
        XCTAssertEqual(means.shape, [25, 2])
        XCTAssertEqual(sigma, 0.01767, accuracy: 1e-5)
        XCTAssertEqual(means[element: 1, 1] - means[element: 0, 1], 0.7070, accuracy: 1e-4)
        XCTAssertEqual(means[element: 0, 0], -2 * 0.7070, accuracy: 2e-4)
        XCTAssertEqual(HallucinationCheck().trainingSamples, 20_000)
        XCTAssertEqual(HallucinationCheck(layout: .grid).trainingSamples, 100_000)
        XCTAssertNotEqual(HallucinationCheck().name, HallucinationCheck(layout: .grid).name)
    }

    /// The toy denoiser's input gradient matches central differences in Float64 arithmetic on
    /// its Float32 output (loose tolerance), so training and guidance see the right derivative.
    func testToyDenoiserInputGradient() {
        let network = ToyDenoiser(dimension: 2, width: 16, depth: 3)
        let parameters = network.makeParameters(key: RandomKey(seed: 7))
        let x = Tensor<Float>(shape: [3, 2], scalars: [0.3, -0.2, 1.1, 0.4, -0.7, 0.9])
        let steps = [3.0, 40, 700]
        func loss(_ input: Tensor<Float>) -> Double {
            let out = network(Variable(input), steps: steps, parameters.constants).value
            return out.scalars.reduce(0.0) { $0 + Double($1) * Double($1) }
        }
        let tape = Tape<Float>()
        let bound = parameters.bound(to: tape)
        let input = tape.watch(x)
        let out = network(input, steps: steps, bound)
        let gradient = tape.gradient(of: (out * out).sum())[input]
        let values = x.scalars
        for i in values.indices {
            var plusValues = values, minusValues = values
            plusValues[i] += 1e-2
            minusValues[i] -= 1e-2
            let plus = Tensor<Float>(shape: x.shape, scalars: plusValues), minus = Tensor<Float>(shape: x.shape, scalars: minusValues)
            let numeric = (loss(plus) - loss(minus)) / 2e-2
            XCTAssertEqual(Double(gradient.scalars[i]), numeric, accuracy: 2e-2 * Swift.max(1, Swift.abs(numeric)), "input \(i)")
        }
    }

    /// The step path runs once per distinct step and is gathered for the batch: a batch with
    /// repeated steps gives each row the output it gets alone, and the step path's parameter
    /// gradients are the sums of the rows' own gradients (the gather's pullback adds the
    /// repeated rows).
    func testToyDenoiserSharesStepPathAcrossRepeatedSteps() {
        let network = ToyDenoiser(dimension: 2, width: 16, depth: 3)
        let parameters = network.makeParameters(key: RandomKey(seed: 11))
        let x = Tensor<Float>(shape: [4, 2], scalars: [0.3, -0.2, 1.1, 0.4, -0.7, 0.9, 0.05, -1.3])
        let steps = [40.0, 3, 40, 3]
        func lossAndGradients(_ input: Tensor<Float>, _ steps: [Double]) -> (output: Tensor<Float>, gradients: ParameterSet<Float>) {
            let tape = Tape<Float>()
            let bound = parameters.bound(to: tape)
            let out = network(Variable(input), steps: steps, bound)
            return (out.value, bound.gradients(tape.gradient(of: (out * out).sum())))
        }
        let batch = lossAndGradients(x, steps)
        var summed: ParameterSet<Float>? = nil
        for row in 0..<4 {
            let alone = lossAndGradients(x.slice(axis: 0, row..<(row + 1)).contiguous(), [steps[row]])
            for column in 0..<2 {
                XCTAssertEqual(batch.output[element: row, column], alone.output[element: 0, column], accuracy: 1e-6, "row \(row)")
            }
            if summed == nil { summed = alone.gradients } else { summed! += alone.gradients }
        }
        for name in ["time.weight", "block.time.weight", "block.time.bias", "block.linear1.weight"] {
            let expected = summed![name]!.scalars, actual = batch.gradients[name]!.scalars
            for i in expected.indices {
                XCTAssertEqual(actual[i], expected[i], accuracy: 1e-4 * Swift.max(1, Swift.abs(expected[i])), "\(name)[\(i)]")
            }
        }
    }

    /// Scatter thinning keeps every k-th index with k = ⌊count/5 000⌋ (at least 1), so at most
    /// about 5 000 points, and says so in English ordinals.
    func testScatterThinning() {
        let few = HallucinationCheck.thinned(Array(0..<4999))
        XCTAssertEqual(few.indices.count, 4999)
        XCTAssertEqual(few.legend, "")
        let many = HallucinationCheck.thinned(Array(stride(from: 0, to: 200_000, by: 2)))   // 100 000 indices
        XCTAssertEqual(many.stride, 20)
        XCTAssertEqual(many.indices.count, 5000)
        XCTAssertEqual(Array(many.indices.prefix(2)), [0, 40])
        XCTAssertEqual(many.legend, " (every 20th)")
        XCTAssertEqual([1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111].map(HallucinationCheck.ordinal),
                       ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th"])
    }

    /// A run saves its trained network; a run that loads it evaluates the same network (the
    /// same samples for the same seed, so the same measurements) and says where it came from; a
    /// network of the other layout is refused with an error naming the folder.
    func testSavedNetworkReproducesTheRunAndRefusesAnotherLayout() throws {
        let folder = try makeTemporaryFolder().appendingPathComponent("hallucination-2d-model")
        var training = HallucinationCheck(layout: .grid)
        training.trainingSamples = 100
        training.trainingSteps = 3
        training.trainingBatchSize = 16
        training.samples = 40
        training.modelFolder = folder
        let trained = try training.run(effort: .quick, seed: 5)
        var loading = training
        loading.modelFolder = nil
        loading.trainedModel = folder
        let loaded = try loading.run(effort: .quick, seed: 5)
        XCTAssertEqual(loaded.results.map(\.measured), trained.results.map(\.measured))
        XCTAssertTrue(loaded.results[1].setup.contains("loaded from \(folder.lastPathComponent): 100 samples, 3 Adam steps of 16"), loaded.results[1].setup)
        var line = HallucinationCheck()
        line.samples = 40
        line.trainedModel = folder
        XCTAssertThrowsError(try line.run(effort: .quick, seed: 5)) { error in
            XCTAssertEqual((error as? SafeTensorsError)?.path, folder.path)
        }
    }

    /// Continuing a saved network's training starts from its parameters: one step at a negligible
    /// rate leaves the network as saved, so the rows equal those of evaluating it, and the setup
    /// names where it came from.
    func testContinuedTrainingStartsFromTheSavedNetwork() throws {
        let folder = try makeTemporaryFolder().appendingPathComponent("hallucination-model")
        var training = HallucinationCheck()
        training.trainingSamples = 100
        training.trainingSteps = 3
        training.trainingBatchSize = 16
        training.samples = 40
        training.modelFolder = folder
        _ = try training.run(effort: .quick, seed: 3)
        var loading = training
        loading.modelFolder = nil
        loading.trainedModel = folder
        let loaded = try loading.run(effort: .quick, seed: 3)
        var continuing = loading
        continuing.trainedModel = nil
        continuing.initialModel = folder
        continuing.trainingSteps = 1
        continuing.learningRate = 1e-20
        let continued = try continuing.run(effort: .quick, seed: 3)
        XCTAssertEqual(continued.results.map(\.measured), loaded.results.map(\.measured))
        XCTAssertEqual(continued.dataFiles.first?.csv, loaded.dataFiles.first?.csv)
        XCTAssertTrue(continued.results[1].setup.contains("continued from hallucination-model (100 samples, 3 Adam steps of 16"), continued.results[1].setup)
        var fresh = continuing
        fresh.initialModel = nil
        XCTAssertNotEqual(try fresh.run(effort: .quick, seed: 3).dataFiles.first?.csv, continued.dataFiles.first?.csv)
    }

    /// Training from parameters of another network's layout is refused with an error that names
    /// the first difference, before any step.
    func testTrainingFromIncompatibleParametersThrows() {
        let line = ToyDenoiser(dimension: 1), grid = ToyDenoiser(dimension: 2)
        let data = Tensor<Float>(shape: [4, 1], scalars: [1, 2, 3, 1])
        let schedule = DiscreteVPSchedule(trainingSteps: 1000, betaSchedule: .linear(start: 0.001, end: 0.2))
        XCTAssertThrowsError(try line.train(on: data, schedule: schedule, steps: 1, batchSize: 2, key: RandomKey(seed: 0),
                                            from: grid.makeParameters(key: RandomKey(seed: 0)))) { error in
            guard case .incompatibleParameters(let mismatch)? = error as? TrainingError else { return XCTFail("\(error)") }
            XCTAssertTrue(mismatch.contains("shape"), mismatch)
        }
    }

    /// The per-sample file holds every sample of both samplers with its distance and variance,
    /// and its network rows beyond 6σ are the share the table reports.
    func testSamplesFileHoldsEverySample() throws {
        var check = HallucinationCheck(layout: .grid)
        check.trainingSamples = 100
        check.trainingSteps = 3
        check.trainingBatchSize = 16
        check.samples = 40
        let report = try check.run(effort: .quick, seed: 2)
        let file = try XCTUnwrap(report.dataFiles.first)
        XCTAssertEqual(file.name, "hallucination-2d-samples")
        let lines = file.csv.split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
        XCTAssertEqual(lines.first, ["source", "x1", "x2", "distance_sigma", "variance"])
        let rows = lines.dropFirst()
        XCTAssertEqual(rows.filter { $0[0] == "exact" }.count, 40)
        let network = rows.filter { $0[0] == "network" }
        XCTAssertEqual(network.count, 40)
        XCTAssertTrue(rows.allSatisfy { $0.count == 5 && $0[1...].allSatisfy { Double($0)?.isFinite == true } })
        let beyond = network.filter { Double($0[3])! > 6 }.count
        XCTAssertEqual(try XCTUnwrap(Double(report.results[1].measured)), Double(beyond) / 40, accuracy: 1e-5)
    }

    /// The 2-D networks shipped with `theory-checks` (trained at the paper's budget, and that
    /// network annealed) load as networks of the 2-D check with every parameter of the right
    /// shape.
    func testBundledGridNetworksLoad() throws {
        let checkpoints = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Examples/TheoryChecks/Checkpoints")
        for (folder, training) in [("hallucination-2d", "100000 Adam steps of 10000 at lr 0.001 (constant)"),
                                   ("hallucination-2d-annealed", "for 100000 samples, 20000 Adam steps of 10000 at lr 0.001 (cosine decay)")] {
            let (parameters, saved) = try Checkpoint.load(from: checkpoints.appendingPathComponent(folder), as: Float.self,
                                                          configuration: HallucinationCheck.SavedNetwork.self)
            XCTAssertEqual(saved.check, HallucinationCheck(layout: .grid).name)
            XCTAssertEqual(saved.network, ToyDenoiser(dimension: 2).configuration)
            XCTAssertTrue(saved.training.contains(training), saved.training)
            XCTAssertNil(parameters.firstMismatch(against: ToyDenoiser(saved.network).makeParameters(key: RandomKey(seed: 0))))
        }
    }

    /// The full checks train as the reference's `run.sh` (10 000 epochs at batch 10 000, Adam at a
    /// constant 10⁻³: 20 000 steps for the 20 000 1-D samples, 100 000 for the 100 000 2-D samples,
    /// steps drawn uniformly); the quick checks use the shorter cosine-decayed training; set
    /// options override the defaults.
    func testTrainingPlanDefaults() {
        typealias Plan = HallucinationCheck.TrainingPlan
        XCTAssertEqual(HallucinationCheck().trainingPlan(effort: .full), Plan(steps: 20_000, batchSize: 10_000, learningRate: 1e-3, decay: .constant))
        XCTAssertEqual(HallucinationCheck().trainingPlan(effort: .quick), Plan(steps: 8000, batchSize: 512, learningRate: 3e-3, decay: .cosine))
        XCTAssertEqual(HallucinationCheck(layout: .grid).trainingPlan(effort: .full), Plan(steps: 100_000, batchSize: 10_000, learningRate: 1e-3, decay: .constant))
        XCTAssertEqual(HallucinationCheck(layout: .grid).timeSampling, .uniformSteps)
        var custom = HallucinationCheck(layout: .grid)
        custom.trainingBatchSize = 10_000
        custom.learningRateDecay = .constant
        XCTAssertEqual(custom.trainingPlan(effort: .quick), Plan(steps: 8000, batchSize: 10_000, learningRate: 3e-3, decay: .constant))
    }
}
