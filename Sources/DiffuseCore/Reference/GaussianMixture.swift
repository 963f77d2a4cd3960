import DiffuseTensor
import Foundation

/// A Gaussian mixture Σₖ πₖ N(μₖ, Σₖ) with everything a test or a theory check needs in closed
/// form under any Gaussian noising x_t = α·x₀ + σ·ε: the noised density p_t = Σₖ πₖ N(αμₖ, α²Σₖ + σ²I),
/// its score, the posterior mean E[x₀ | x_t] (the exact denoiser), and exact samples.
///
/// With Sₖ = α²Σₖ + σ²I and responsibilities rₖ(x) ∝ πₖ N(x; αμₖ, Sₖ) (computed by log-sum-exp):
/// ∇log p_t(x) = −Σₖ rₖ Sₖ⁻¹(x − αμₖ) and E[x₀|x] = Σₖ rₖ [μₖ + αΣₖ Sₖ⁻¹(x − αμₖ)].
/// Isotropic components use matrix products only; full covariances use a Cholesky factor of
/// each Sₖ per evaluation. Rows of a `[n, d]` tensor are independent points.
public struct GaussianMixture: Sendable {
    /// A component's covariance.
    public enum Covariance: Sendable {
        /// s²·I.
        case isotropic(variance: Double)
        /// A full symmetric positive semi-definite matrix `[d, d]`.
        case full(Tensor<Double>)
    }

    public struct Component: Sendable {
        public var weight: Double
        public var mean: [Double]
        public var covariance: Covariance

        public init(weight: Double, mean: [Double], covariance: Covariance) {
            self.weight = weight
            self.mean = mean
            self.covariance = covariance
        }
    }

    public private(set) var components: [Component]
    public let dimension: Int

    /// A mixture; weights are normalised to sum to one.
    public init(components: [Component]) {
        precondition(!components.isEmpty, "a mixture needs at least one component")
        let d = components[0].mean.count
        let total = components.reduce(0) { $0 + $1.weight }
        precondition(total > 0 && components.allSatisfy { $0.weight >= 0 }, "mixture weights must be non-negative and not all zero")
        for c in components {
            precondition(c.mean.count == d, "all component means must have dimension \(d)")
            if case .full(let m) = c.covariance { precondition(m.shape == [d, d], "covariance must be [\(d), \(d)]") }
            if case .isotropic(let v) = c.covariance { precondition(v >= 0, "variance must be non-negative") }
        }
        self.components = components.map { Component(weight: $0.weight / total, mean: $0.mean, covariance: $0.covariance) }
        self.dimension = d
    }

    /// Equal-weight isotropic components with the given means `[K, d]` and standard deviation.
    public init(means: Tensor<Double>, standardDeviation: Double, weights: [Double]? = nil) {
        precondition(means.rank == 2, "means must be [K, d]")
        let k = means.shape[0]
        let w = weights ?? [Double](repeating: 1, count: k)
        self.init(components: (0..<k).map {
            Component(weight: w[$0], mean: means[$0].scalars, covariance: .isotropic(variance: standardDeviation * standardDeviation))
        })
    }

    public var isIsotropic: Bool {
        components.allSatisfy { if case .isotropic = $0.covariance { return true } else { return false } }
    }

    /// The means as a `[K, d]` matrix.
    public var meanMatrix: Tensor<Double> { Tensor(shape: [components.count, dimension], scalars: components.flatMap(\.mean)) }

    /// The mixture mean Σ πₖ μₖ.
    public var mean: [Double] {
        (0..<dimension).map { j in components.reduce(0) { $0 + $1.weight * $1.mean[j] } }
    }

    /// The mixture covariance Σ πₖ (Σₖ + μₖμₖᵀ) − μμᵀ, `[d, d]`.
    public var covariance: Tensor<Double> {
        let d = dimension
        var c = [Double](repeating: 0, count: d * d)
        let m = mean
        for comp in components {
            let cov = covarianceMatrix(comp)
            for i in 0..<d { for j in 0..<d { c[i * d + j] += comp.weight * (cov[element: i, j] + comp.mean[i] * comp.mean[j]) } }
        }
        for i in 0..<d { for j in 0..<d { c[i * d + j] -= m[i] * m[j] } }
        return Tensor(shape: [d, d], scalars: c)
    }

