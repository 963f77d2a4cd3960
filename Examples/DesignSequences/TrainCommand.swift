import ArgumentParser
import DiffuseCore
import DiffuseSequences
import DiffuseTensor
import Foundation

/// `design-sequences train`: trains a discrete-diffusion model of DNA on a FASTA file (the
/// bundled dm3 promoters by default), holding back every 10th sequence, and saves it.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a masked (or uniform) diffusion model on a FASTA file of equal-length DNA sequences.")

    @Option(help: "FASTA file of equal-length sequences (default: the bundled dm3 promoter windows). Every 10th record is held back.")
    var data: String?
    @Option(help: "Folder for the checkpoint (config.json, model.safetensors).")
    var out: String = "design-output/model"
    @Option(help: "Discrete process: masked or uniform.")
    var process: DiscreteProcess = .masked
    @Option(help: "Training steps.")
    var steps = 8000
    @Option(help: "Sequences per step.")
    var batch = 64
    @Option(help: "Adam learning rate.")
    var learningRate = 1e-3
    @Option(help: "Hidden channels of the dilated CNN.")
    var hidden = 64
    @Option(help: "Repetitions of the dilation stack 1, 1, 4, 16, 64 (5 convolutions each).")
    var stacks = 4
    @Option(help: "Every this many steps, print the negative ELBO of 256 held-back sequences (0: never).")
    var evaluateEvery = 1000
    @Option(help: "Seed of every draw.")
    var seed: UInt64 = 0

    func run() throws {
        setvbuf(stdout, nil, _IOLBF, 0)   // progress lines reach a log file as they are printed
        let url = data.map { URL(fileURLWithPath: $0) } ?? SequenceData.bundledDNA
        let (train, heldOut) = SequenceData.split(try SequenceData.dna(url))
        let configuration = try SequenceTrainingConfiguration(steps: steps, batchSize: batch, learningRate: learningRate, seed: seed).validated()
        guard (1...4096).contains(hidden), (1...64).contains(stacks) else { throw ValidationFailure("--hidden must be in 1…4096 and --stacks in 1…64") }
        let network = DilatedConvolutionNetwork(hidden: hidden, stacks: stacks)
        print("Training a \(process.rawValue)-diffusion CNN (hidden \(hidden), \(5 * stacks) convolutions) on \(train.count) sequences of \(train[0].count) bases from \(url.lastPathComponent); \(heldOut.count) held back")
        var progress = ProgressLine(label: "step")
        var runningLoss = Double.nan
        let probe = DNAVocabulary.batch(Array(heldOut.prefix(256)))
        let (model, _) = try MaskedDiffusionTrainer.train(
            network: network, on: train, configuration: configuration, process: process,
            progress: { step, loss in
                runningLoss = runningLoss.isNaN ? loss : 0.98 * runningLoss + 0.02 * loss
                progress.update(step + 1, of: configuration.steps, detail: "loss \(fixed(runningLoss, 4))")
            },
            evaluationInterval: evaluateEvery,
            evaluate: { steps, model in
                let nelbo = LikelihoodCommand.negativeELBO(model, probe, draws: 2)
                FileHandle.standardError.write(Data("\n".utf8))
                print("step \(steps): held-back NELBO \(fixed(nelbo.bitsPerToken, 4)) ± \(fixed(nelbo.standardError, 4)) bits/base (256 sequences, 2 draws)")
            })
        let folder = URL(fileURLWithPath: out)
        try model.save(to: folder)
        print("Saved \(folder.path)")
    }
}

extension DiscreteProcess: ExpressibleByArgument {}
