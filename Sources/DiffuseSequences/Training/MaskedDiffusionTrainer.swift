import DiffuseCore
import DiffuseNN
import DiffuseTensor
import Foundation

/// How a masked-diffusion sequence model is trained (MDLM's defaults where they fit a CPU: Adam
/// at 3·10⁻⁴, gradient clipping at 1, EMA 0.9999 with warm-up: the decay at step t is
/// min(0.9999, (1 + t)/(10 + t)), so a short run's average is not its initial weights).
public struct SequenceTrainingConfiguration: Codable, Equatable, Sendable {
    public var steps: Int
    public var batchSize: Int
    public var learningRate: Double
    public var gradientClip: Double
    public var emaDecay: Double
    public var seed: UInt64

    public init(steps: Int = 1000, batchSize: Int = 64, learningRate: Double = 3e-4, gradientClip: Double = 1, emaDecay: Double = 0.9999, seed: UInt64 = 0) {
        self.steps = steps
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.gradientClip = gradientClip
        self.emaDecay = emaDecay
        self.seed = seed
    }

    /// Checks every field (they may come from a file or a command line).
    public func validated() throws -> SequenceTrainingConfiguration {
        func fail(_ field: String, _ value: Any, _ rule: String) -> TrainingConfigurationError { TrainingConfigurationError(field: field, value: "\(value)", rule: rule) }
        guard (1...10_000_000).contains(steps) else { throw fail("steps", steps, "1…10 000 000") }
        guard (1...65_536).contains(batchSize) else { throw fail("batchSize", batchSize, "1…65 536") }
        guard learningRate > 0 && learningRate.isFinite && learningRate < 1 else { throw fail("learningRate", learningRate, "in (0, 1)") }
        guard gradientClip > 0 && gradientClip.isFinite else { throw fail("gradientClip", gradientClip, "positive and finite") }
        guard emaDecay >= 0 && emaDecay < 1 else { throw fail("emaDecay", emaDecay, "in [0, 1)") }
        return self
    }
}

/// A trained sequence model: the network's configuration, the sequence length it was trained
/// on, and its weights (the EMA average).
public struct SequenceModel: Sendable {
    public struct Configuration: Codable, Equatable, Sendable {
        public var network: SequenceNetwork
        public var length: Int
        public var training: SequenceTrainingConfiguration
        /// The process the network was trained for (files without the field are masked).
        public var process: DiscreteProcess
        /// The SMILES tokens of a molecule model (nil for DNA).
        public var vocabulary: SMILESVocabulary?

        public init(network: SequenceNetwork, length: Int, training: SequenceTrainingConfiguration, process: DiscreteProcess = .masked,
                    vocabulary: SMILESVocabulary? = nil) {
            self.network = network
            self.length = length
            self.training = training
            self.process = process
            self.vocabulary = vocabulary
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            network = try c.decode(SequenceNetwork.self, forKey: .network)
            length = try c.decode(Int.self, forKey: .length)
            training = try c.decode(SequenceTrainingConfiguration.self, forKey: .training)
            process = try c.decodeIfPresent(DiscreteProcess.self, forKey: .process) ?? .masked
            vocabulary = try c.decodeIfPresent(SMILESVocabulary.self, forKey: .vocabulary)
        }
    }

    public var configuration: Configuration
    public var parameters: ParameterSet<Float>

    /// A model from a configuration and weights (unchecked; ``load(from:)`` checks both).
    public init(configuration: Configuration, parameters: ParameterSet<Float>) {
        self.configuration = configuration
        self.parameters = parameters
    }

    /// The model as a `TokenDenoiser` (chunks of 8 sequences over the cores).
    public var denoiser: TokenNetworkDenoiser<SequenceNetwork, Float> {
        TokenNetworkDenoiser(network: configuration.network, parameters: parameters, batchChunkSize: 8)
    }

    /// Saves `config.json` and `model.safetensors` into `folder`, atomically.
    public func save(to folder: URL) throws {
        try Checkpoint.save(parameters: parameters, configuration: configuration, to: folder)
    }

