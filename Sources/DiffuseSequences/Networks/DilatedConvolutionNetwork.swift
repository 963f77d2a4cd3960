import DiffuseCore
import DiffuseNN
import DiffuseTensor

/// The dilated 1-D convolutional denoiser of the SVDD DNA models (Li et al. 2024, after the CNN
/// of Dirichlet flow matching): token embeddings (K data tokens and the mask), then `stacks`
/// repetitions of residual blocks with the given dilations — each block LayerNorm → ReLU →
/// convolution (kernel `kernelSize`, "same" padding) added to its input — then LayerNorm and a
/// linear map to the K logits of p(x₀ | x_t) per position. No time input by default (the
/// MDLM/SVDD choice for masked diffusion), so samplers may cache its output; with
/// `timeEmbedding` E each block is conditioned on t as in Dirichlet flow matching's CNN (see
/// the trunk), which uniform-noise diffusion needs: its inputs do not show how noisy they are.
/// Defaults: hidden 128, kernel 9, dilations 1, 1, 4, 16, 64 in 4 stacks (20 convolutions,
/// about 2.95 M parameters).
public struct DilatedConvolutionNetwork: TokenNetwork {
    public var vocabularySize: Int
    public var hidden: Int
    public var kernelSize: Int
    public var dilations: [Int]
    public var stacks: Int
    /// The width of the sinusoidal time embedding, or nil for no time input.
    public var timeEmbedding: Int?

    public init(vocabularySize: Int = DNAVocabulary.size, hidden: Int = 128, kernelSize: Int = 9, dilations: [Int] = [1, 1, 4, 16, 64], stacks: Int = 4,
                timeEmbedding: Int? = nil) {
        precondition(vocabularySize >= 1 && hidden >= 1 && stacks >= 1 && !dilations.isEmpty && dilations.allSatisfy { $0 >= 1 },
                     "the network needs positive sizes and dilations")
        precondition(kernelSize >= 1 && kernelSize % 2 == 1, "the kernel size must be odd (same padding), got \(kernelSize)")
        precondition(timeEmbedding.map { $0 >= 2 && $0 % 2 == 0 } ?? true, "the time embedding width must be even and at least 2")
        self.vocabularySize = vocabularySize
        self.hidden = hidden
        self.kernelSize = kernelSize
        self.dilations = dilations
        self.stacks = stacks
        self.timeEmbedding = timeEmbedding
    }

    public var usesTime: Bool { timeEmbedding != nil }

    var blockDilations: [Int] { (0..<stacks).flatMap { _ in dilations } }
    var trunk: DilatedConvolutionTrunk {
        DilatedConvolutionTrunk(vocabularySize: vocabularySize, hidden: hidden, kernelSize: kernelSize, dilations: blockDilations, timeEmbedding: timeEmbedding)
    }
    var output: Linear { Linear(name: "output", inputSize: hidden, outputSize: vocabularySize) }

    public func initialize<S: TensorScalar>(_ parameters: inout ParameterSet<S>, key: RandomKey) {
        trunk.initialize(&parameters, key: key)
        output.initialize(&parameters, key: key)
    }

    /// The logits `[count, length, K]` of a token batch at its times.
    public func callAsFunction<S: TensorScalar>(_ x: TokenBatch, times: [Double], _ parameters: BoundParameters<S>) -> Variable<S> {
        precondition(x.vocabularySize == vocabularySize, "a batch over \(x.vocabularySize) tokens for a network over \(vocabularySize)")
        return output(trunk.features(x, times: times, parameters), parameters)
    }

    /// About how many weights the network has (stacks × convolutions × kernel × hidden²), for
    /// checking a configuration read from a file before anything is allocated.
    public var estimatedWeights: Int { stacks * dilations.count * (kernelSize + (timeEmbedding == nil ? 0 : 1)) * hidden * hidden + (timeEmbedding ?? 0) * hidden }

    public func check(_ fail: (String, Any, String) -> Error) throws {
        guard (1...4096).contains(vocabularySize) else { throw fail("network.vocabularySize", vocabularySize, "in 1…4096") }
        guard (1...4096).contains(hidden) else { throw fail("network.hidden", hidden, "in 1…4096") }
        guard (1...63).contains(kernelSize) && kernelSize % 2 == 1 else { throw fail("network.kernelSize", kernelSize, "odd, in 1…63") }
        guard !dilations.isEmpty && dilations.count <= 64 && dilations.allSatisfy({ (1...4096).contains($0) }) else {
            throw fail("network.dilations", dilations, "1 to 64 values in 1…4096")
        }
        guard (1...64).contains(stacks) else { throw fail("network.stacks", stacks, "in 1…64") }
        if let e = timeEmbedding, !((2...4096).contains(e) && e % 2 == 0) { throw fail("network.timeEmbedding", e, "even, in 2…4096") }
        let weights = estimatedWeights
        guard weights <= Checkpoint.maximumConfiguredWeights else {
            throw fail("network.hidden", hidden, "such that stacks × convolutions × kernel × hidden² (\(weights)) ≤ \(Checkpoint.maximumConfiguredWeights)")
        }
    }
}
