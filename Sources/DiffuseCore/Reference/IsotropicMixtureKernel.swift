import _DiffuseKernels
import DiffuseTensor
import Foundation

/// The single-precision exact prediction of an isotropic Gaussian mixture under the noising
/// x = αx₀ + σε, one pass per row.
///
/// With Sₖ = α²vₖ + σ² and cₖ = αvₖ/Sₖ, the responsibilities are the softmax over k of
/// log πₖ − (d/2)·log Sₖ − ‖x − αμₖ‖²/(2Sₖ), the posterior mean is
/// x̂₀ = Σₖ rₖ(1 − αcₖ)·μₖ + (Σₖ rₖcₖ)·x and the noise estimate ε̂ = (x − αx̂₀)/σ.
///
/// The row loop is the C kernel `diffuse_isotropic_mixture_rows` (baseline, AVX2 and AVX-512 versions,
/// chosen at load time): per row the squared distances to eight scaled means at a time
/// accumulate lane-wise over the coordinates (the means are stored transposed, so there are no
/// horizontal sums), the log-sum-exp runs on the vector, and x̂₀ and ε̂ are written in the same
/// pass. The distances are sums of squared differences, not ‖x‖² − 2αx·μ + α²‖μ‖², so they
/// cannot cancel to negative values. Up to 128 components (``ExactMixtureModel`` uses matrix
/// products beyond).
struct IsotropicMixtureKernel {
    static let maximumComponents = Int(DIFFUSE_MIXTURE_MAXIMUM_COMPONENTS)
    let dimension: Int
    let componentCount: Int
    /// ⌈K/8⌉ vectors of eight components.
    let groups: Int
    /// αμₖ transposed and padded: [d][groups·8].
    let scaledMeansByCoordinate: [Float]
    /// μₖ row-major, [K·d].
    let means: [Float]
    /// log πₖ − (d/2)·log Sₖ; −∞ in padding lanes.
    let logConstants: [Float]
    /// 1/(2Sₖ); 0 in padding lanes.
    let halfInverseVariances: [Float]
    /// 1 − αcₖ, the weight of μₖ in x̂₀ per unit responsibility.
    let meanFactors: [Float]
    /// cₖ = αvₖ/Sₖ, the weight of x in x̂₀ per unit responsibility.
    let shrinkFactors: [Float]
    let alpha: Double
    let sigma: Double

    init(means: [[Double]], variances: [Double], weights: [Double], alpha a: Double, sigma s: Double) {
        let k = means.count, d = means.first?.count ?? 0
        precondition(k <= Self.maximumComponents, "the single-precision mixture kernel handles up to \(Self.maximumComponents) components")
        dimension = d
        componentCount = k
        groups = (k + 7) / 8
        alpha = a
        sigma = s
        let lanes = groups * 8
        func padded(_ value: (Int) -> Double, padding: Float) -> [Float] {
            (0..<lanes).map { $0 < k ? Float(value($0)) : padding }
        }
        let total = variances.map { a * a * $0 + s * s }
        logConstants = padded({ Foundation.log(weights[$0]) - 0.5 * Double(d) * Foundation.log(total[$0]) }, padding: -.infinity)
        halfInverseVariances = padded({ 0.5 / total[$0] }, padding: 0)
        meanFactors = padded({ 1 - a * a * variances[$0] / total[$0] }, padding: 0)
        shrinkFactors = padded({ a * variances[$0] / total[$0] }, padding: 0)
        scaledMeansByCoordinate = (0..<d).flatMap { j in padded({ a * means[$0][j] }, padding: 0) }
        self.means = means.flatMap { $0.map(Float.init) }
    }

    /// Writes x̂₀ and ε̂ for `rows` of the row-major `[n, d]` input `x`.
    func run(rows: Range<Int>, x: UnsafePointer<Float>, denoised: UnsafeMutablePointer<Float>, noise: UnsafeMutablePointer<Float>) {
        diffuse_isotropic_mixture_rows(x, rows.lowerBound, rows.upperBound, dimension, componentCount, groups,
                                       scaledMeansByCoordinate, means, logConstants, halfInverseVariances, meanFactors, shrinkFactors,
                                       Float(1 / sigma), Float(-alpha / sigma), denoised, noise)
    }
}
