import DiffuseCore
import DiffuseNN
import DiffuseTensor
import Foundation

/// The learned value of SVDD-MC (Li, Uehara et al. 2024, Alg. 3; its code regresses with a plain
/// squared error): a network v(x_t) ≈ E[r(x₀) | x_t] fitted on rollouts of the pretrained sampler,
/// every intermediate state paired with the reward of the sequence it became. One network for all
/// times (no time input, as the reference's default): masked positions carry the mask token, so
/// the network sees how far the state is from clean.
///
/// Architecture: token embedding (K data tokens and the mask), residual blocks LayerNorm → ReLU →
/// dilated convolution (channels last), a final LayerNorm, the mean over positions, and a linear
/// map to one number. Targets are standardised for training and the value is returned in reward
/// units.
public struct ValueNetwork: Layer, Equatable {
    public var vocabularySize: Int
    public var hidden: Int
    public var kernelSize: Int
    public var dilations: [Int]
    /// The mean and standard deviation of the training targets (set by
    /// ``fit(sampler:length:reward:rollouts:key:steps:batchSize:learningRate:)``).
    public var targetMean = 0.0
    public var targetScale = 1.0

    public init(vocabularySize: Int = DNAVocabulary.size, hidden: Int = 32, kernelSize: Int = 5, dilations: [Int] = [1, 2, 4, 8, 16]) {
        precondition(vocabularySize >= 1 && hidden >= 1 && kernelSize % 2 == 1 && !dilations.isEmpty && dilations.allSatisfy { $0 >= 1 },
                     "the value network needs positive sizes, an odd kernel and positive dilations")
        self.vocabularySize = vocabularySize
        self.hidden = hidden
        self.kernelSize = kernelSize
        self.dilations = dilations
    }

    var trunk: DilatedConvolutionTrunk {
        DilatedConvolutionTrunk(vocabularySize: vocabularySize, hidden: hidden, kernelSize: kernelSize, dilations: dilations)
    }
    var output: Linear { Linear(name: "output", inputSize: hidden, outputSize: 1) }

    public func initialize<S: TensorScalar>(_ parameters: inout ParameterSet<S>, key: RandomKey) {
        trunk.initialize(&parameters, key: key)
        output.initialize(&parameters, key: key)
    }

    /// The standardised values `[count]` of a batch.
    public func callAsFunction<S: TensorScalar>(_ x: TokenBatch, _ parameters: BoundParameters<S>) -> Variable<S> {
        precondition(x.vocabularySize == vocabularySize, "a batch over \(x.vocabularySize) tokens for a value network over \(vocabularySize)")
        return output(trunk.features(x, times: [], parameters).mean(alongAxis: 1), parameters).reshaped([x.sampleCount])
    }

    /// Values in reward units.
    public func values(_ x: TokenBatch, parameters: ParameterSet<Float>) -> [Double] {
        self(x, parameters.constants).value.scalars.map { targetMean + targetScale * Double($0) }
    }

    /// A fitted value network and what fitting it cost.
    public struct Fitted: Sendable {
        public var network: ValueNetwork
        public var parameters: ParameterSet<Float>
        /// Network calls of the rollout run (each on the batch of rollouts), and its sequences.
        public var rolloutCalls: Int
        public var rolloutCount: Int
        /// The squared error of the standardised values on the training pairs, at the end.
        public var finalLoss: Double

        /// The value as SVDD's `.learned` value.
        public var value: ParticleGuidance.Value<TokenBatch> {
            let network = network, parameters = parameters
            return .learned { x, _ in network.values(x, parameters: parameters) }
        }
    }

    /// Fits the network on `rollouts` sequences drawn by `sampler`: every state after every step
    /// (masked positions included) is paired with the reward of its final sequence; Adam on the
    /// squared error of standardised targets, batches drawn with replacement from the pairs.
    public func fit<M: TokenDenoiser>(sampler: MaskedDiffusionSampler<M>, length: Int, reward: (TokenBatch) -> [Double], rollouts: Int, key: RandomKey,
                                      steps: Int = 1000, batchSize: Int = 64, learningRate: Double = 1e-3) -> Fitted {
        precondition(rollouts >= 2 && steps >= 1 && batchSize >= 1, "fitting needs at least two rollouts, one step and one sequence per batch")
        var states: [TokenBatch] = []
        let result = sampler.sample(count: rollouts, length: length, key: key.folding(in: 0)) { event in states.append(event.x) }
        let finalRewards = reward(result.samples)
        var pairs: [(tokens: ArraySlice<Int>, target: Double)] = []
        for state in states { for i in 0..<state.sampleCount { pairs.append((state[sample: i], finalRewards[i])) } }
        let mean = finalRewards.reduce(0, +) / Double(finalRewards.count)
        let scale = Swift.max((finalRewards.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(finalRewards.count)).squareRoot(), 1e-6)
        var network = self
        network.targetMean = mean
        network.targetScale = scale
        var parameters = network.makeParameters(as: Float.self, key: key.folding(in: 1))
        let optimizer = Adam<Float>()
        var state = optimizer.makeState(for: parameters)
        var loss = Double.nan
        for step in 0..<steps {
            var stream = RandomStream(key: key.folding(in: 2).folding(in: step))
            let chosen = (0..<batchSize).map { _ in pairs[stream.integer(below: pairs.count)] }
            let batch = TokenBatch(tokens: chosen.flatMap { $0.tokens }, length: length, vocabularySize: vocabularySize)
            let targets = Tensor<Float>(shape: [batchSize], scalars: chosen.map { Float(($0.target - mean) / scale) })
            let tape = Tape<Float>()
            let bound = parameters.bound(to: tape)
            let error = Loss.meanSquaredError(network(batch, bound), targets)
            var gradients = bound.gradients(tape.gradient(of: error))
            _ = gradients.clipByGlobalNorm(1)
            optimizer.update(&parameters, gradients: gradients, state: &state, learningRate: learningRate)
            loss = Double(error.value.scalar)
        }
        return Fitted(network: network, parameters: parameters, rolloutCalls: result.statistics.functionEvaluations,
                      rolloutCount: rollouts, finalLoss: loss)
    }
}
