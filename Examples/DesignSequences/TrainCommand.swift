import ArgumentParser
import DiffuseDistributed
import DiffuseCore
import DiffuseNN
import DiffuseSequences
import DiffuseTensor
import Foundation

/// `design-sequences train`: trains a discrete-diffusion model of DNA on a FASTA file (the
/// bundled dm3 promoters by default, a dilated CNN) or of molecules on a SMILES file (the bundled
/// MOSES molecules, a Transformer over SMILES tokens padded to the longest), holding back every
/// 10th sequence, and saves it.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a masked (or uniform) diffusion model on DNA (FASTA, equal lengths) or molecules (SMILES, .smi or CSV).")

    enum Task: String, ExpressibleByArgument { case dna, molecules }
    @Option(help: "dna (FASTA; dilated CNN) or molecules (SMILES; Transformer).")
    var task: Task = .dna

    @Option(help: "FASTA file of equal-length sequences, or SMILES file for molecules (default: the bundled dm3 windows or MOSES molecules). Every 10th record is held back.")
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
    @Option(help: "Hidden channels of the dilated CNN (DNA).")
    var hidden = 64
    @Option(help: "Repetitions of the dilation stack 1, 1, 4, 16, 64 (5 convolutions each; DNA).")
    var stacks = 4
    @Option(help: "Width of a sinusoidal time embedding conditioning every convolution block (DNA; 0: no time input, the masked default; uniform diffusion needs one, e.g. 64).")
    var timeEmbedding = 0
    @Option(help: "Width of the Transformer (molecules).")
    var modelSize = 128
    @Option(help: "Transformer layers (molecules).")
    var layers = 4
    @Option(help: "Attention heads (molecules).")
    var heads = 4
    @Option(help: "Every this many steps, print the negative ELBO of 256 held-back sequences (0: never).")
    var evaluateEvery = 1000
    @Option(help: "Seed of every draw.")
    var seed: UInt64 = 0
    @Option(help: "Continue training this checkpoint (same task, data and network; Adam's moments restart; pass a new --seed).")
    var resume: String?

    func run() throws {
        setvbuf(stdout, nil, _IOLBF, 0)   // progress lines reach a log file as they are printed
        let configuration = try SequenceTrainingConfiguration(steps: steps, batchSize: batch, learningRate: learningRate, seed: seed).validated()
        let train: [[Int]], heldOut: [[Int]], network: SequenceNetwork, vocabulary: SMILESVocabulary?, source: String
        switch task {
        case .dna:
            let url = data.map { URL(fileURLWithPath: $0) } ?? SequenceData.bundledDNA
            (train, heldOut) = try SequenceData.split(try SequenceData.dna(url))
            guard (1...4096).contains(hidden), (1...64).contains(stacks) else { throw ValidationFailure("--hidden must be in 1…4096 and --stacks in 1…64") }
            guard timeEmbedding == 0 || ((2...4096).contains(timeEmbedding) && timeEmbedding % 2 == 0) else {
                throw ValidationFailure("--time-embedding must be 0 or even in 2…4096")
            }
            network = .convolution(DilatedConvolutionNetwork(hidden: hidden, stacks: stacks, timeEmbedding: timeEmbedding == 0 ? nil : timeEmbedding))
            vocabulary = nil
            source = url.lastPathComponent
        case .molecules:
            let url = data.map { URL(fileURLWithPath: $0) } ?? SequenceData.bundledMolecules
            let molecules = try SequenceData.molecules(url)
            (train, heldOut) = try SequenceData.split(molecules.encoded)
            guard (1...1024).contains(modelSize), (1...64).contains(heads), modelSize % heads == 0, (1...64).contains(layers) else {
                throw ValidationFailure("--model-size must be in 1…1024 and divisible by --heads (1…64); --layers in 1…64")
            }
            network = .transformer(SequenceTransformer(vocabularySize: molecules.vocabulary.size, length: molecules.length, modelSize: modelSize, heads: heads, layers: layers))
            vocabulary = molecules.vocabulary
            source = "\(url.lastPathComponent) (\(molecules.skipped) invalid SMILES skipped; \(molecules.vocabulary.size) tokens, padded to \(molecules.length))"
        }
        var initial: ParameterSet<Float>? = nil
        if let resume {
            let previous = try SequenceModel.load(from: URL(fileURLWithPath: resume))
            guard previous.configuration.network == network, previous.configuration.process == process, previous.configuration.vocabulary == vocabulary else {
                throw ValidationFailure("\(resume): its network, process or vocabulary differs from this run's (\(previous.configuration.network.summary), \(previous.configuration.process.rawValue))")
            }
            initial = previous.parameters
            print("Continuing \(resume) (trained \(previous.configuration.training.steps) steps with seed \(previous.configuration.training.seed))")
        }
        // Under mpirun the processes train together (data parallel); rank 0 prints and saves.
        let communicator: any Communicator = MPICommunicator.isLaunched ? try MPICommunicator() : SingleProcess()
        do {
            try runTraining(network: network, train: train, heldOut: heldOut, vocabulary: vocabulary, source: source, initial: initial,
                            configuration: configuration, communicator: communicator)
        } catch where communicator.size > 1 {
            FileHandle.standardError.write(Data("Error (rank \(communicator.rank)): \(error)\n".utf8))
            communicator.abort(exitCode: 1)
        }
    }

    func runTraining(network: SequenceNetwork, train: [[Int]], heldOut: [[Int]], vocabulary: SMILESVocabulary?, source: String, initial: ParameterSet<Float>?,
                     configuration: SequenceTrainingConfiguration, communicator: any Communicator) throws {
        let root = communicator.isRoot
        if root {
            print("Training a \(process.rawValue)-diffusion \(network.summary) on \(train.count) sequences of \(train[0].count) tokens from \(source); \(heldOut.count) held back"
                  + (communicator.size > 1 ? " (\(communicator.size) processes, \(configuration.batchSize / Swift.max(communicator.size, 1)) rows each)" : ""))
        }
        let progress = ProgressLine(label: "step")
        var runningLoss = Double.nan
        let probe = TokenBatch(tokens: heldOut.prefix(256).flatMap { $0 }, length: heldOut[0].count, vocabularySize: network.vocabularySize)
        let (model, _) = try MaskedDiffusionTrainer.train(
            network: network, on: train, configuration: configuration, process: process, vocabulary: vocabulary, startingFrom: initial,
            communicator: communicator,
            progress: { step, loss in
                guard root else { return }
                runningLoss = runningLoss.isNaN ? loss : 0.98 * runningLoss + 0.02 * loss
                progress.update(step + 1, of: configuration.steps, detail: "loss \(fixed(runningLoss, 4))")
            },
            evaluationInterval: evaluateEvery,
            evaluate: { steps, model in
                guard root else { return }
                let nelbo = LikelihoodCommand.negativeELBO(model, probe, draws: 2)
                // Keep the progress line above the evaluation (the last step has ended it already).
                if steps < configuration.steps { progress.update(steps, of: configuration.steps, detail: "loss \(fixed(runningLoss, 4))", keep: true) }
                print("step \(steps): held-back NELBO \(fixed(nelbo.bitsPerToken, 4)) ± \(fixed(nelbo.standardError, 4)) bits/token (256 sequences, 2 draws)")
            })
        guard root else { return }
        let folder = URL(fileURLWithPath: out)
        try model.save(to: folder)
        print("Saved \(folder.path)")
    }
}

extension DiscreteProcess: ExpressibleByArgument {}
