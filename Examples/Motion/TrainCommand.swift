import ArgumentParser
import DiffuseMotion
import DiffuseNN
import DiffuseTensor
import Foundation

/// `motion train`: trains EMDM, the MDM-style baseline or the evaluator on the procedural benchmark
/// (or on a HumanML3D folder with `actions.txt`), writing a checkpoint folder.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train EMDM (--model emdm), the many-step baseline (--model mdm) or the evaluator (--model classifier).")

    enum Model: String, ExpressibleByArgument, CaseIterable { case emdm, mdm, classifier }

    @Option(help: "emdm, mdm or classifier.") var model: Model = .emdm
    @Option(help: "Optimiser steps (1–1000000).") var steps: Int = 2000
    @Option(help: "Rows per training window (HumanML3D: 20 per second).") var frames: Int = 40
    @Option(help: "Batch size.") var batchSize: Int = 32
    @Option(help: "Transformer width.") var modelSize: Int = 128
    @Option(help: "Transformer layers.") var layers: Int = 4
    @Option(help: "EMDM denoising steps T (1–10).") var denoisingSteps: Int = 10
    @Option(help: "Weight of the world-frame foot-slide loss (MotionLossWeights.footSlide; 0: MDM's and EMDM's losses only).") var footSlide: Double = 0
    @Option(help: "Seed of every random draw.") var seed: UInt64 = 1
    @Option(help: "A HumanML3D folder (new_joint_vecs, train.txt, actions.txt) instead of the procedural benchmark.") var data: String?
    @Option(help: "Checkpoint folder.") var out: String

    func validate() throws {
        guard (1...1_000_000).contains(steps) else { throw ValidationError("--steps must be 1 to 1000000, got \(steps)") }
        guard (2...196).contains(frames) else { throw ValidationError("--frames must be 2 to 196, got \(frames)") }
        guard (1...4096).contains(batchSize) else { throw ValidationError("--batch-size must be 1 to 4096, got \(batchSize)") }
        guard (8...1024).contains(modelSize), modelSize % 4 == 0 else { throw ValidationError("--model-size must be 8 to 1024 and divisible by 4") }
        guard (1...24).contains(layers) else { throw ValidationError("--layers must be 1 to 24") }
        guard (1...10).contains(denoisingSteps) else { throw ValidationError("--denoising-steps must be 1 to 10") }
        guard footSlide.isFinite, (0...1000).contains(footSlide) else { throw ValidationError("--foot-slide must be 0 to 1000, got \(footSlide)") }
    }

    func run() throws {
        let (windows, actions) = try MotionData.training(frames: frames, folder: data)
        let key = RandomKey(seed: seed)
        let folder = URL(fileURLWithPath: out)
        let start = Date()
        let progress = ProgressLine(label: "step")
        let losses = MotionLossWeights(footSlide: footSlide)
        switch model {
        case .classifier:
            let classifier = MotionClassifier(actionCount: actions.count)
            let parameters = try MotionClassifier.train(classifier, on: windows, steps: steps, key: key) { step, loss in
                progress.update(step + 1, of: steps, detail: "loss \(String(format: "%.4f", loss))")
            }
            try Checkpoint.save(parameters: parameters, configuration: EvaluatorCheckpoint(classifier: classifier, actions: actions, frames: frames, normalization: windows.normalization), to: folder)
        case .mdm:
            let network = MotionTransformer(frames: frames, actionCount: actions.count, modelSize: modelSize, layers: layers, feedForwardSize: 2 * modelSize)
            var trainer = MotionDiffusionTrainer(configuration: MotionDiffusionConfiguration(network: network, batchSize: batchSize, trainingSteps: steps, losses: losses,
                                                                                             normalization: windows.normalization), key: key)
            for step in 0..<steps {
                let loss = try trainer.trainStep(windows)
                progress.update(step + 1, of: steps, detail: "loss \(String(format: "%.4f", loss))")
            }
            try Checkpoint.save(parameters: trainer.averageParameters, configuration: BaselineCheckpoint(configuration: trainer.configuration, actions: actions), to: folder)
        case .emdm:
            let generator = MotionTransformer(frames: frames, actionCount: actions.count, modelSize: modelSize, layers: layers, feedForwardSize: 2 * modelSize, latentSize: 32)
            let discriminator = MotionDiscriminator(frames: frames, actionCount: actions.count)
            var trainer = DenoisingGANTrainer(configuration: DenoisingGANConfiguration(generator: generator, discriminator: discriminator, steps: denoisingSteps,
                                                                                      batchSize: batchSize, trainingSteps: steps, losses: losses, normalization: windows.normalization), key: key)
            for step in 0..<steps {
                let l = try trainer.trainStep(windows)
                progress.update(step + 1, of: steps, detail: String(format: "D %.3f  G adv %.3f  rec %.4f", l.discriminator, l.generatorAdversarial, l.generatorReconstruction))
            }
            try Checkpoint.save(parameters: trainer.averageParameters, configuration: EMDMCheckpoint(configuration: trainer.configuration, actions: actions), to: folder)
        }
        progress.finish()
        print(String(format: "trained %@ for %d steps in %.1f s; checkpoint in %@", model.rawValue, steps, Date().timeIntervalSince(start), folder.path))
    }
}