    func covarianceMatrix(_ c: Component) -> Tensor<Double> {
        switch c.covariance {
        case .isotropic(let v): return Tensor.identity(dimension) * v
        case .full(let m): return m
        }
    }

    /// Exact samples `[count, d]`; sample i (counting from `sampleOffset`) is drawn from
    /// `key.folding(in: i)`: a component by its weight, then μ + L·z with Σ = L·Lᵀ.
    public func sample(count: Int, key: RandomKey, sampleOffset: Int = 0) throws -> (samples: Tensor<Double>, components: [Int]) {
        let d = dimension
        let factors: [Tensor<Double>] = try components.map { c in
            switch c.covariance {
            case .isotropic(let v): return Tensor.identity(d) * v.squareRoot()
            case .full(let m): return try (m + Tensor.identity(d) * 1e-300).psdSquareRoot()
            }
        }
        var values = [Double](repeating: 0, count: count * d)
        var labels = [Int](repeating: 0, count: count)
        let weights = components.map(\.weight)
        for i in 0..<count {
            var stream = RandomStream(key: key.folding(in: sampleOffset + i))
            let k = stream.categorical(weights: weights)
            labels[i] = k
            let z = Tensor<Double>((0..<d).map { _ in stream.normal(Double.self) })
            let x = matmul(factors[k], z.reshaped([d, 1])).reshaped([d]) + Tensor(components[k].mean)
            for j in 0..<d { values[i * d + j] = x[[j]] }
        }
        return (Tensor(shape: [count, d], scalars: values), labels)
    }

    /// Per-component log densities log πₖ + log N(x; αμₖ, Sₖ) `[n, K]` and, for each component, a
    /// function applying Sₖ⁻¹ to `[n, d]` residuals.
    private func componentTerms(_ x: Tensor<Double>, alpha: Double, sigma: Double) throws -> (logTerms: Tensor<Double>, solvers: [(Tensor<Double>) throws -> Tensor<Double>]) {
        let n = x.shape[0], d = dimension
        var logTerms = [Double](repeating: 0, count: n * components.count)
        var solvers: [(Tensor<Double>) throws -> Tensor<Double>] = []
        let log2pi = Foundation.log(2 * Double.pi)
        for (k, c) in components.enumerated() {
            let residual = x - Tensor(c.mean).reshaped([1, d]) * alpha
            switch c.covariance {
            case .isotropic(let v):
                let s = alpha * alpha * v + sigma * sigma
                let q = residual.squared().sum(alongAxis: 1).scalars
                for i in 0..<n { logTerms[i * components.count + k] = Foundation.log(c.weight) - 0.5 * (Double(d) * (log2pi + Foundation.log(s)) + q[i] / s) }
                solvers.append { $0 / s }
            case .full(let m):
                let sk = m * (alpha * alpha) + Tensor.identity(d) * (sigma * sigma)
                let l = try sk.cholesky()
                let logDet = 2 * l.diagonalPart().log().sum().scalar
                let z = try l.solveTriangular(residual.transposed(), lower: true)      // [d, n]
                let q = z.squared().sum(alongAxis: 0).scalars
                for i in 0..<n { logTerms[i * components.count + k] = Foundation.log(c.weight) - 0.5 * (Double(d) * log2pi + logDet + q[i]) }
                solvers.append { r in try l.choleskySolve(r.transposed()).transposed().contiguous() }
            }
        }
        return (Tensor(shape: [n, components.count], scalars: logTerms), solvers)
    }

    /// log p_t(x) per row of `x` `[n, d]` for the noising (α, σ); (1, 0) is the data density.
    public func logDensity(_ x: Tensor<Double>, alpha: Double = 1, sigma: Double = 0) throws -> Tensor<Double> {
        try componentTerms(x, alpha: alpha, sigma: sigma).logTerms.logSumExp(alongAxes: [1])
    }

