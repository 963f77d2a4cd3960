import DiffuseCore
import DiffuseNN
import DiffuseTensor

/// A small bidirectional Transformer over token sequences for masked diffusion of SMILES (the
/// MDLM backbone family, without its time input): token embeddings (K data tokens and the mask)
/// plus learned position embeddings for up to `length` positions, `layers` pre-norm encoder layers
/// (`heads` heads, feed-forward width 4·`modelSize`, GELU, no dropout), a final LayerNorm and a
/// linear map to the K logits per position. Attention stays within a sequence.
public struct SequenceTransformer: TokenNetwork {
    public var vocabularySize: Int
    public var length: Int
    public var modelSize: Int
    public var heads: Int
    public var layers: Int

    public init(vocabularySize: Int, length: Int, modelSize: Int = 128, heads: Int = 4, layers: Int = 4) {
        precondition(vocabularySize >= 1 && length >= 1 && layers >= 1 && heads >= 1 && modelSize % heads == 0,
                     "the Transformer needs positive sizes and a width divisible by the heads")
        self.vocabularySize = vocabularySize
        self.length = length
        self.modelSize = modelSize
        self.heads = heads
        self.layers = layers
    }

    var embedding: Embedding { Embedding(name: "embedding", count: vocabularySize + 1, size: modelSize) }
    var positions: Embedding { Embedding(name: "positions", count: length, size: modelSize) }
    func layer(_ i: Int) -> TransformerEncoderLayer {
        TransformerEncoderLayer(name: "layers.\(i)", modelSize: modelSize, heads: heads, feedForwardSize: 4 * modelSize, dropout: 0,
                                activation: .gelu, normFirst: true)
    }
    var finalNorm: LayerNorm { LayerNorm(name: "final_norm", size: modelSize) }
    var output: Linear { Linear(name: "output", inputSize: modelSize, outputSize: vocabularySize) }

    public func initialize<S: TensorScalar>(_ parameters: inout ParameterSet<S>, key: RandomKey) {
        embedding.initialize(&parameters, key: key)
        positions.initialize(&parameters, key: key)
        for i in 0..<layers { layer(i).initialize(&parameters, key: key) }
        finalNorm.initialize(&parameters, key: key)
        output.initialize(&parameters, key: key)
    }

    /// No time input.
    public var usesTime: Bool { false }

    /// The logits of a batch (the times are not used).
    public func callAsFunction<S: TensorScalar>(_ x: TokenBatch, times: [Double], _ parameters: BoundParameters<S>) -> Variable<S> {
        precondition(x.vocabularySize == vocabularySize, "a batch over \(x.vocabularySize) tokens for a network over \(vocabularySize)")
        precondition(x.length <= length, "sequences of \(x.length) tokens for a Transformer of \(length) positions")
        let n = x.sampleCount, l = x.length
        var h = embedding(IndexTensor(shape: [n, l], indices: x.tokens), parameters)
            + positions(IndexTensor(shape: [1, l], indices: Array(0..<l)), parameters)
        for i in 0..<layers { h = layer(i)(h, parameters) }
        return output(finalNorm(h, parameters), parameters)
    }

    /// About how many weights the network has (12 × layers × modelSize²), for checking a
    /// configuration read from a file before anything is allocated.
    public var estimatedWeights: Int { 12 * layers * modelSize * modelSize }

    public func check(_ fail: (String, Any, String) -> Error) throws {
        guard (1...4096).contains(vocabularySize) else { throw fail("network.vocabularySize", vocabularySize, "in 1…4096") }
        guard (1...4096).contains(length) else { throw fail("network.length", length, "in 1…4096") }
        guard (1...64).contains(heads) else { throw fail("network.heads", heads, "in 1…64") }
        guard (1...4096).contains(modelSize) && modelSize % heads == 0 else { throw fail("network.modelSize", modelSize, "in 1…4096 and divisible by the heads") }
        guard (1...64).contains(layers) else { throw fail("network.layers", layers, "in 1…64") }
        let weights = estimatedWeights
        guard weights <= Checkpoint.maximumConfiguredWeights else {
            throw fail("network.modelSize", modelSize, "such that 12 × layers × modelSize² (\(weights)) ≤ \(Checkpoint.maximumConfiguredWeights)")
        }
    }
}
