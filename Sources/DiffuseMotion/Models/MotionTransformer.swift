import DiffuseCore
import DiffuseNN
import DiffuseTensor

/// The motion denoiser of MDM (Tevet et al. 2023) and EMDM's generator (Zhou et al. 2024): a
/// Transformer encoder over the token sequence `[time, action, (latent), frame₁ … frame_L]` that
/// predicts the clean motion x̂₀ from a noisy one.
///
/// - Frames are normalised feature rows (263 numbers for HumanML3D) projected to `modelSize`,
///   plus a learned position embedding.
/// - The time token is a sinusoidal embedding of the timestep index through a two-layer SiLU MLP.
/// - The action token is a learned embedding; index `actionCount` is the "no condition" token
///   used for classifier-free guidance (trained by dropping labels).
/// - With `latentSize > 0` (EMDM), a latent z ~ N(0, I) enters through a LeakyReLU MLP as one more
///   token, so the generator can represent a multimodal posterior over x₀ in few steps.
/// - Pre-norm encoder layers (GELU), a final LayerNorm and a linear head on the frame tokens.
///
/// The reference sizes (EMDM: latent 1024, 12 layers, 32 heads; MDM: 512, 8, 4) are far above what a
/// CPU trains in minutes; the configuration is explicit so the same code runs either.
public struct MotionTransformer: Layer, Codable, Equatable, Sendable {
    public var features: Int
    public var frames: Int
    public var actionCount: Int
    public var modelSize: Int
    public var heads: Int
    public var layers: Int
    public var feedForwardSize: Int
    /// Size of EMDM's latent z; 0 for a plain diffusion denoiser (no latent token).
    public var latentSize: Int

    public init(features: Int = HumanML3DFeatures.width, frames: Int, actionCount: Int, modelSize: Int = 128, heads: Int = 4,
                layers: Int = 4, feedForwardSize: Int = 256, latentSize: Int = 0) {
        self.features = features
        self.frames = frames
        self.actionCount = actionCount
        self.modelSize = modelSize
        self.heads = heads
        self.layers = layers
        self.feedForwardSize = feedForwardSize
        self.latentSize = latentSize
    }

    /// Checks every size against the limits a configuration file may ask for; `fail` names the field.
    public func check(_ fail: (String, Any, String) -> Error) throws {
        guard (1...4096).contains(features) else { throw fail("features", features, "in 1…4096") }
        guard (1...1024).contains(frames) else { throw fail("frames", frames, "in 1…1024") }
        guard (1...1024).contains(actionCount) else { throw fail("actionCount", actionCount, "in 1…1024") }
        guard (1...64).contains(heads) else { throw fail("heads", heads, "in 1…64") }
        guard (1...4096).contains(modelSize), modelSize % heads == 0 else { throw fail("modelSize", modelSize, "in 1…4096 and divisible by heads") }
        guard (1...64).contains(layers) else { throw fail("layers", layers, "in 1…64") }
        guard (1...16384).contains(feedForwardSize) else { throw fail("feedForwardSize", feedForwardSize, "in 1…16384") }
        guard (0...1024).contains(latentSize) else { throw fail("latentSize", latentSize, "in 0…1024") }
        guard estimatedWeights <= Checkpoint.maximumConfiguredWeights else {
            throw fail("modelSize", modelSize, "such that the weights (\(estimatedWeights)) stay ≤ \(Checkpoint.maximumConfiguredWeights)")
        }
    }

    /// Roughly the number of weights.
    public var estimatedWeights: Int {
        layers * (4 * modelSize * modelSize + 2 * modelSize * feedForwardSize) + 2 * features * modelSize
            + (frames + actionCount + 1) * modelSize + 2 * modelSize * modelSize + latentSize * modelSize
    }

    var input: Linear { Linear(name: "input", inputSize: features, outputSize: modelSize) }
    var positions: Embedding { Embedding(name: "positions", count: frames, size: modelSize) }
    var timeEmbedding: SinusoidalTimeEmbedding { SinusoidalTimeEmbedding(dimension: modelSize, frequencyShift: 0) }
    var timeMLP: MLP { MLP(name: "time", sizes: [modelSize, modelSize, modelSize], activation: .silu) }
    var actions: Embedding { Embedding(name: "actions", count: actionCount + 1, size: modelSize) }
    var latentMLP: MLP { MLP(name: "latent", sizes: [latentSize, modelSize, modelSize], activation: .leakyReLU(slope: 0.2)) }
    func layer(_ i: Int) -> TransformerEncoderLayer {
        TransformerEncoderLayer(name: "layers.\(i)", modelSize: modelSize, heads: heads, feedForwardSize: feedForwardSize,
                                dropout: 0, activation: .gelu, normFirst: true)
    }
    var finalNorm: LayerNorm { LayerNorm(name: "final_norm", size: modelSize) }
    var output: Linear { Linear(name: "output", inputSize: modelSize, outputSize: features) }

    public func initialize<S: TensorScalar>(_ parameters: inout ParameterSet<S>, key: RandomKey) {
        input.initialize(&parameters, key: key)
        positions.initialize(&parameters, key: key)
        timeMLP.initialize(&parameters, key: key)
        actions.initialize(&parameters, key: key)
        if latentSize > 0 { latentMLP.initialize(&parameters, key: key) }
        for i in 0..<layers { layer(i).initialize(&parameters, key: key) }
        finalNorm.initialize(&parameters, key: key)
        output.initialize(&parameters, key: key)
    }

    /// x̂₀ for a batch: `x` is [B, L, features] (L ≤ `frames`), `timesteps` one index per row,
    /// `actions` one label per row (nil: unconditional), `latent` [B, latentSize] when the model has one.
    public func callAsFunction<S: TensorScalar>(_ x: Variable<S>, timesteps: [Double], actions labels: [Int?], latent: Variable<S>?,
                                                _ p: BoundParameters<S>) -> Variable<S> {
        let b = x.shape[0], l = x.shape[1]
        precondition(x.rank == 3 && x.shape[2] == features && l <= frames, "a motion batch is [B, ≤\(frames), \(features)], got \(x.shape)")
        precondition(timesteps.count == b && labels.count == b, "one timestep and one label per row")
        let time = timeMLP(Variable(timeEmbedding(timesteps, as: S.self)), p).reshaped([b, 1, modelSize])
        let label = actions(IndexTensor(shape: [b, 1], indices: labels.map { $0 ?? actionCount }), p)
        var tokens = [time, label]
        if latentSize > 0 {
            guard let z = latent else { preconditionFailure("this generator takes a latent of \(latentSize)") }
            tokens.append(latentMLP(z, p).reshaped([b, 1, modelSize]))
        }
        let prefix = tokens.count
        tokens.append(input(x, p) + positions(IndexTensor(shape: [1, l], indices: Array(0..<l)), p))
        var h = Variable.concatenate(tokens, alongAxis: 1)
        for i in 0..<layers { h = layer(i)(h, p) }
        return output(finalNorm(h.slice(axis: 1, prefix..<(prefix + l)), p), p)
    }
}
