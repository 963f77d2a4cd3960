import DiffuseNN
import DiffuseTensor
import Foundation

/// Trains the low-rank denoising autoencoder of Wang et al. 2024 (Eq. 9),
///
///   D_U(x) = s/(s² + γ²) · Σ_k softmax_k(φ‖U_kᵀx‖²) · U_kU_kᵀx,   φ = s²/(2γ²(s² + γ²)),
///
/// with learnable bases U_k ∈ ℝ^{n×d}, by the diffusion (denoising) loss E‖x₀ − D_U(x₀ + γε)‖²
/// over the noise levels γ ∈ [γ_min, γ_max] (log-uniform; s = 1), SGD with momentum on U (Adam's
/// normalised steps random-walk around the optimum on this small problem) with a cosine-decaying
/// learning rate and a QR retraction after every step to keep each U_k orthonormal. The bases
/// start from K-subspaces' spectral initialisation (or at random), since the loss, like the
/// K-subspaces objective it approaches at low noise, has local optima. Returns the learned bases.
public struct LowRankDenoiserTraining: Sendable {
    public var count: Int
    public var dimension: Int
    public var steps: Int
    public var learningRate: Double
    public var noiseRange: ClosedRange<Double>
    public var batchSize: Int

    public var spectralStart: Bool

    public init(count: Int, dimension: Int, steps: Int = 1000, learningRate: Double = 0.05, noiseRange: ClosedRange<Double> = 0.05...0.3, batchSize: Int = 256,
                spectralStart: Bool = true) {
        self.spectralStart = spectralStart
        self.count = count
        self.dimension = dimension
        self.steps = steps
        self.learningRate = learningRate
        self.noiseRange = noiseRange
        self.batchSize = batchSize
    }

    /// The denoiser's loss and its tape output for a batch `x0` `[B, n]` with noise levels `gammas`.
    static func loss(_ bases: [Variable<Double>], x0: Tensor<Double>, noise: Tensor<Double>, gammas: [Double]) -> Variable<Double> {
        let b = x0.shape[0]
        let g = Tensor(gammas).reshaped([b, 1])
        let x = x0 + noise * g
        let phi = Tensor(gammas.map { 1 / (2 * $0 * $0 * (1 + $0 * $0)) }).reshaped([b, 1])
        let shrink = Tensor(gammas.map { 1 / (1 + $0 * $0) }).reshaped([b, 1])
        let input = Variable(x)
        let projections = bases.map { matmul(input, $0) }                                    // [B, d]
        let logits = Variable.concatenate(projections.map { ($0 * $0).sum(alongAxis: 1, keepingDimension: true) * phi }, alongAxis: 1)
        let w = logits.softmax(alongAxis: 1)                                                  // [B, K]
        var denoised: Variable<Double>? = nil
        for (k, p) in projections.enumerated() {
            let term = matmul(p * w.slice(axis: 1, k..<(k + 1)), bases[k].transposed())
            denoised = denoised.map { $0 + term } ?? term
        }
        return (denoised! * shrink - x0).squared().sum() / Double(b)
    }

    /// Fits bases to the rows of `x` `[N, n]`.
    public func fit(_ x: Tensor<Double>, key: RandomKey) throws -> [Tensor<Double>] {
        let n = x.shape[1], samples = x.shape[0]
        var parameters = ParameterSet<Double>()
        let labels = spectralStart ? try SubspaceClustering.spectralLabels(x, count: count, key: key.folding(in: 5000)) : []
        for k in 0..<count {
            let members = labels.indices.filter { labels[$0] == k }
            let start = spectralStart && !members.isEmpty
                ? try SubspaceClustering.principalSubspace(Tensor.stack(members.map { x[$0] }, alongAxis: 0), dimension: dimension)
                : try Tensor<Double>.randomOrthonormal(rows: n, columns: dimension, key: key.folding(in: k))
            parameters.insert(start, named: "U\(k)")
        }
        let optimizer = SGD<Double>(momentum: 0.9)
        var state = optimizer.makeState(for: parameters)
        let logRange = (Foundation.log(noiseRange.lowerBound), Foundation.log(noiseRange.upperBound))
        for step in 0..<steps {
            var stream = RandomStream(key: key.folding(in: 1000 + step))
            let rows = (0..<batchSize).map { _ in stream.integer(below: samples) }
            let x0 = Tensor.stack(rows.map { x[$0] }, alongAxis: 0)
            let gammas = (0..<batchSize).map { _ in Foundation.exp(logRange.0 + (logRange.1 - logRange.0) * stream.uniform(Double.self)) }
            let noise = Tensor<Double>.randomNormal(shape: [batchSize, n], key: key.folding(in: 2000 + step))
            let tape = Tape<Double>()
            let bound = parameters.bound(to: tape)
            let value = Self.loss((0..<count).map { bound["U\($0)"] }, x0: x0, noise: noise, gammas: gammas)
            let gradients = bound.gradients(tape.gradient(of: value))
            let rate = learningRate * 0.5 * (1 + Foundation.cos(Double.pi * Double(step) / Double(steps)))
            optimizer.update(&parameters, gradients: gradients, state: &state, learningRate: rate)
            for k in 0..<count {
                try parameters.modify("U\(k)") { u in u = try u.qrDecomposition().q }
            }
        }
        return (0..<count).map { parameters["U\($0)"]! }
    }
}
