import DiffuseCore
import DiffuseNN
import DiffuseTensor

/// A trained ``MotionTransformer`` as a conditional prediction model of the shared sampling engine:
/// it predicts x̂₀ (`Prediction(denoised:x:at:)` of DiffuseCore) for a batch of normalised motion windows
/// `[B, L, features]` given one action label per row (nil: unconditional), so every DiffuseCore
/// sampler, grid and guidance rule applies to it.
///
/// For an EMDM generator (`latentSize > 0`) each evaluation draws its latent z per row from the
/// evaluation's key and the row's sample index, so row i's z does not depend on the batch size;
/// the conditional and unconditional halves of classifier-free guidance see the same key and so
/// the same z, as in EMDM.
///
/// The network runs on blocks of ``rowsPerBlock`` rows in parallel (`Tensor.stackingRowBlocks`):
/// its rows are independent, and one job per block costs less than a fork and join per operation
/// (about a fifth of the sampling time of a batch of 32 on 2 cores, docs/Motion.md).
public struct MotionDenoiserModel: ConditionalPredictionModel {
    public typealias Value = Tensor<Float>
    public typealias Condition = [Int]

    /// Rows per parallel block of an evaluation.
    public static let rowsPerBlock = 16

    public var network: MotionTransformer
    public var parameters: ParameterSet<Float>

    public init(network: MotionTransformer, parameters: ParameterSet<Float>) {
        self.network = network
        self.parameters = parameters
    }

    public func predict(_ x: Tensor<Float>, at point: TimePoint, condition: [Int]?, key: SampleKey) -> Prediction<Tensor<Float>> {
        let b = x.shape[0]
        let labels: [Int?] = condition.map { $0.map { Optional($0) } } ?? Array(repeating: nil, count: b)
        precondition(labels.count == b, "one action label per row")
        let z = network.latentSize > 0
            ? Variable(Tensor<Float>.randomNormal(shape: [b, network.latentSize], key: key.key.folding(in: 0x5A), sampleOffset: key.sampleOffset)) : nil
        let denoised = Tensor.stackingRowBlocks(count: b, blockSize: Self.rowsPerBlock) { r in
            network(Variable(x.slice(axis: 0, r)), timesteps: Array(repeating: point.time, count: r.count), actions: Array(labels[r]),
                    latent: z.map { Variable($0.value.slice(axis: 0, r)) }, parameters.constants).value
        }
        return Prediction(denoised: denoised, x: x, at: point)
    }

    /// Samples `labels.count` windows: initial noise row i from `key` and `sampleOffset + i`, then
    /// `sampler` over `grid`, with classifier-free guidance of `guidance` (1: none, conditional only).
    public func sample(labels: [Int], frames: Int, grid: TimeGrid, sampler: some Sampler<Tensor<Float>>, guidance: Double = 1,
                       key: RandomKey, sampleOffset: Int = 0) -> SampleResult<Tensor<Float>> {
        let noise = Tensor<Float>.randomNormal(shape: [labels.count, frames, network.features], key: key.folding(in: 0), sampleOffset: sampleOffset)
        if guidance == 1 {
            return DiffuseCore.sample(Conditioned(self, condition: labels), from: noise, grid: grid, using: sampler, key: key.folding(in: 1), sampleOffset: sampleOffset)
        }
        return DiffuseCore.sample(ClassifierFreeGuidance(self, condition: labels, rule: .standard(scale: guidance)), from: noise, grid: grid,
                                  using: sampler, key: key.folding(in: 1), sampleOffset: sampleOffset)
    }
}
