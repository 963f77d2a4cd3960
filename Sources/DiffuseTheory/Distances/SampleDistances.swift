import DiffuseCore
import DiffuseTensor
import Foundation

/// Maximum mean discrepancy with the Gaussian kernel k(x, y) = exp(−|x − y|²/(2h²)).
public enum MaximumMeanDiscrepancy {
    /// Kernel matrix between rows of `x` `[n, d]` and `y` `[m, d]` (two matrix products).
    static func kernel(_ x: Tensor<Double>, _ y: Tensor<Double>, bandwidth h: Double) -> Tensor<Double> {
        let xx = (x * x).sum(alongAxes: [1]).reshaped([x.shape[0], 1])
        let yy = (y * y).sum(alongAxes: [1]).reshaped([1, y.shape[0]])
        let distances = (xx + yy - matmul(x, y.transposed()) * 2).maximum(Tensor(0))
        return (distances * (-0.5 / (h * h))).exp()
    }

    /// The unbiased estimator of MMD²: off-diagonal means of K_xx and K_yy minus 2·mean(K_xy).
    public static func unbiasedSquared(_ x: Tensor<Double>, _ y: Tensor<Double>, bandwidth h: Double) -> Double {
        let n = Double(x.shape[0]), m = Double(y.shape[0])
        precondition(n >= 2 && m >= 2, "the unbiased MMD needs at least two points per sample")
        let kxx = kernel(x, x, bandwidth: h), kyy = kernel(y, y, bandwidth: h), kxy = kernel(x, y, bandwidth: h)
        let offX = (kxx.sum().scalar - kxx.diagonalPart().sum().scalar) / (n * (n - 1))
        let offY = (kyy.sum().scalar - kyy.diagonalPart().sum().scalar) / (m * (m - 1))
        return offX + offY - 2 * kxy.mean().scalar
    }

    /// E k(a, b) for a ~ N(μa, Σa), b ~ N(μb, Σb): h^d det(M)^{−1/2} exp(−½ΔμᵀM⁻¹Δμ), M = h²I + Σa + Σb.
    static func expectedKernel(_ a: (mean: [Double], covariance: Tensor<Double>), _ b: (mean: [Double], covariance: Tensor<Double>), bandwidth h: Double) throws -> Double {
        let d = a.mean.count
        let m = Tensor<Double>.identity(d) * (h * h) + a.covariance + b.covariance
        let l = try m.cholesky()
        let delta = Tensor(zip(a.mean, b.mean).map { $0 - $1 }).reshaped([d, 1])
        let w = try l.solveTriangular(delta, lower: true)
        let logDet = try m.choleskyLogDeterminant()
        return Foundation.exp(Double(d) * Foundation.log(h) - 0.5 * logDet - 0.5 * (w * w).sum().scalar)
    }

    /// The exact MMD² between two Gaussian mixtures (weighted sums over component pairs).
    public static func squared(_ p: GaussianMixture, _ q: GaussianMixture, bandwidth h: Double) throws -> Double {
        func parts(_ g: GaussianMixture) -> [(Double, ([Double], Tensor<Double>))] {
            g.components.map { c in
                let cov: Tensor<Double>
                switch c.covariance {
                case .isotropic(let v): cov = Tensor<Double>.identity(g.dimension) * v
                case .full(let m): cov = m
                }
                return (c.weight, (c.mean, cov))
            }
        }
        func cross(_ a: [(Double, ([Double], Tensor<Double>))], _ b: [(Double, ([Double], Tensor<Double>))]) throws -> Double {
            var total = 0.0
            for (wa, ca) in a { for (wb, cb) in b { total += try wa * wb * expectedKernel((ca.0, ca.1), (cb.0, cb.1), bandwidth: h) } }
            return total
        }
        let pp = parts(p), qq = parts(q)
        return try cross(pp, pp) + cross(qq, qq) - 2 * cross(pp, qq)
    }
}

/// Wasserstein distances computed from samples.
public enum EmpiricalWasserstein {
    /// W_p^p between two 1-D samples: ∫₀¹ |F⁻¹(u) − G⁻¹(u)|^p du over the merged breakpoints of
    /// the two empirical quantile functions (exact for empirical measures of any sizes).
    public static func oneDimensional(_ a: [Double], _ b: [Double], power p: Double) -> Double {
        precondition(!a.isEmpty && !b.isEmpty, "empty sample")
        let x = a.sorted(), y = b.sorted()
        let n = Double(x.count), m = Double(y.count)
        var i = 0, j = 0, u = 0.0, total = 0.0
        while i < x.count && j < y.count {
            let next = Swift.min(Double(i + 1) / n, Double(j + 1) / m)
            total += (next - u) * Foundation.pow(Swift.abs(x[i] - y[j]), p)
            u = next
            if Double(i + 1) / n <= next + 1e-15 { i += 1 }
            if Double(j + 1) / m <= next + 1e-15 { j += 1 }
        }
        return total
    }

    /// W₁ between 1-D samples.
    public static func w1(_ a: [Double], _ b: [Double]) -> Double { oneDimensional(a, b, power: 1) }
    /// W₂ between 1-D samples.
    public static func w2(_ a: [Double], _ b: [Double]) -> Double { oneDimensional(a, b, power: 2).squareRoot() }

    /// Sliced W₂²: the mean over `directions` random unit vectors θ of W₂²(θ#P, θ#Q) from samples.
    public static func slicedSquared(_ x: Tensor<Double>, _ y: Tensor<Double>, directions: Int, key: RandomKey) -> Double {
        let d = x.shape[1]
        precondition(y.shape[1] == d, "samples of different dimensions")
        let theta = unitDirections(count: directions, dimension: d, key: key)
        let px = matmul(x, theta.transposed()), py = matmul(y, theta.transposed())   // [n, L]
        var total = 0.0
        for l in 0..<directions {
            total += oneDimensional(px.slice(axis: 1, l..<(l + 1)).scalars, py.slice(axis: 1, l..<(l + 1)).scalars, power: 2)
        }
        return total / Double(directions)
    }

    /// Sliced W₂² between two Gaussians, exact per direction: (θ·Δμ)² + (√(θᵀΣ₀θ) − √(θᵀΣ₁θ))².
    public static func slicedSquared(mean0: [Double], covariance0: Tensor<Double>, mean1: [Double], covariance1: Tensor<Double>, directions: Int, key: RandomKey) -> Double {
        let d = mean0.count
        let theta = unitDirections(count: directions, dimension: d, key: key)
        let delta = Tensor(zip(mean0, mean1).map { $0 - $1 }).reshaped([d, 1])
        let shift = matmul(theta, delta).scalars
        let v0 = (matmul(theta, covariance0) * theta).sum(alongAxes: [1]).scalars
        let v1 = (matmul(theta, covariance1) * theta).sum(alongAxes: [1]).scalars
        var total = 0.0
        for l in 0..<directions {
            let s = Swift.max(v0[l], 0).squareRoot() - Swift.max(v1[l], 0).squareRoot()
            total += shift[l] * shift[l] + s * s
        }
        return total / Double(directions)
    }

    /// `count` directions uniform on the sphere, `[count, d]`.
    public static func unitDirections(count: Int, dimension d: Int, key: RandomKey) -> Tensor<Double> {
        let g = Tensor<Double>.randomNormal(shape: [count, d], key: key)
        return g / (g * g).sum(alongAxes: [1]).squareRoot().reshaped([count, 1])
    }
}
