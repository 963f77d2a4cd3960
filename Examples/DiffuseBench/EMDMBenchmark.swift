import ArgumentParser
import DiffuseCore
import DiffuseMotion
import DiffuseNN
import DiffuseTensor
import Foundation

/// The workload both EMDM benchmarks share: the `motion` example's default EMDM (generator: a
/// pre-norm Transformer, width 128, 4 layers, 4 heads, feed-forward 256, latent 32; discriminator:
/// an MLP 2·40·263 + 128 + 11 → 512 → 256 → 64 → 1 with SELU) on windows of 40 rows of the 263
/// HumanML3D features, 11 actions, batch 32, Float32.
struct EMDMWorkload: ParsableArguments {
    @Option(name: .long, help: "Batch size.") var batch = 32
    @Option(name: .long, help: "Rows per window.") var frames = 40
    @Option(name: .long, help: "Transformer width.") var width = 128
    @Option(name: .long, help: "Timed repetitions (the median is reported).") var repeats = 3
    @Flag(name: .long, help: "Print the results as one JSON object.") var json = false

    func validate() throws {
        try checkRange("--batch", batch, 1...1024)
        try checkRange("--frames", frames, 2...196)
        try checkRange("--width", width, 8...1024)
        guard width % 4 == 0 else { throw ValidationError("--width must be divisible by 4 (the heads)") }
        try checkRange("--repeats", repeats, 1...1000)
    }

    var generator: MotionTransformer {
        MotionTransformer(frames: frames, actionCount: MotionAction.allCases.count, modelSize: width, layers: 4, feedForwardSize: 2 * width, latentSize: 32)
    }
    var discriminator: MotionDiscriminator { MotionDiscriminator(frames: frames, actionCount: MotionAction.allCases.count) }
    var description: String { "EMDM generator width \(width), 4 layers, latent 32; MLP discriminator; \(frames) × 263 windows, batch \(batch), Float32" }
}

/// `diffuse-bench emdm-train`: milliseconds per EMDM training step (a discriminator step with the
/// R1 estimate every 15th step, a generator step with adversarial, reconstruction and geometric
/// losses, Adam(0.5, 0.9) on both, the EMA), averaged over a cycle of 15 steps, as
/// `Examples/DiffuseBench/Reference/emdm_torch.py train`.
struct EMDMTrainBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "emdm-train", abstract: "Milliseconds per EMDM training step (mean over a 15-step R1 cycle).")

    @OptionGroup var workload: EMDMWorkload

    struct Report: Codable {
        var workload: String; var generatorParameters: Int; var discriminatorParameters: Int; var millisecondsPerStep: Double
        /// Of one more cycle: milliseconds per step in BLAS products (thread time / threads).
        var productMillisecondsPerStep: Double
    }

    func run() throws {
        let data = try MotionWindows.benchmark(frames: workload.frames, test: false)
        var trainer = DenoisingGANTrainer(configuration: DenoisingGANConfiguration(generator: workload.generator, discriminator: workload.discriminator,
                                                                                  batchSize: workload.batch, normalization: data.normalization), key: RandomKey(seed: 0))
        var failure: Error?
        let seconds = medianTime(repeats: workload.repeats, warmup: 1) {
            for _ in 0..<15 { do { try trainer.trainStep(data) } catch { failure = error } }
        } / 15
        let products = timeInProducts { for _ in 0..<15 { do { try trainer.trainStep(data) } catch { failure = error } } }
        if let failure { throw failure }
        let report = Report(workload: workload.description, generatorParameters: trainer.generatorParameters.scalarCount,
                            discriminatorParameters: trainer.discriminatorParameters.scalarCount, millisecondsPerStep: seconds * 1e3,
                            productMillisecondsPerStep: products.productSeconds * 1e3 / 15)
        if workload.json { print(jsonText(report)); return }
        print("Workload: \(report.workload); \(report.generatorParameters) + \(report.discriminatorParameters) parameters")
        print("Training: \(fixed(report.millisecondsPerStep, 1)) ms per step (mean of a 15-step cycle with one R1 step, median of \(workload.repeats) cycles)")
        print("BLAS products: \(fixed(report.productMillisecondsPerStep, 1)) ms per step (thread time / threads, one more cycle)")
    }
}

/// `diffuse-bench emdm-sample`: milliseconds to sample a batch with EMDM's 10 posterior steps
/// (one generator call per step, no guidance), as `emdm_torch.py sample`.
struct EMDMSampleBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "emdm-sample", abstract: "Milliseconds to sample a batch with EMDM (10 steps).")

    @OptionGroup var workload: EMDMWorkload
    @Option(name: .long, help: "Denoising steps.") var steps = 10

    struct Report: Codable {
        var workload: String; var steps: Int; var millisecondsPerBatch: Double; var millisecondsPerSequence: Double
        /// Of one more batch: milliseconds in BLAS products (thread time / threads).
        var productMillisecondsPerBatch: Double
    }

    func validate() throws { try checkRange("--steps", steps, 1...1000) }

    func run() throws {
        let g = workload.generator
        let model = MotionDenoiserModel(network: g, parameters: g.makeParameters(as: Float.self, key: RandomKey(seed: 0)))
        let configuration = DenoisingGANConfiguration(generator: g, discriminator: workload.discriminator, steps: steps,
                                                      normalization: try FeatureNormalization(clips: [[[Double]](repeating: [Double](repeating: 0, count: 263), count: 2)]))
        let grid = TimeGrid.discrete(configuration.schedule, steps: steps, spacing: .linspace)
        let labels = (0..<workload.batch).map { $0 % MotionAction.allCases.count }
        let draw = { _ = model.sample(labels: labels, frames: workload.frames, grid: grid, sampler: DDPMSampler<Tensor<Float>>(), key: RandomKey(seed: 1)) }
        let seconds = medianTime(repeats: workload.repeats, warmup: 1, draw)
        let products = timeInProducts(draw)
        let report = Report(workload: workload.description, steps: steps, millisecondsPerBatch: seconds * 1e3, millisecondsPerSequence: seconds * 1e3 / Double(workload.batch),
                            productMillisecondsPerBatch: products.productSeconds * 1e3)
        if workload.json { print(jsonText(report)); return }
        print("Workload: \(report.workload); \(steps) steps")
        print("Sampling: \(fixed(report.millisecondsPerBatch, 1)) ms per batch (\(fixed(report.millisecondsPerSequence, 2)) ms per sequence, median of \(workload.repeats))")
        print("BLAS products: \(fixed(report.productMillisecondsPerBatch, 1)) ms per batch (thread time / threads, one more batch)")
    }
}
