import DiffuseCore
import DiffuseNN
import DiffuseTensor

/// The trunk the sequence CNNs share: token embeddings (K data tokens and the mask), one
/// residual block per dilation — LayerNorm → ReLU → convolution (kernel `kernelSize`, "same"
/// padding, channels last) added to its input — and a final LayerNorm. Parameter names:
/// `embedding`, `blocks.i.norm`, `blocks.i.conv`, `final_norm`.
struct DilatedConvolutionTrunk {
    var vocabularySize: Int
    var hidden: Int
    var kernelSize: Int
    /// One dilation per block.
    var dilations: [Int]

    var embedding: Embedding { Embedding(name: "embedding", count: vocabularySize + 1, size: hidden) }
    func convolution(_ i: Int) -> Convolution1D {
        Convolution1D(name: "blocks.\(i).conv", inputChannels: hidden, outputChannels: hidden, kernelSize: kernelSize,
                      padding: (kernelSize - 1) / 2 * dilations[i], dilation: dilations[i])
    }
    func norm(_ i: Int) -> LayerNorm { LayerNorm(name: "blocks.\(i).norm", size: hidden) }
    var finalNorm: LayerNorm { LayerNorm(name: "final_norm", size: hidden) }

    func initialize<S: TensorScalar>(_ parameters: inout ParameterSet<S>, key: RandomKey) {
        embedding.initialize(&parameters, key: key)
        for i in dilations.indices {
            norm(i).initialize(&parameters, key: key)
            convolution(i).initialize(&parameters, key: key)
        }
        finalNorm.initialize(&parameters, key: key)
    }

    /// The normalised features `[count, length, hidden]` of a token batch.
    func features<S: TensorScalar>(_ x: TokenBatch, _ parameters: BoundParameters<S>) -> Variable<S> {
        var h = embedding(IndexTensor(shape: [x.sampleCount, x.length], indices: x.tokens), parameters)
        for i in dilations.indices { h = h + convolution(i).channelsLast(norm(i)(h, parameters).relu(), parameters) }
        return finalNorm(h, parameters)
    }
}
