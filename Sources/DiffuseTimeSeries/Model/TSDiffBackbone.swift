import DiffuseNN
import DiffuseTensor
import Foundation

/// The configuration of TSDiff's denoising network (Kollovieh et al. 2023, `BackboneModel` of
/// `uncond_ts_diff/arch/backbones.py`; the paper's runs use `diffusion_small_config`: hidden 64,
/// 3 blocks, 128-dim step embedding).
public struct TSDiffBackboneConfiguration: Codable, Hashable, Sendable {
    public var channels: Int
    /// Conditioning channels F read beside the C generated ones (0: TSDiff's unconditional
    /// network).
    public var conditioningChannels: Int
    public var hidden: Int
    public var blocks: Int
    public var stepEmbedding: Int
    public var stateSize: Int
    public var bidirectional: Bool
    public var initialSkip: Bool
    public var dropout: Double

    public init(channels: Int, conditioningChannels: Int = 0, hidden: Int = 64, blocks: Int = 3, stepEmbedding: Int = 128, stateSize: Int = 128,
                bidirectional: Bool = true, initialSkip: Bool = false, dropout: Double = 0) {
        self.channels = channels
        self.conditioningChannels = conditioningChannels
        self.hidden = hidden
        self.blocks = blocks
        self.stepEmbedding = stepEmbedding
        self.stateSize = stateSize
        self.bidirectional = bidirectional
        self.initialSkip = initialSkip
        self.dropout = dropout
    }

    enum CodingKeys: String, CodingKey {
        case channels, conditioningChannels, hidden, blocks, stepEmbedding, stateSize, bidirectional, initialSkip, dropout
    }

    /// Reads a configuration; one saved before conditioning existed has no conditioning channels.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(channels: try c.decode(Int.self, forKey: .channels),
                  conditioningChannels: try c.decodeIfPresent(Int.self, forKey: .conditioningChannels) ?? 0,
                  hidden: try c.decode(Int.self, forKey: .hidden), blocks: try c.decode(Int.self, forKey: .blocks),
                  stepEmbedding: try c.decode(Int.self, forKey: .stepEmbedding), stateSize: try c.decode(Int.self, forKey: .stateSize),
                  bidirectional: try c.decode(Bool.self, forKey: .bidirectional), initialSkip: try c.decode(Bool.self, forKey: .initialSkip),
                  dropout: try c.decode(Double.self, forKey: .dropout))
    }

    /// The default hidden width of a joint model's network with `channels` channels: the
    /// smallest multiple of 64 that is at least twice the channels its input projection mixes
    /// (the model of one hourly series has 11 channels and the paper's width 64). Measured on
    /// CAISO's 5 series (55 channels, 2026-12-07): width 64 stalled at a training loss of 0.16
    /// and scored 0.0592 on the test week; width 128 reached 0.06 and 0.0435.
    public static func jointHidden(channels: Int) -> Int {
        Swift.max(64, (2 * channels + 63) / 64 * 64)
    }

    /// About how many weights the backbone has (each block 4·hidden² + 4·hidden·stateSize),
    /// for checking a configuration read from a file before anything is allocated.
    public var estimatedWeights: Int { blocks * 4 * hidden * (hidden + stateSize) }
}