    /// Responsibilities rₖ(x) `[n, K]` under the noising (α, σ).
    public func responsibilities(_ x: Tensor<Double>, alpha: Double, sigma: Double) throws -> Tensor<Double> {
        try componentTerms(x, alpha: alpha, sigma: sigma).logTerms.softmax(alongAxis: 1)
    }

    /// The score ∇ₓ log p_t(x) `[n, d]`.
    public func score(_ x: Tensor<Double>, alpha: Double, sigma: Double) throws -> Tensor<Double> {
        let (logTerms, solvers) = try componentTerms(x, alpha: alpha, sigma: sigma)
        let r = logTerms.softmax(alongAxis: 1)
        var total = Tensor<Double>(zeros: x.shape)
        for (k, c) in components.enumerated() {
            let residual = x - Tensor(c.mean).reshaped([1, dimension]) * alpha
            total -= try solvers[k](residual) * r.slice(axis: 1, k..<(k + 1))
        }
        return total
    }

    /// The exact denoiser E[x₀ | x_t = x] `[n, d]` under the noising (α, σ), σ > 0.
    public func posteriorMean(_ x: Tensor<Double>, alpha: Double, sigma: Double) throws -> Tensor<Double> {
        // Tweedie: α·E[x₀|x] = x + σ²∇log p.
        let s = try score(x, alpha: alpha, sigma: sigma)
        return (x + s * (sigma * sigma)) / alpha
    }

    /// The exact model of this mixture, in `Float` or `Double`.
    public func exactModel<S: TensorScalar>(as _: S.Type = S.self) -> ExactMixtureModel<S> {
        ExactMixtureModel(mixture: self)
    }
}

/// The exact posterior-mean model of a ``GaussianMixture``: a ``PredictionModel`` over `[n, d]`
/// tensors that needs no training — the reference "network" for tests and benchmarks.
///
/// Isotropic mixtures are evaluated in the tensor's own precision: in Float (up to 128
/// components) by the vectorised C kernel of `IsotropicMixtureKernel`, otherwise with two
/// matrix products per call (‖x − αμₖ‖² = ‖x‖² − 2α x·μₖ + α²‖μₖ‖²); other mixtures in Double
/// through ``GaussianMixture/posteriorMean(_:alpha:sigma:)``.
public struct ExactMixtureModel<S: TensorScalar>: DifferentiablePredictionModel {
    public let mixture: GaussianMixture
    private let means: Tensor<S>
    private let meanSquaredNorms: Tensor<S>
    private let logWeights: Tensor<S>
    private let variances: [Double]

    public init(mixture: GaussianMixture) {
        self.mixture = mixture
        means = Tensor<S>(mixture.meanMatrix)
        meanSquaredNorms = means.squared().sum(alongAxis: 1).reshaped([1, -1])
        logWeights = Tensor<S>(mixture.components.map { S(Foundation.log($0.weight)) }).reshaped([1, -1])
        variances = mixture.components.map { if case .isotropic(let v) = $0.covariance { return v } else { return .nan } }
    }

    public func predict(_ x: Tensor<S>, at point: TimePoint, key: SampleKey, state: inout Void) -> Prediction<Tensor<S>> {
        precondition(x.rank == 2 && x.shape[1] == mixture.dimension, "ExactMixtureModel expects [n, \(mixture.dimension)] points, got \(x.shape)")
        let a = point.alpha, s = point.sigma
        if mixture.isIsotropic && s > 0 {
            return fusedIsotropicPrediction(x, alpha: a, sigma: s)
        }
        let denoised: Tensor<S>
        if mixture.isIsotropic {
            denoised = isotropicPosteriorMean(x, alpha: a, sigma: s)
        } else {
            denoised = Tensor<S>(try! mixture.posteriorMean(Tensor<Double>(x), alpha: a, sigma: s))
        }
        let noise = s > 0 ? x.scaled(by: S(1 / s), adding: denoised, scaledBy: S(-a / s)) : Tensor(zeros: x.shape)
        return Prediction(denoised: denoised, noise: noise)
    }

