import ArgumentParser
import DiffuseCore
import DiffuseNN
import DiffuseSequences
import DiffuseTensor
import Foundation

/// The workload both MDLM benchmarks share: the SVDD DNA network (hidden 128, 20 dilated
/// convolutions of kernel 9, no time input) on sequences of length 200 over A, C, G, T and the mask.
struct MDLMWorkload: ParsableArguments {
    @Option(name: .long, help: "Batch size.")
    var batch = 64

    @Option(name: .long, help: "Sequence length.")
    var length = 200

    @Option(name: .long, help: "Hidden channels of the network.")
    var hidden = 128

    @Option(name: .long, help: "Timed repetitions (the median is reported).")
    var repeats = 3

    @Flag(name: .long, help: "Print the results as one JSON object.")
    var json = false

    var network: DilatedConvolutionNetwork { DilatedConvolutionNetwork(hidden: hidden) }

    /// Random DNA of the workload's shape (the timing does not depend on the tokens).
    func randomSequences(key: RandomKey) -> TokenBatch {
        var stream = RandomStream(key: key)
        return TokenBatch(tokens: (0..<(batch * length)).map { _ in stream.integer(below: DNAVocabulary.size) }, length: length,
                          vocabularySize: DNAVocabulary.size)
    }

    func validate() throws {
        try checkRange("--batch", batch, 1...4096)
        try checkRange("--length", length, 1...100_000)
        try checkRange("--hidden", hidden, 1...4096)
        try checkRange("--repeats", repeats, 1...1000)
        guard batch * length <= 10_000_000 else { throw ValidationError("--batch × --length must be at most 10000000 tokens (got \(batch) × \(length))") }
    }

    var description: String { "dilated CNN, hidden \(hidden), 20 convolutions of kernel 9, length \(length), batch \(batch), Float32" }
}

/// `diffuse-bench mdlm-train`: training steps/s of the masked-diffusion DNA network (forward,
/// backward, clipping, Adam), as `Examples/DiffuseBench/Reference/mdlm_torch.py train`.
struct MDLMTrainBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mdlm-train",
        abstract: "Training steps/s of the masked-diffusion DNA network (SVDD's dilated CNN, length 200, batch 64).")

    @OptionGroup var workload: MDLMWorkload

    struct Report: Codable {
        var workload: String
        var parameters: Int
        var trainingStepsPerSecond: Double
        var millisecondsPerStep: Double
        /// BLAS product time per step (thread time / threads, one more step).
        var productMillisecondsPerStep: Double
    }

    func run() throws {
        let network = workload.network
        var parameters = network.makeParameters(as: Float.self, key: RandomKey(seed: 0))
        let optimizer = Adam<Float>()
        var state = optimizer.makeState(for: parameters)
        let objective = MaskedDiffusionObjective()
        let example = objective.example(for: workload.randomSequences(key: RandomKey(seed: 1)), key: RandomKey(seed: 2))
        // The trainer's step: the tape is released before the update, which then runs in place.
        func step() {
            var (_, gradients) = parameters.valueAndGradients { bound in objective.loss(logits: network(example.noisy, bound), example) }
            _ = gradients.clipByGlobalNorm(1)
            optimizer.update(&parameters, gradients: gradients, state: &state, learningRate: 3e-4)
        }
        let seconds = medianTime(repeats: workload.repeats, warmup: 1, step)
        let products = timeInProducts(step)
        let report = Report(workload: workload.description, parameters: parameters.scalarCount,
                            trainingStepsPerSecond: 1 / seconds, millisecondsPerStep: seconds * 1e3,
                            productMillisecondsPerStep: products.productSeconds * 1e3)
        if workload.json { print(jsonText(report)); return }
        print("Workload: \(report.workload); \(report.parameters) parameters")
        print("Training: \(fixed(report.trainingStepsPerSecond, 3)) steps/s (\(fixed(report.millisecondsPerStep, 1)) ms per step, median of \(workload.repeats))")
        print("BLAS products: \(fixed(report.productMillisecondsPerStep, 1)) ms per step (thread time / threads, one more step)")
    }
}

/// A denoiser that may hide that its rows are independent (so the sampler evaluates every row).
struct EveryRow<Base: TokenDenoiser>: TokenDenoiser where Base.State == Void {
    let base: Base
    let rowsAreIndependent: Bool
    var vocabularySize: Int { base.vocabularySize }
    var usesTime: Bool { base.usesTime }
    func logits(_ x: TokenBatch, at times: [Double], key: SampleKey, state: inout Void) -> Tensor<Base.Scalar> {
        base.logits(x, at: times, key: key, state: &state)
    }
}

/// `diffuse-bench mdlm-sample`: seconds to draw a batch with MDLM's ancestral sampler (128 steps
/// and the final noise-removal pass), with the exact row-wise cache and without any cache (every
/// row evaluated at every step), as `Examples/DiffuseBench/Reference/mdlm_torch.py sample`
/// (whose cached run is MDLM's batch cache).
struct MDLMSampleBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mdlm-sample",
        abstract: "Seconds to sample a batch of DNA with MDLM's ancestral sampler, with and without the cache (128 steps, length 200, batch 64).")

    @OptionGroup var workload: MDLMWorkload

    @Option(name: .long, help: "Sampling steps.")
    var steps = 128

    struct Report: Codable {
        var workload: String
        var steps: Int
        var secondsCached: Double
        var secondsUncached: Double
        /// Network calls (each on the rows that needed it).
        var evaluationsCached: Double
        var evaluationsUncached: Double
    }

    func run() throws {
        let network = workload.network
        let denoiser = DilatedConvolutionDenoiser(network: network, parameters: network.makeParameters(as: Float.self, key: RandomKey(seed: 0)),
                                                  batchChunkSize: 8)
        func run(cache: Bool) -> (seconds: Double, evaluations: Double) {
            // Uncached is the reference's workload: every row at every step.
            let sampler = MaskedDiffusionSampler(model: EveryRow(base: denoiser, rowsAreIndependent: cache), schedule: LogLinearMasking(), steps: steps, cache: cache)
            var evaluations = 0.0
            let seconds = medianTime(repeats: workload.repeats, warmup: 0) {
                evaluations = sampler.sample(count: workload.batch, length: workload.length, key: RandomKey(seed: 3)).statistics.sampleEvaluations
            }
            return (seconds, evaluations)
        }
        let cached = run(cache: true), uncached = run(cache: false)
        let report = Report(workload: workload.description, steps: steps, secondsCached: cached.seconds, secondsUncached: uncached.seconds,
                            evaluationsCached: cached.evaluations, evaluationsUncached: uncached.evaluations)
        if workload.json { print(jsonText(report)); return }
        print("Workload: \(report.workload); \(steps) steps + noise removal")
        print("Cached: \(fixed(cached.seconds, 2)) s (\(fixed(cached.evaluations, 1)) network evaluations per sample); uncached: \(fixed(uncached.seconds, 2)) s (\(fixed(uncached.evaluations, 1)))")
    }
}
