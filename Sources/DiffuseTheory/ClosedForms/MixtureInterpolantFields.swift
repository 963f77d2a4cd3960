import DiffuseCore
import DiffuseTensor
import Foundation

/// The exact velocity b and score s of a stochastic interpolant x_t = a(t)x₀ + b(t)x₁ + γ(t)z
/// between two Gaussian mixtures ρ₀ = Σᵢ pᵢ N(μ₀ᵢ, C₀ᵢ) and ρ₁ = Σⱼ qⱼ N(μ₁ⱼ, C₁ⱼ) under the
/// independent coupling (Albergo, Boffi & Vanden-Eijnden, "Stochastic interpolants", the
/// reference's `interflow/gmm.py`): ρ_t = Σᵢⱼ pᵢqⱼ N(mᵢⱼ, Cᵢⱼ) with
///
///   mᵢⱼ = aμ₀ᵢ + bμ₁ⱼ,   Cᵢⱼ = a²C₀ᵢ + b²C₁ⱼ + γ²I,   Ċᵢⱼ = 2(aȧC₀ᵢ + bḃC₁ⱼ + γγ̇I),
///   b(t, x) = Σ wᵢⱼ(x) [ṁᵢⱼ + ½ĊᵢⱼCᵢⱼ⁻¹(x − mᵢⱼ)],   s(t, x) = −Σ wᵢⱼ(x) Cᵢⱼ⁻¹(x − mᵢⱼ),
///
/// wᵢⱼ the posterior component weights (log-sum-exp). ½ĊC⁻¹ is exact even when the matrices do
/// not commute, since Cov(ẋ_t, x_t) = ½Ċ. Covariances must make every Cᵢⱼ positive definite on
/// the times used.
public struct MixtureInterpolantFields: InterpolantModel, Sendable {
    public let interpolant: StochasticInterpolant
    public let source: GaussianMixture
    public let target: GaussianMixture

    public init(interpolant: StochasticInterpolant, source: GaussianMixture, target: GaussianMixture) {
        precondition(source.dimension == target.dimension, "source and target dimensions differ")
        self.interpolant = interpolant
        self.source = source
        self.target = target
    }

    private static func covariance(_ c: GaussianMixture.Component, _ d: Int) -> Tensor<Double> {
        switch c.covariance {
        case .isotropic(let v): return Tensor<Double>.identity(d) * v
        case .full(let m): return m
        }
    }

    /// Per pair (i, j): weight, mean, covariance and its time derivative at t.
    private func pairs(at t: Double) -> [(weight: Double, mean: Tensor<Double>, meanDot: Tensor<Double>, cov: Tensor<Double>, covDot: Tensor<Double>)] {
        let (a, b, g, aDot, bDot, gDot) = interpolant.coefficients(at: t)
        let d = source.dimension
        let identity = Tensor<Double>.identity(d)
        var result: [(Double, Tensor<Double>, Tensor<Double>, Tensor<Double>, Tensor<Double>)] = []
        for c0 in source.components {
            let s0 = Self.covariance(c0, d), m0 = Tensor(c0.mean)
            for c1 in target.components {
                let s1 = Self.covariance(c1, d), m1 = Tensor(c1.mean)
                result.append((c0.weight * c1.weight, m0 * a + m1 * b, m0 * aDot + m1 * bDot,
                               s0 * (a * a) + s1 * (b * b) + identity * (g * g),
                               (s0 * (a * aDot) + s1 * (b * bDot) + identity * (g * gDot)) * 2))
            }
        }
        return result
    }

    /// Log-weights of each pair at rows of x, `[n, P]`, and C⁻¹(x − m) per pair.
    private func terms(_ x: Tensor<Double>, at t: Double) throws -> (logTerms: Tensor<Double>, pulls: [Tensor<Double>], pairs: [(weight: Double, mean: Tensor<Double>, meanDot: Tensor<Double>, cov: Tensor<Double>, covDot: Tensor<Double>)]) {
        let n = x.shape[0], d = source.dimension
        let ps = pairs(at: t)
        var columns: [Tensor<Double>] = [], pulls: [Tensor<Double>] = []
        for p in ps {
            let l = try p.cov.cholesky()
            let residual = x - p.mean.reshaped([1, d])
            let whitened = try l.solveTriangular(residual.transposed(), lower: true)          // [d, n]
            let pull = try l.solveTriangular(whitened, lower: true, transposed: true).transposed() // C⁻¹(x − m), [n, d]
            let logDet = 2 * Tensor(l.diagonalPart().scalars.map { Foundation.log($0) }).sum().scalar
            let quadratic = (whitened * whitened).sum(alongAxes: [0])                           // [n]
            let logTerm = quadratic * -0.5 + (Foundation.log(p.weight) - 0.5 * logDet - Double(d) / 2 * Foundation.log(2 * Double.pi))
            columns.append(logTerm.reshaped([n, 1]))
            pulls.append(pull)
        }
        return (Tensor.concatenate(columns, alongAxis: 1), pulls, ps)
    }

    /// log ρ_t(x) per row.
    public func logDensity(_ x: Tensor<Double>, at t: Double) throws -> Tensor<Double> {
        try terms(x, at: t).logTerms.logSumExp(alongAxes: [1])
    }

    public func fields(_ x: Tensor<Double>, at t: Double) -> (velocity: Tensor<Double>, score: Tensor<Double>) {
        guard let (logTerms, pulls, ps) = try? terms(x, at: t) else {
            preconditionFailure("interpolant covariance not positive definite at t = \(t)")
        }
        let w = logTerms.softmax(alongAxis: 1)
        let d = source.dimension
        var velocity = Tensor<Double>(zeros: x.shape), score = Tensor<Double>(zeros: x.shape)
        for (k, p) in ps.enumerated() {
            let wk = w.slice(axis: 1, k..<(k + 1))
            score -= pulls[k] * wk
            velocity += (matmul(pulls[k], p.covDot.transposed()) * 0.5 + p.meanDot.reshaped([1, d])) * wk
        }
        return (velocity, score)
    }
}