    /// The isotropic posterior mean and noise estimate in two matrix products and two fused
    /// passes: C = x·μᵀ (BLAS); per row, the log-responsibilities from ‖x‖², C and ‖μₖ‖² (log-sum-exp
    /// over K in registers) give the weights Wₖ = rₖ(1 − αcₖ) and the coefficient Σₖ rₖcₖ of x;
    /// x̂₀ = W·μ (BLAS) + (Σₖ rₖcₖ)·x and ε̂ = (x − αx̂₀)/σ in one pass.
    private func fusedIsotropicPrediction(_ x: Tensor<S>, alpha a: Double, sigma s: Double) -> Prediction<Tensor<S>> {
        let n = x.shape[0], d = mixture.dimension, k = variances.count
        if S.self == Float.self && k <= IsotropicMixtureKernel.maximumComponents {
            return singlePrecisionPrediction(x, alpha: a, sigma: s)
        }
        let total = variances.map { a * a * $0 + s * s }
        let logConstant = zip(total, mixture.components).map { Foundation.log($1.weight) - 0.5 * Double(d) * Foundation.log($0) }
        let inverse = total.map { 1 / $0 }
        let shrink = zip(variances, total).map { a * $0 / $1 }                 // cₖ = αvₖ/Sₖ
        let meanNorms = meanSquaredNorms.scalars.map(Double.init)
        let xc = x.contiguous()
        let cross = matmul(xc, means.transposed())                              // [n, K]
        let constants = MixtureRowConstants(alpha: a, logConstant: logConstant, inverse: inverse, shrink: shrink, meanNorms: meanNorms, dimension: d)
        var coefficient = [Double](repeating: 0, count: n)
        let weights = Tensor<S>(shape: [n, k]) { w in
            cross.withUnsafeBufferPointer { c in
                xc.withUnsafeBufferPointer { xp in
                    coefficient.withUnsafeMutableBufferPointer { coef in
                        Parallel.forEachChunk(count: n, minimumChunk: 512) { rows in
                            if S.self == Float.self {
                                mixtureWeightRows(rows, rebound(xp, Float.self), rebound(c, Float.self), rebound(w, Float.self), coef, constants)
                            } else {
                                mixtureWeightRows(rows, rebound(xp, Double.self), rebound(c, Double.self), rebound(w, Double.self), coef, constants)
                            }
                        }
                    }
                }
            }
        }
        var denoised = matmul(weights, means)                                   // Σₖ Wₖ μₖ
        var noise = Tensor<S>(shape: [n, d]) { _ in }                           // every element is written below
        denoised.withUnsafeMutableBufferPointer { dp in
            noise.withUnsafeMutableBufferPointer { np in
                xc.withUnsafeBufferPointer { xp in
                    coefficient.withUnsafeBufferPointer { coef in
                        Parallel.forEachChunk(count: n, minimumChunk: 512) { rows in
                            if S.self == Float.self {
                                mixtureOutputRows(rows, rebound(xp, Float.self), rebound(dp, Float.self), rebound(np, Float.self), coef, d, alpha: a, sigma: s)
                            } else {
                                mixtureOutputRows(rows, rebound(xp, Double.self), rebound(dp, Double.self), rebound(np, Double.self), coef, d, alpha: a, sigma: s)
                            }
                        }
                    }
                }
            }
        }
        return Prediction(denoised: denoised, noise: noise)
    }

    /// Float32 inputs: one vectorised pass per row (``IsotropicMixtureKernel``), rows split over
    /// the cores.
    private func singlePrecisionPrediction(_ x: Tensor<S>, alpha a: Double, sigma s: Double) -> Prediction<Tensor<S>> {
        let n = x.shape[0], d = mixture.dimension
        let kernel = IsotropicMixtureKernel(means: mixture.components.map(\.mean), variances: variances,
                                            weights: mixture.components.map(\.weight), alpha: a, sigma: s)
        let xc = x.contiguous()
        var denoised = Tensor<S>(shape: [n, d]) { _ in }                        // every element is written below
        var noise = Tensor<S>(shape: [n, d]) { _ in }
        denoised.withUnsafeMutableBufferPointer { dp in
            noise.withUnsafeMutableBufferPointer { np in
                xc.withUnsafeBufferPointer { xp in
                    let xf = rebound(xp, Float.self), df = rebound(dp, Float.self), nf = rebound(np, Float.self)
                    Parallel.forEachChunk(count: n, minimumChunk: 256) { rows in
                        kernel.run(rows: rows, x: xf.baseAddress!, denoised: df.baseAddress!, noise: nf.baseAddress!)
                    }
                }
            }
        }
        return Prediction(denoised: denoised, noise: noise)
    }

