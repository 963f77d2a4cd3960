import DiffuseCore
import DiffuseTensor
import Foundation

/// A mixture of low-rank Gaussians (MoLRG; Wang, Zhang, Zhang, Chen, Ma & Qu, "Diffusion models
/// learn low-dimensional distributions via subspace clustering", arXiv 2409.02426): component k
/// is x = U_k a with U_k ∈ ℝ^{n×d_k} orthonormal and a ~ N(0, I_{d_k}), chosen with weight π_k.
///
/// Under x_t = s·x₀ + γ·ε, given k, x_t ~ N(0, s²U_kU_kᵀ + γ²I), so with φ = s²/(2γ²(s² + γ²)):
///
///   w_k(x) ∝ π_k (1 + s²/γ²)^{−d_k/2} exp(φ‖U_kᵀx‖²),
///   E[x₀ | x_t = x] = s/(s² + γ²) · Σ_k w_k(x) U_kU_kᵀx,
///   ∇log p_t(x) = (s·E[x₀|x] − x)/γ²,
///
/// with the weights by log-sum-exp. The paper's low-rank denoising autoencoder has exactly this
/// form with learnable bases.
public struct LowRankGaussianMixture: Sendable {
    /// Orthonormal bases `[n, d_k]`.
    public let bases: [Tensor<Double>]
    public let weights: [Double]
    public let ambientDimension: Int

    public init(bases: [Tensor<Double>], weights: [Double]? = nil) {
        precondition(!bases.isEmpty, "at least one subspace")
        let n = bases[0].shape[0]
        precondition(bases.allSatisfy { $0.rank == 2 && $0.shape[0] == n && $0.shape[1] <= n }, "bases must be [\(n), d_k] with d_k ≤ \(n)")
        let w = weights ?? [Double](repeating: 1, count: bases.count)
        precondition(w.count == bases.count && w.allSatisfy { $0 >= 0 } && w.reduce(0, +) > 0, "one non-negative weight per subspace")
        let total = w.reduce(0, +)
        self.bases = bases
        self.weights = w.map { $0 / total }
        self.ambientDimension = n
    }

    /// The repository's construction: the left singular vectors of an n × n Gaussian matrix, cut
    /// into K blocks of d consecutive columns, so the subspaces are mutually orthogonal.
    public static func orthogonalSubspaces(ambientDimension n: Int, subspaceDimension d: Int, count k: Int, key: RandomKey) throws -> LowRankGaussianMixture {
        precondition(k * d <= n, "K·d = \(k * d) exceeds the ambient dimension \(n)")
        let u = try Tensor<Double>.randomOrthonormal(rows: n, columns: k * d, key: key)
        return LowRankGaussianMixture(bases: (0..<k).map { u.slice(axis: 1, ($0 * d)..<(($0 + 1) * d)).contiguous() })
    }

    public var subspaceDimensions: [Int] { bases.map { $0.shape[1] } }

    /// Exactly `perComponent` samples of every component (as the paper's experiments draw them),
    /// in component order; row i depends only on the key and i.
    public func sample(perComponent: Int, key: RandomKey) -> (samples: Tensor<Double>, labels: [Int]) {
        var rows: [Tensor<Double>] = [], labels: [Int] = []
        for (k, u) in bases.enumerated() {
            let a = Tensor<Double>.randomNormal(shape: [perComponent, u.shape[1]], key: key.folding(in: k))
            rows.append(matmul(a, u.transposed()))
            labels += [Int](repeating: k, count: perComponent)
        }
        return (Tensor.concatenate(rows, alongAxis: 0), labels)
    }

    /// log of the unnormalised weights log π_k − (d_k/2)·log(1 + s²/γ²) + φ‖U_kᵀx‖², `[m, K]`,
    /// and the projections U_kᵀx.
    private func logWeights(_ x: Tensor<Double>, alpha s: Double, sigma g: Double) -> (Tensor<Double>, [Tensor<Double>]) {
        precondition(g > 0, "the closed forms need σ > 0")
        let phi = s * s / (2 * g * g * (s * s + g * g))
        let projections = bases.map { matmul(x, $0) }
        var columns: [Tensor<Double>] = []
        for (k, p) in projections.enumerated() {
            let constant = Foundation.log(weights[k]) - Double(bases[k].shape[1]) / 2 * Foundation.log1p(s * s / (g * g))
            columns.append(((p * p).sum(alongAxes: [1]) * phi + constant).reshaped([x.shape[0], 1]))
        }
        return (Tensor.concatenate(columns, alongAxis: 1), projections)
    }

    /// The exact denoiser E[x₀ | x_t = x] for rows of `x` `[m, n]`.
    public func posteriorMean(_ x: Tensor<Double>, alpha s: Double, sigma g: Double) -> Tensor<Double> {
        let (logits, projections) = logWeights(x, alpha: s, sigma: g)
        let w = logits.softmax(alongAxis: 1)
        var total = Tensor<Double>(zeros: x.shape)
        for (k, p) in projections.enumerated() {
            total += matmul(p * w.slice(axis: 1, k..<(k + 1)), bases[k].transposed())
        }
        return total * (s / (s * s + g * g))
    }

    /// The score ∇ log p_t(x) by Tweedie's formula.
    public func score(_ x: Tensor<Double>, alpha s: Double, sigma g: Double) -> Tensor<Double> {
        (posteriorMean(x, alpha: s, sigma: g) * s - x) / (g * g)
    }

    /// log p_t(x): each component is N(0, γ²(I − P_k) + (s² + γ²)P_k).
    public func logDensity(_ x: Tensor<Double>, alpha s: Double, sigma g: Double) -> Tensor<Double> {
        let (logits, _) = logWeights(x, alpha: s, sigma: g)
        let n = Double(ambientDimension)
        let norms = (x * x).sum(alongAxes: [1])
        // log N(x; 0, S_k) = −n/2 log 2πγ² − (d_k/2) log(1 + s²/γ²) − ‖x‖²/(2γ²) + φ‖U_kᵀx‖²; the
        // d_k term and φ‖U_kᵀx‖² are inside the logits already.
        return logits.logSumExp(alongAxes: [1]) - norms / (2 * g * g) - n / 2 * Foundation.log(2 * Double.pi * g * g)
    }

    /// The same distribution as a `GaussianMixture` with full covariances U_kU_kᵀ (for
    /// brute-force comparisons; its σ > 0 closed forms need no special low-rank handling).
    public var asGaussianMixture: GaussianMixture {
        GaussianMixture(components: bases.enumerated().map { k, u in
            GaussianMixture.Component(weight: weights[k], mean: [Double](repeating: 0, count: ambientDimension), covariance: .full(matmul(u, u.transposed())))
        })
    }
}
