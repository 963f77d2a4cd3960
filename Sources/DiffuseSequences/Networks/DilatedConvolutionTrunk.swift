import DiffuseCore
import DiffuseNN
import DiffuseTensor

/// The trunk the sequence CNNs share: token embeddings (K data tokens and the mask), one
/// residual block per dilation — LayerNorm → ReLU → convolution (kernel `kernelSize`, "same"
/// padding, channels last) added to its input — and a final LayerNorm. Parameter names:
/// `embedding`, `blocks.i.norm`, `blocks.i.conv`, `final_norm`.
///
/// With a time embedding of width E (Dirichlet flow matching's CNN, which the SVDD models drop):
/// e = ReLU(Linear(sinusoidal_E(1000·t))) and each block's input gets Linear_i(e) added before
/// its LayerNorm (`time_embedding`, `blocks.i.time`). The reference embeds t with random Fourier
/// features; a fixed sinusoidal embedding (DDPM's, of 1000·t) serves the same purpose.
struct DilatedConvolutionTrunk {
    var vocabularySize: Int
    var hidden: Int
    var kernelSize: Int
    /// One dilation per block.
    var dilations: [Int]
    /// The width of the time embedding, or nil for a network without time input.
    var timeEmbedding: Int? = nil

    var timeFeatures: (sinusoid: SinusoidalTimeEmbedding, linear: Linear)? {
        timeEmbedding.map { (SinusoidalTimeEmbedding(dimension: $0, scale: 1000), Linear(name: "time_embedding", inputSize: $0, outputSize: hidden)) }
    }
    func timeLinear(_ i: Int) -> Linear { Linear(name: "blocks.\(i).time", inputSize: hidden, outputSize: hidden) }

    var embedding: Embedding { Embedding(name: "embedding", count: vocabularySize + 1, size: hidden) }
    func convolution(_ i: Int) -> Convolution1D {
        Convolution1D(name: "blocks.\(i).conv", inputChannels: hidden, outputChannels: hidden, kernelSize: kernelSize,
                      padding: (kernelSize - 1) / 2 * dilations[i], dilation: dilations[i])
    }
    func norm(_ i: Int) -> LayerNorm { LayerNorm(name: "blocks.\(i).norm", size: hidden) }
    var finalNorm: LayerNorm { LayerNorm(name: "final_norm", size: hidden) }

    func initialize<S: TensorScalar>(_ parameters: inout ParameterSet<S>, key: RandomKey) {
        embedding.initialize(&parameters, key: key)
        timeFeatures?.linear.initialize(&parameters, key: key)
        for i in dilations.indices {
            norm(i).initialize(&parameters, key: key)
            convolution(i).initialize(&parameters, key: key)
            if timeEmbedding != nil { timeLinear(i).initialize(&parameters, key: key) }
        }
        finalNorm.initialize(&parameters, key: key)
    }

    /// The normalised features `[count, length, hidden]` of a token batch at its times (one per
    /// sequence; ignored without a time embedding).
    func features<S: TensorScalar>(_ x: TokenBatch, times: [Double], _ parameters: BoundParameters<S>) -> Variable<S> {
        var h = embedding(IndexTensor(shape: [x.sampleCount, x.length], indices: x.tokens), parameters)
        let e = timeFeatures.map { time -> Variable<S> in
            precondition(times.count == x.sampleCount, "one time per sequence: \(times.count) for \(x.sampleCount)")
            return time.linear(Variable(time.sinusoid(times, as: S.self)), parameters).relu()
        }
        for i in dilations.indices {
            let input = e.map { h + timeLinear(i)($0, parameters).reshaped([x.sampleCount, 1, hidden]) } ?? h
            h = h + convolution(i).channelsLast(norm(i)(input, parameters).relu(), parameters)
        }
        return finalNorm(h, parameters)
    }
}