    /// Loads a model: every configuration value is checked against its documented range first
    /// (errors name the folder and field), then the weights must be exactly the network's (names
    /// and shapes) and finite.
    public static func load(from folder: URL) throws -> SequenceModel {
        let (parameters, configuration) = try Checkpoint.load(from: folder, as: Float.self, configuration: Configuration.self) { try $0.check(folder: folder) }
        // The expected weights are allocated before the comparison: refuse at once a
        // configuration far larger than the file.
        let described: Int
        switch configuration.network {
        case .convolution(let n): described = n.estimatedWeights
        case .transformer(let n): described = n.estimatedWeights
        }
        guard described <= 4 * parameters.scalarCount + 65_536 else {
            throw SafeTensorsError(path: folder.path, reason: "config.json describes about \(described) weights, model.safetensors holds \(parameters.scalarCount)")
        }
        let expected = configuration.network.makeParameters(as: Float.self, key: RandomKey(seed: 0))
        if let mismatch = parameters.firstMismatch(against: expected) {
            throw SafeTensorsError(path: folder.path, reason: "weights do not match the configured network: \(mismatch)")
        }
        if let name = parameters.firstNonFiniteName() {
            throw SafeTensorsError(path: folder.path, reason: "weight '\(name)' is not finite")
        }
        return SequenceModel(configuration: configuration, parameters: parameters)
    }
}

/// The discrete process a sequence model is trained for.
public enum DiscreteProcess: String, Codable, CaseIterable, Sendable {
    /// Masked (absorbing) diffusion, MDLM's objective (`MaskedDiffusionObjective`).
    case masked
    /// Uniform-noise diffusion, D3PM's discrete-time bound (`UniformDiffusionObjective`).
    case uniform
}

/// Trains a discrete-diffusion model of token sequences of one length (DNA, or SMILES tokens with
/// a network over their vocabulary): each step draws a batch (with replacement, sample i of
/// step k from its own stream), noises it with the process's objective (MDLM's masked objective
/// or uniform-noise D3PM's bound), takes an Adam step on the clipped gradient and updates the EMA.
public enum MaskedDiffusionTrainer {
    /// Trains `network`; every `evaluationInterval` steps (and after the last) `evaluate` gets
    /// the step count and the model so far (its EMA weights). With `startingFrom`, training
    /// continues from those weights (a saved model's EMA weights; the optimizer's moments start
    /// afresh, and the seed should differ from the first run's so batches are new).
    ///
    /// With a `communicator` of several processes (data parallel), rank 0's weights are
    /// broadcast first, each process draws and noises its shard of every batch (rows and noise
    /// keyed by global row index, stratified times over the whole batch) and the gradients and
    /// loss are averaged with one all-reduce per step, so the processes take one process's steps
    /// up to the order of floating-point sums; the batch size must be divisible by the number of
    /// processes. Callbacks run on every process: write files from rank 0 only.
    public static func train(network: SequenceNetwork, on sequences: [[Int]], configuration: SequenceTrainingConfiguration,
                             process: DiscreteProcess = .masked, vocabulary: SMILESVocabulary? = nil, startingFrom initial: ParameterSet<Float>? = nil,
                             communicator: any Communicator = SingleProcess(),
                             progress: ((_ step: Int, _ loss: Double) -> Void)? = nil,
                             evaluationInterval: Int = 0, evaluate: ((_ steps: Int, _ model: SequenceModel) throws -> Void)? = nil) throws -> (model: SequenceModel, losses: [Double]) {
        switch process {
        case .masked:
            return try train(network: network, on: sequences, configuration: configuration, objective: MaskedDiffusionObjective(), process: process, vocabulary: vocabulary, initial: initial,
                             communicator: communicator, progress: progress, evaluationInterval: evaluationInterval, evaluate: evaluate)
        case .uniform:
            return try train(network: network, on: sequences, configuration: configuration, objective: UniformDiffusionObjective(), process: process, vocabulary: vocabulary, initial: initial,
                             communicator: communicator, progress: progress, evaluationInterval: evaluationInterval, evaluate: evaluate)
        }
    }