    /// The prediction and (∂x̂₀/∂x)ᵀ·v for the cotangent v, in closed form for isotropic mixtures:
    /// with mₖ = μₖ + cₖ(x − αμₖ), cₖ = αvₖ/Sₖ and gₖ = −(x − αμₖ)/Sₖ,
    /// Jᵀv = (Σₖ rₖcₖ)·v + Σₖ rₖ(mₖ·v)(gₖ − ḡ), ḡ = Σₖ rₖgₖ.
    public func predictWithGradient(_ x: Tensor<S>, at point: TimePoint, key: SampleKey, state: inout Void,
                                    cotangent: (Prediction<Tensor<S>>) -> Tensor<S>) -> (prediction: Prediction<Tensor<S>>, gradient: Tensor<S>) {
        precondition(mixture.isIsotropic, "closed-form gradients are implemented for isotropic mixtures")
        var unit: Void = ()
        let prediction = predict(x, at: point, key: key, state: &unit)
        let v = cotangent(prediction)
        let a = point.alpha, s = point.sigma
        let total = variances.map { a * a * $0 + s * s }
        let r = isotropicResponsibilities(x, alpha: a, sigma: s)                                  // [n, K]
        let c = Tensor<S>(zip(variances, total).map { S(a * $0 / $1) }).reshaped([1, -1])       // cₖ
        let inverseS = Tensor<S>(total.map { S(1 / $0) }).reshaped([1, -1])
        let xv = (x * v).sum(alongAxis: 1, keepingDimension: true)                               // [n, 1]
        let muV = matmul(v, means.transposed())                                                  // [n, K]
        let mv = muV * (1 - c * S(a)) + xv * c                                                   // mₖ·v
        let w = r * mv
        // Σₖ wₖ gₖ = −(Σₖ wₖ/Sₖ)·x + α·(w/S)·μ, and likewise ḡ with r.
        func weightedG(_ weights: Tensor<S>) -> Tensor<S> {
            x * -(weights * inverseS).sum(alongAxis: 1, keepingDimension: true) + matmul(weights * inverseS, means) * S(a)
        }
        let gBar = weightedG(r)
        let gradient = v * (r * c).sum(alongAxis: 1, keepingDimension: true) + weightedG(w) - gBar * w.sum(alongAxis: 1, keepingDimension: true)
        return (prediction, gradient)
    }

    /// Responsibilities of isotropic components under the noising (α, σ).
    private func isotropicResponsibilities(_ x: Tensor<S>, alpha a: Double, sigma s: Double) -> Tensor<S> {
        let d = Double(mixture.dimension)
        let total = variances.map { a * a * $0 + s * s }
        let inverse = Tensor<S>(total.map { S(1 / $0) }).reshaped([1, -1])
        let logNormaliser = Tensor<S>(total.map { S(-0.5 * d * Foundation.log($0)) }).reshaped([1, -1])
        let xNorm = x.squared().sum(alongAxis: 1, keepingDimension: true)
        let cross = matmul(x, means.transposed())
        let distance = (xNorm + cross * S(-2 * a) + meanSquaredNorms * S(a * a)).maximum(Tensor(0))
        return (logWeights + logNormaliser - distance * inverse * S(0.5)).softmax(alongAxis: 1)
    }

