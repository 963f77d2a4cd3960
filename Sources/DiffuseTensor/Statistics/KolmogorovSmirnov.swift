import Foundation

/// Kolmogorov–Smirnov tests: the one-sample statistic D = sup |F_n(x) − F(x)| against a continuous
/// CDF and the two-sample statistic D = sup |F_n(x) − G_m(x)|, with the asymptotic p-value of
/// Kolmogorov's distribution evaluated at (√n_e + 0.12 + 0.11/√n_e)·D (Stephens' small-sample
/// correction; n_e = n for one sample, nm/(n + m) for two).
public enum KolmogorovSmirnov {
    /// One sample against a CDF.
    public static func test(_ sample: [Double], cdf: (Double) -> Double) -> (statistic: Double, pValue: Double) {
        precondition(!sample.isEmpty, "Kolmogorov–Smirnov needs a non-empty sample")
        let x = sample.sorted()
        let n = Double(x.count)
        var d = 0.0
        for (i, v) in x.enumerated() {
            let f = cdf(v)
            d = Swift.max(d, f - Double(i) / n, Double(i + 1) / n - f)
        }
        return (d, pValue(statistic: d, effectiveSize: n))
    }

    /// Two samples.
    public static func test(_ a: [Double], _ b: [Double]) -> (statistic: Double, pValue: Double) {
        precondition(!a.isEmpty && !b.isEmpty, "Kolmogorov–Smirnov needs non-empty samples")
        let x = a.sorted(), y = b.sorted()
        let n = Double(x.count), m = Double(y.count)
        var i = 0, j = 0, d = 0.0
        while i < x.count && j < y.count {
            let v = Swift.min(x[i], y[j])
            while i < x.count && x[i] <= v { i += 1 }
            while j < y.count && y[j] <= v { j += 1 }
            d = Swift.max(d, Swift.abs(Double(i) / n - Double(j) / m))
        }
        return (d, pValue(statistic: d, effectiveSize: n * m / (n + m)))
    }

    /// P(D ≥ d) from Kolmogorov's series Q(λ) = 2Σ(−1)^{k−1} e^{−2k²λ²}.
    public static func pValue(statistic d: Double, effectiveSize n: Double) -> Double {
        let lambda = (n.squareRoot() + 0.12 + 0.11 / n.squareRoot()) * d
        var p = 0.0
        for k in 1...100 {
            let term = 2 * (k % 2 == 1 ? 1.0 : -1.0) * Foundation.exp(-2 * Double(k * k) * lambda * lambda)
            p += term
            if Swift.abs(term) < 1e-12 { break }
        }
        return Swift.min(Swift.max(p, 0), 1)
    }
}