/// TSDiff's backbone: input projection, N S4 blocks with a diffusion-step embedding, summed
/// skips and an output head; it predicts ε for every channel of a `[B, L, C]` window.
///
/// - Input: Linear(C → H) + ReLU, then channels-first `[B, H, L]`; with F conditioning channels,
///   ReLU(Linear(C → H)(x) + Linear(F → H, no bias)(c)), which is a Linear(C + F → H) of the
///   concatenated channels (the conditional model; the rest of the network is shared).
/// - Step embedding: sinusoidal (128, sin first, frequencies exp(−k·ln 10⁴/63)) of the integer
///   step, then Linear → SiLU → Linear → SiLU.
/// - Block: h = S4Layer(x + Linear(t)) with S4Layer(z) = z + S4D(LayerNorm(z)); g = tanh(h)·σ(h);
///   residual 1×1conv(g) + x, skip 1×1conv(g).
/// - Head: Σ skips → Linear(H, H) → ReLU → Linear(H, C) (+ input with `initialSkip`).
///
/// The S4 layer is the diagonal `S4D` (bidirectional, GELU and a 1×1 output projection, as the
/// reference's `S4(postact=None)`), where the reference uses S4's NPLR (LegS) kernel.
public struct TSDiffBackbone: Codable, Equatable, Sendable {
    public var configuration: TSDiffBackboneConfiguration
    let inputProjection: Linear
    let conditioningProjection: Linear?
    let stepEmbedding: SinusoidalTimeEmbedding
    let stepLinear1: Linear
    let stepLinear2: Linear
    let timeLinears: [Linear]
    let norms: [LayerNorm]
    let s4: [S4D]
    let residualConvs: [Convolution1D]
    let skipConvs: [Convolution1D]
    let headLinear1: Linear
    let headLinear2: Linear

    public init(_ c: TSDiffBackboneConfiguration) {
        configuration = c
        inputProjection = Linear(name: "input_init.0", inputSize: c.channels, outputSize: c.hidden)
        conditioningProjection = c.conditioningChannels > 0
            ? Linear(name: "conditioning_init.0", inputSize: c.conditioningChannels, outputSize: c.hidden, bias: false) : nil
        stepEmbedding = SinusoidalTimeEmbedding(dimension: c.stepEmbedding)
        stepLinear1 = Linear(name: "step_embedding.1", inputSize: c.stepEmbedding, outputSize: c.hidden)
        stepLinear2 = Linear(name: "step_embedding.3", inputSize: c.hidden, outputSize: c.hidden)
        timeLinears = (0..<c.blocks).map { Linear(name: "residual_blocks.\($0).time_linear", inputSize: c.hidden, outputSize: c.hidden) }
        norms = (0..<c.blocks).map { LayerNorm(name: "residual_blocks.\($0).s4block.norm", size: c.hidden) }
        s4 = (0..<c.blocks).map { S4D(name: "residual_blocks.\($0).s4block.layer", channels: c.hidden, stateSize: c.stateSize, bidirectional: c.bidirectional) }
        residualConvs = (0..<c.blocks).map { Convolution1D(name: "residual_blocks.\($0).out_linear1", inputChannels: c.hidden, outputChannels: c.hidden, kernelSize: 1) }
        skipConvs = (0..<c.blocks).map { Convolution1D(name: "residual_blocks.\($0).out_linear2", inputChannels: c.hidden, outputChannels: c.hidden, kernelSize: 1) }
        headLinear1 = Linear(name: "output_layer.0", inputSize: c.hidden, outputSize: c.hidden)
        headLinear2 = Linear(name: "output_layer.2", inputSize: c.hidden, outputSize: c.channels)
    }

    /// Initial parameters (PyTorch defaults for every layer; S4D as documented there).
    public func makeParameters<S: TensorScalar>(as _: S.Type = S.self, key: RandomKey) -> ParameterSet<S> {
        var p = ParameterSet<S>()
        var layers: [any Layer] = [inputProjection]
        if let conditioningProjection { layers.append(conditioningProjection) }
        layers += [stepLinear1, stepLinear2] as [any Layer]
        layers += timeLinears as [any Layer]
        layers += norms as [any Layer]
        layers += s4 as [any Layer]
        layers += residualConvs as [any Layer]
        layers += skipConvs as [any Layer]
        layers += [headLinear1, headLinear2] as [any Layer]
        for layer in layers { layer.initialize(&p, key: key) }
        return p
    }

    /// The S4 convolution kernels of every block for windows of `length` steps.
    public func circularKernels<S: TensorScalar>(length: Int, _ p: BoundParameters<S>) -> [Variable<S>] {
        s4.map { $0.circularKernel(length: length, p) }
    }

