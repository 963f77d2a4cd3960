import DiffuseNN
import DiffuseTensor

/// EMDM's discriminator (`DiscriminatorMDM_MLP` of the reference, the default `--d_type mlp`): an
/// MLP over the concatenation of the less noisy motion x_{t−1}, the noisier x_t (both flattened), a
/// sinusoidal embedding of the timestep and the one-hot action, with SELU activations, returning
/// one logit per pair ("real pair from the forward process" against "generator's posterior
/// draw").
///
/// The reference's widths are 1024-1024-512-512-256-64 with GroupNorm between layers; the widths
/// are a parameter here and the GroupNorms are left out (SELU is self-normalising, and the
/// directional R1 estimate of ``DenoisingGANTrainer`` needs D to be a plain function of one pair).
public struct MotionDiscriminator: Layer, Codable, Equatable, Sendable {
    public var features: Int
    public var frames: Int
    public var actionCount: Int
    public var timeSize: Int
    public var hiddenSizes: [Int]

    public init(features: Int = HumanML3DFeatures.width, frames: Int, actionCount: Int, timeSize: Int = 128, hiddenSizes: [Int] = [512, 256, 64]) {
        self.features = features
        self.frames = frames
        self.actionCount = actionCount
        self.timeSize = timeSize
        self.hiddenSizes = hiddenSizes
    }

    /// Checks the sizes; `fail` names the field.
    public func check(_ fail: (String, Any, String) -> Error) throws {
        guard (1...4096).contains(features) else { throw fail("features", features, "in 1…4096") }
        guard (1...1024).contains(frames) else { throw fail("frames", frames, "in 1…1024") }
        guard (1...1024).contains(actionCount) else { throw fail("actionCount", actionCount, "in 1…1024") }
        guard timeSize >= 2, timeSize <= 4096, timeSize % 2 == 0 else { throw fail("timeSize", timeSize, "even, in 2…4096") }
        guard (1...8).contains(hiddenSizes.count), hiddenSizes.allSatisfy({ (1...16384).contains($0) }) else {
            throw fail("hiddenSizes", hiddenSizes, "1 to 8 widths in 1…16384")
        }
        guard estimatedWeights <= Checkpoint.maximumConfiguredWeights else {
            throw fail("hiddenSizes", hiddenSizes, "such that the weights (\(estimatedWeights)) stay ≤ \(Checkpoint.maximumConfiguredWeights)")
        }
    }

    var inputSize: Int { 2 * frames * features + timeSize + actionCount }
    var network: MLP { MLP(name: "mlp", sizes: [inputSize] + hiddenSizes + [1], activation: .selu) }
    var timeEmbedding: SinusoidalTimeEmbedding { SinusoidalTimeEmbedding(dimension: timeSize, frequencyShift: 0) }

    /// Roughly the number of weights.
    public var estimatedWeights: Int {
        zip([inputSize] + hiddenSizes, hiddenSizes + [1]).reduce(0) { $0 + $1.0 * $1.1 }
    }

    public func initialize<S: TensorScalar>(_ parameters: inout ParameterSet<S>, key: RandomKey) {
        network.initialize(&parameters, key: key)
    }

    /// One logit per row for pairs `(less noisy, noisier)`, both [B, frames, features].
    public func callAsFunction<S: TensorScalar>(lessNoisy: Variable<S>, noisier: Variable<S>, timesteps: [Double], actions labels: [Int],
                                                _ p: BoundParameters<S>) -> Variable<S> {
        let b = lessNoisy.shape[0]
        precondition(lessNoisy.shape == [b, frames, features] && noisier.shape == lessNoisy.shape, "pairs are [B, \(frames), \(features)]")
        precondition(timesteps.count == b && labels.count == b && labels.allSatisfy { (0..<actionCount).contains($0) })
        var oneHot = [S](repeating: 0, count: b * actionCount)
        for (i, a) in labels.enumerated() { oneHot[i * actionCount + a] = 1 }
        let input = Variable.concatenate([
            lessNoisy.reshaped([b, frames * features]), noisier.reshaped([b, frames * features]),
            Variable(timeEmbedding(timesteps, as: S.self)), Variable(Tensor<S>(shape: [b, actionCount], scalars: oneHot)),
        ], alongAxis: 1)
        return network(input, p).reshaped([b])
    }
}