    static func train<O: DiscreteDiffusionObjective>(network: SequenceNetwork, on sequences: [[Int]], configuration: SequenceTrainingConfiguration,
                                                     objective: O, process: DiscreteProcess, vocabulary: SMILESVocabulary?, initial: ParameterSet<Float>?,
                                                     communicator: any Communicator,
                                                     progress: ((_ step: Int, _ loss: Double) -> Void)?,
                                                     evaluationInterval: Int, evaluate: ((_ steps: Int, _ model: SequenceModel) throws -> Void)?) throws -> (model: SequenceModel, losses: [Double]) {
        let configuration = try configuration.validated()
        guard let length = sequences.first?.count, length > 0 else { throw TrainingConfigurationError(field: "sequences", value: "\(sequences.count)", rule: "non-empty") }
        guard sequences.allSatisfy({ $0.count == length && $0.allSatisfy { (0..<network.vocabularySize).contains($0) } }) else {
            throw TrainingConfigurationError(field: "sequences", value: "mixed", rule: "of one length with tokens 0..<\(network.vocabularySize)")
        }
        let key = RandomKey(seed: configuration.seed)
        var parameters = network.makeParameters(as: Float.self, key: key.folding(in: 0))
        if let initial {
            if let mismatch = initial.firstMismatch(against: parameters) {
                throw TrainingConfigurationError(field: "startingFrom", value: "\(mismatch)", rule: "the weights of the configured network")
            }
            parameters = initial
        }
        guard configuration.batchSize % communicator.size == 0 else {
            throw TrainingConfigurationError(field: "batchSize", value: "\(configuration.batchSize)", rule: "divisible by the \(communicator.size) processes")
        }
        try communicator.broadcast(&parameters, from: 0)
        let shard = communicator.shard(configuration.batchSize)
        var average = parameters
        let optimizer = Adam<Float>()
        var state = optimizer.makeState(for: parameters)
        let ema = ExponentialMovingAverage(decay: configuration.emaDecay, warmup: true)
        if let vocabulary, vocabulary.size != network.vocabularySize {
            throw TrainingConfigurationError(field: "vocabulary", value: "\(vocabulary.size) tokens", rule: "the network's \(network.vocabularySize)")
        }
        let modelConfiguration = SequenceModel.Configuration(network: network, length: length, training: configuration, process: process, vocabulary: vocabulary)
        var losses: [Double] = []
        for step in 0..<configuration.steps {
            let stepKey = key.folding(in: 1).folding(in: step)
            // Row i of every step's batch is drawn from its own stream; this process takes its shard.
            let rows = shard.map { i -> [Int] in
                var stream = RandomStream(key: stepKey.folding(in: i))
                return sequences[stream.integer(below: sequences.count)]
            }
            let batch = TokenBatch(tokens: rows.flatMap { $0 }, length: length, vocabularySize: network.vocabularySize)
            let example = objective.example(for: batch, key: stepKey.folding(in: -1), sampleOffset: shard.lowerBound, batchCount: configuration.batchSize)
            var (lossValue, gradients) = parameters.valueAndGradients { bound in
                let input = objective.input(of: example)
                return objective.loss(logits: network(input.tokens, times: input.times, bound), example)
            }
            var shared = [lossValue]
            try communicator.allReduceMean(&gradients, extra: &shared)
            let loss = shared[0]
            try TrainingError.check(loss: loss, gradients: gradients, step: step)
            _ = gradients.clipByGlobalNorm(Float(configuration.gradientClip))
            optimizer.update(&parameters, gradients: gradients, state: &state, learningRate: configuration.learningRate)
            ema.update(&average, toward: parameters, step: step)
            losses.append(Double(loss))
            progress?(step, losses.last!)
            if let evaluate, evaluationInterval > 0, (step + 1) % evaluationInterval == 0 || step + 1 == configuration.steps {
                try communicator.checkIdentical(parameters)
                try evaluate(step + 1, SequenceModel(configuration: modelConfiguration, parameters: average))
            }
        }
        return (SequenceModel(configuration: modelConfiguration, parameters: average), losses)
    }
}

extension SequenceModel.Configuration {
    /// Checks every field a file could set before anything is allocated from it.
    func check(folder: URL) throws {
        func fail(_ field: String, _ value: Any, _ rule: String) -> SafeTensorsError {
            SafeTensorsError(path: folder.appendingPathComponent("config.json").path, reason: "\(field) = \(value) must be \(rule)")
        }
        try network.check(fail)
        guard (1...100_000).contains(length) else { throw fail("length", length, "in 1…100 000") }
        // Activations per sequence: length × channels per layer, and for the Transformer its
        // attention maps, length² × heads (memory, checked before anything is allocated).
        switch network {
        case .convolution(let n):
            guard length * n.hidden <= 1 << 20 else { throw fail("length", length, "such that length × hidden (\(length * n.hidden)) ≤ \(1 << 20)") }
        case .transformer(let n):
            guard length * n.modelSize <= 1 << 20, length * length * n.heads <= 1 << 26 else {
                throw fail("length", length, "such that length × modelSize ≤ \(1 << 20) and length² × heads ≤ \(1 << 26)")
            }
        }
        if let vocabulary, vocabulary.size != network.vocabularySize {
            throw fail("vocabulary", "\(vocabulary.size) tokens", "the network's \(network.vocabularySize) tokens")
        }
        if case .transformer(let t) = network, length > t.length { throw fail("length", length, "at most the Transformer's \(t.length) positions") }
        do { _ = try training.validated() } catch { throw SafeTensorsError(path: folder.appendingPathComponent("config.json").path, reason: "\(error)") }
    }
}
