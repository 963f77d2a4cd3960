import DiffuseCore
import DiffuseTensor
import Foundation

/// The exact probability-flow map of Gaussian data N(μ, Σ) under any Gaussian noising
/// x_t = α_t·x₀ + σ_t·ε (VP, VE/EDM, one-sided interpolants):
///
///   x(q) = α_q μ + (α_q²Σ + σ_q²I)^{1/2} (α_p²Σ + σ_p²I)^{−1/2} (x(p) − α_p μ).
///
/// All the matrices are functions of Σ, so they commute and the map is computed in Σ's
/// eigenbasis: V·diag(√((α_q²λᵢ + σ_q²)/(α_p²λᵢ + σ_p²)))·Vᵀ. Exact for any pair of points with
/// α_p²λ + σ_p² > 0 — the reference for solver convergence orders.
public struct GaussianFlowMap: Sendable {
    public let mean: [Double]
    public let eigenvalues: [Double]
    /// Eigenvectors as columns `[d, d]`.
    public let eigenvectors: Tensor<Double>

    /// - Throws: `LinearAlgebraError` when the eigendecomposition fails.
    public init(mean: [Double], covariance: Tensor<Double>) throws {
        precondition(covariance.shape == [mean.count, mean.count], "covariance must be [\(mean.count), \(mean.count)]")
        let (values, vectors) = try covariance.symmetricEigendecomposition()
        self.mean = mean
        self.eigenvalues = values.scalars.map { Swift.max($0, 0) }
        self.eigenvectors = vectors
    }

    /// Maps rows of `x` `[n, d]` from noise point `p` to `q`.
    public func map(_ x: Tensor<Double>, from p: TimePoint, to q: TimePoint) -> Tensor<Double> {
        let d = mean.count
        let mu = Tensor(mean).reshaped([1, d])
        let gains = eigenvalues.map { ((q.alpha * q.alpha * $0 + q.sigma * q.sigma) / (p.alpha * p.alpha * $0 + p.sigma * p.sigma)).squareRoot() }
        let centred = x - mu * p.alpha
        let rotated = matmul(centred, eigenvectors) * Tensor(gains).reshaped([1, d])
        return matmul(rotated, eigenvectors.transposed()) + mu * q.alpha
    }
}