    /// E[x₀|x] = Σₖ rₖ (μₖ + αvₖ/Sₖ (x − αμₖ)) with Sₖ = α²vₖ + σ².
    private func isotropicPosteriorMean(_ x: Tensor<S>, alpha a: Double, sigma s: Double) -> Tensor<S> {
        let d = Double(mixture.dimension)
        let total = variances.map { a * a * $0 + s * s }
        if total.contains(where: { $0 == 0 }) { return x * S(1 / a) }
        _ = d
        // ‖x − αμₖ‖² = ‖x‖² − 2α x·μₖ + α²‖μₖ‖² inside the responsibilities.
        let r = isotropicResponsibilities(x, alpha: a, sigma: s)                               // [n, K]
        // Σₖ rₖ μₖ (1 − α²vₖ/Sₖ) + x Σₖ rₖ αvₖ/Sₖ
        let shrink = Tensor<S>(zip(variances, total).map { S(a * $0 / $1) }).reshaped([1, -1]) // αvₖ/Sₖ
        let meanWeights = r * (1 - shrink * S(a))
        return matmul(meanWeights, means) + x * (r * shrink).sum(alongAxis: 1, keepingDimension: true)
    }
}

struct MixtureRowConstants {
    var alpha: Double
    var logConstant: [Double]
    var inverse: [Double]
    var shrink: [Double]
    var meanNorms: [Double]
    var dimension: Int
}

@inline(__always)
private func rebound<S, T>(_ p: UnsafeBufferPointer<S>, _: T.Type) -> UnsafeBufferPointer<T> {
    UnsafeBufferPointer(start: UnsafeRawPointer(p.baseAddress!).assumingMemoryBound(to: T.self), count: p.count)
}

@inline(__always)
private func rebound<S, T>(_ p: UnsafeMutableBufferPointer<S>, _: T.Type) -> UnsafeMutableBufferPointer<T> {
    UnsafeMutableBufferPointer(start: UnsafeMutableRawPointer(p.baseAddress!).assumingMemoryBound(to: T.self), count: p.count)
}

/// Per row: the responsibilities from ‖x‖², x·μₖ and ‖μₖ‖² (log-sum-exp over K, the exponentials
/// in the element type), the weights rₖ(1 − αcₖ) and Σₖ rₖcₖ.
private func mixtureWeightRows<T: TensorScalar>(_ rows: Range<Int>, _ x: UnsafeBufferPointer<T>, _ cross: UnsafeBufferPointer<T>,
                                                _ w: UnsafeMutableBufferPointer<T>, _ coefficient: UnsafeMutableBufferPointer<Double>,
                                                _ c: MixtureRowConstants) {
    let k = c.logConstant.count, d = c.dimension, a = c.alpha
    withUnsafeTemporaryAllocation(of: T.self, capacity: k) { logits in
        for i in rows {
            var norm: T = 0
            for j in 0..<d { let v = x[i * d + j]; norm += v * v }
            var m = -T.infinity
            for q in 0..<k {
                let distance = Swift.max(Double(norm) - 2 * a * Double(cross[i * k + q]) + a * a * c.meanNorms[q], 0)
                logits[q] = T(c.logConstant[q] - 0.5 * distance * c.inverse[q])
                m = Swift.max(m, logits[q])
            }
            var sum: T = 0
            for q in 0..<k { logits[q] = T.exp(logits[q] - m); sum += logits[q] }
            var cx = 0.0
            for q in 0..<k {
                let r = Double(logits[q] / sum)
                w[i * k + q] = T(r * (1 - a * c.shrink[q]))
                cx += r * c.shrink[q]
            }
            coefficient[i] = cx
        }
    }
}

/// Per row: x̂₀ += (Σₖ rₖcₖ)·x and ε̂ = (x − αx̂₀)/σ.
private func mixtureOutputRows<T: TensorScalar>(_ rows: Range<Int>, _ x: UnsafeBufferPointer<T>, _ denoised: UnsafeMutableBufferPointer<T>,
                                                _ noise: UnsafeMutableBufferPointer<T>, _ coefficient: UnsafeBufferPointer<Double>, _ d: Int,
                                                alpha a: Double, sigma s: Double) {
    let scaleX = T(1 / s), scaleD = T(-a / s)
    for i in rows {
        let cx = T(coefficient[i])
        for j in (i * d)..<((i + 1) * d) {
            let v = denoised[j] + cx * x[j]
            denoised[j] = v
            noise[j] = scaleX * x[j] + scaleD * v
        }
    }
}
