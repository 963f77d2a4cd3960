import DiffuseTensor
import Foundation

/// Closed-form divergences between Gaussians N(μ₀, Σ₀) and N(μ₁, Σ₁).
public enum GaussianDistances {
    /// KL(N₀ ‖ N₁) = ½[tr(Σ₁⁻¹Σ₀) + Δμᵀ Σ₁⁻¹ Δμ − d + ln det Σ₁ − ln det Σ₀] (Cholesky of both).
    public static func klDivergence(mean0: [Double], covariance0: Tensor<Double>, mean1: [Double], covariance1: Tensor<Double>) throws -> Double {
        let d = mean0.count
        let l1 = try covariance1.cholesky()
        let delta = Tensor(zip(mean0, mean1).map { $1 - $0 }).reshaped([d, 1])
        let a = try l1.solveTriangular(covariance0, lower: true)                   // L₁⁻¹Σ₀
        let b = try l1.solveTriangular(a.transposed(), lower: true)               // L₁⁻¹Σ₀L₁⁻ᵀ
        let trace = b.diagonalPart().sum().scalar
        let w = try l1.solveTriangular(delta, lower: true)
        let quadratic = (w * w).sum().scalar
        let logDet1 = try covariance1.choleskyLogDeterminant()
        let logDet0 = try covariance0.choleskyLogDeterminant()
        return 0.5 * (trace + quadratic - Double(d) + logDet1 - logDet0)
    }

    /// W₂²(N₀, N₁) = |Δμ|² + tr(Σ₀ + Σ₁ − 2(Σ₁^{1/2}Σ₀Σ₁^{1/2})^{1/2}), the Fréchet distance. The
    /// square roots come from eigendecompositions with negative eigenvalues clamped to zero, so
    /// singular (low-rank) covariances are fine.
    public static func wasserstein2Squared(mean0: [Double], covariance0: Tensor<Double>, mean1: [Double], covariance1: Tensor<Double>) throws -> Double {
        let root1 = try covariance1.psdSquareRoot()
        let cross = try matmul(matmul(root1, covariance0), root1).psdSquareRoot()
        let meanTerm = zip(mean0, mean1).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        let trace = covariance0.diagonalPart().sum().scalar + covariance1.diagonalPart().sum().scalar - 2 * cross.diagonalPart().sum().scalar
        return meanTerm + Swift.max(trace, 0)
    }
}

/// Sample statistics of rows of `x` `[n, d]`.
public enum SampleMoments {
    public static func mean(_ x: Tensor<Double>) -> [Double] { x.mean(alongAxes: [0]).scalars }

    /// The covariance (divisor n − 1, or n with `biased`; with `centred: false` the second moment
    /// about zero, divided by n).
    public static func covariance(_ x: Tensor<Double>, biased: Bool = false, centred: Bool = true) -> Tensor<Double> {
        let n = x.shape[0]
        let c = centred ? x - x.mean(alongAxes: [0]).reshaped([1, x.shape[1]]) : x
        let divisor = centred && !biased ? Double(n - 1) : Double(n)
        return matmul(c.transposed(), c) / divisor
    }
}