    /// ε̂ for windows `x` `[B, L, C]` at integer diffusion steps `steps` (one per window).
    ///
    /// Computed channels-last (`[B, L, H]` throughout): layer normalisation over channels and the
    /// 1×1 convolutions are then row-wise matrix products, and the S4 FFTs run along axis 1, so no
    /// transposes are needed. Parameter names and shapes follow the reference's channels-first
    /// modules.
    ///
    /// - Parameters:
    ///   - x: the windows `[B, L, C]`.
    ///   - conditioning: the windows' conditioning channels `[B, L, F]`, required when the
    ///     configuration has F > 0 and ignored otherwise.
    ///   - steps: the diffusion step of each window.
    ///   - p: the bound parameters of the backbone.
    ///   - dropoutKey: the key of the dropout masks; without it (or with zero dropout in the
    ///     configuration) no dropout is applied.
    ///   - kernels: the S4 kernels from ``circularKernels(length:_:)`` for these
    ///     parameters, kept by a caller that evaluates the network many times with fixed parameters
    ///     (sampling, guidance, refinement); by default they are computed on every call.
    public func callAsFunction<S: TensorScalar>(_ x: Variable<S>, conditioning: Variable<S>? = nil, steps: [Double], _ p: BoundParameters<S>,
                                                dropoutKey: RandomKey? = nil, kernels: [Variable<S>]? = nil) -> Variable<S> {
        precondition(x.rank == 3 && x.shape[2] == configuration.channels, "TSDiff backbone expects [batch, length, \(configuration.channels)], got \(x.shape)")
        precondition(steps.count == x.shape[0], "one diffusion step per window: \(steps.count) for \(x.shape[0]) windows")
        let b = x.shape[0], h = configuration.hidden
        var hidden: Variable<S>                                                           // [B, L, H]
        if let conditioningProjection {
            guard let conditioning else { preconditionFailure("a conditional TSDiff backbone needs its \(configuration.conditioningChannels) conditioning channels") }
            precondition(conditioning.shape == [b, x.shape[1], configuration.conditioningChannels],
                         "conditioning of shape \(conditioning.shape) for windows \(x.shape) and \(configuration.conditioningChannels) channels")
            hidden = linear(x, weight: p[inputProjection.weightName], bias: p[inputProjection.biasName], adding: conditioningProjection(conditioning, p)).relu()
        } else {
            hidden = inputProjection(x, p).relu()
        }
        let embedding: Tensor<S> = stepEmbedding(steps)
        let t = stepLinear2(stepLinear1(Variable(embedding), p).silu(), p).silu()          // [B, H]
        // The residual and skip sums are accumulated by the projections' matrix products.
        func pointwise(_ conv: Convolution1D, _ v: Variable<S>, adding residual: Variable<S>?) -> Variable<S> {
            linear(v, weight: p[conv.weightName].reshaped([h, h]), bias: p[conv.biasName], adding: residual)
        }
        var skips: Variable<S>? = nil
        for k in 0..<configuration.blocks {
            let conditioned = hidden + timeLinears[k](t, p).reshaped([b, 1, h])
            let normalized = norms[k](conditioned, p)
            let preActivation: Variable<S>
            if configuration.dropout > 0, let key = dropoutKey {
                preActivation = conditioned + s4[k].channelsLast(normalized, p, combinedKernel: kernels?[k]).dropout(rate: configuration.dropout, key: key.folding(in: k))
            } else {
                preActivation = s4[k].channelsLast(normalized, p, combinedKernel: kernels?[k], adding: conditioned)
            }
            let gated = preActivation.activated(.gatedTanh)
            skips = pointwise(skipConvs[k], gated, adding: skips)
            if k < configuration.blocks - 1 { hidden = pointwise(residualConvs[k], gated, adding: hidden) }
        }
        var out = headLinear2(headLinear1(skips!, p).relu(), p)
        if configuration.initialSkip { out = out + x }
        return out
    }
}
