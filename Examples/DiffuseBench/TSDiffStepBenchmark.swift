import ArgumentParser
import DiffuseCore
import DiffuseNN
import DiffuseTensor
import DiffuseTimeSeries
import Foundation

/// `diffuse-bench tsdiff-step`: training steps/s and forward samples/s of the TSDiff backbone.
struct TSDiffStepBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tsdiff-step",
        abstract: "Training steps/s and forward samples/s of the TSDiff backbone (hidden 64, 3 S4 blocks, length 360, 11 channels, batch 64).")

    @Flag(name: .long, help: "Print the results as one JSON object.")
    var json = false

    @Option(name: .long, help: "Batch size.")
    var batch = 64

    @Option(name: .long, help: "Timed repetitions.")
    var repeats = 5

    /// One measured part, for profiling.
    enum Part: String, ExpressibleByArgument, CaseIterable {
        case training, forward, guided
    }

    @Option(name: .long, help: "Measure only this part (training, forward or guided), e.g. under a profiler.")
    var only: Part?

    /// PyTorch 2.15 CPU, the same architecture, reference machine (2 threads): diagonal S4D
    /// kernels and the reference's NPLR kernels.
    static let referenceTraining = (s4d: 3.5, nplr: 3.7)
    static let referenceForward = (s4d: 730.0, nplr: 950.0)

    struct Report: Codable {
        var workload: String
        var trainingStepsPerSecond: Double
        var forwardSamplesPerSecond: Double
        var ratioTrainingToBestReference: Double
        var ratioForwardToBestReference: Double
        /// Forward plus input gradient with kernels kept across calls (one guided sampling step).
        var guidedSampleStepsPerSecond: Double
        var parameters: Int
    }

    func validate() throws {
        try checkRange("--batch", batch, 1...65_536)
        try checkRange("--repeats", repeats, 1...1000)
    }

    func run() throws {
        let config = TSDiffConfiguration.standard(frequency: .hourly)
        var model = TSDiff(configuration: config)
        let layout = config.layout
        let x = Tensor<Float>.randomNormal(shape: [batch, layout.length, layout.channels], key: RandomKey(seed: 1))
        let optimizer = Adam<Float>()
        var state = optimizer.makeState(for: model.parameters)
        let objective = DenoisingObjective(schedule: model.schedule, prediction: .noise, timeSampling: .uniformSteps)
        let example = objective.example(for: x, key: RandomKey(seed: 2))
        func trainingStep() {
            var (_, gradients) = model.trainingLossAndGradient(example, objective: objective, dropoutKey: nil)
            gradients.clipByGlobalNorm(0.5)
            optimizer.update(&model.parameters, gradients: gradients, state: &state, learningRate: 1e-3)
        }
        func measured(_ part: Part, _ body: () -> Void) -> Double {
            guard only == nil || only == part else { return .nan }
            return medianTime(repeats: repeats, warmup: 1, body)
        }
        let trainSeconds = measured(.training, trainingStep)
        let model0 = model
        let point = model0.schedule.point(at: 50)
        // The forward pass as sampling runs it (the batch in chunks of windows), with the S4
        // kernels computed in every call as the reference's forward does.
        let forwardSeconds = measured(.forward) { _ = model0.noiseModel().predict(x, at: point) }
        let noiseModel = model0.noiseModel()
        let guidedSeconds = measured(.guided) {
            var state: Void = ()
            _ = noiseModel.predictWithGradient(x, at: point, key: .fixed, state: &state) { $0.denoised }
        }
        let report = Report(workload: "TSDiff backbone, hidden 64, 3 blocks, S4D state 128 (bidirectional), length \(layout.length), \(layout.channels) channels, batch \(batch), Float32",
                            trainingStepsPerSecond: 1 / trainSeconds, forwardSamplesPerSecond: Double(batch) / forwardSeconds,
                            ratioTrainingToBestReference: (1 / trainSeconds) / max(Self.referenceTraining.s4d, Self.referenceTraining.nplr),
                            ratioForwardToBestReference: (Double(batch) / forwardSeconds) / max(Self.referenceForward.s4d, Self.referenceForward.nplr),
                            guidedSampleStepsPerSecond: Double(batch) / guidedSeconds,
                            parameters: model.parameters.scalarCount)
        if json {
            print(jsonText(report))
            return
        }
        print("Workload: \(report.workload); \(report.parameters) parameters")
        print("Training: \(fixed(report.trainingStepsPerSecond, 2)) steps/s (\(fixed(trainSeconds * 1e3, 1)) ms per step, median of \(repeats)); reference PyTorch \(Self.referenceTraining.s4d) (S4D) / \(Self.referenceTraining.nplr) (NPLR) → \(fixed(report.ratioTrainingToBestReference, 2))× the better")
        print("Forward: \(fixed(report.forwardSamplesPerSecond, 0)) samples/s; reference \(Int(Self.referenceForward.s4d)) / \(Int(Self.referenceForward.nplr)) → \(fixed(report.ratioForwardToBestReference, 2))× the better")
        print("Guided sampling step (forward + input gradient, kernels kept): \(fixed(report.guidedSampleStepsPerSecond, 0)) sample-steps/s")
    }
}
