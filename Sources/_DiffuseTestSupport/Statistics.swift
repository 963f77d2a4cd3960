import Foundation

/// The one-sample Kolmogorov–Smirnov statistic D = sup |F_n(x) − F(x)| of a sample against a
/// continuous CDF, and its asymptotic p-value (Kolmogorov's series for √n·D, with Stephens'
/// small-sample correction √n + 0.12 + 0.11/√n).
public func kolmogorovSmirnov(_ sample: [Double], cdf: (Double) -> Double) -> (statistic: Double, pValue: Double) {
    let x = sample.sorted()
    let n = Double(x.count)
    var d = 0.0
    for (i, v) in x.enumerated() {
        let f = cdf(v)
        d = max(d, f - Double(i) / n, Double(i + 1) / n - f)
    }
    let lambda = (n.squareRoot() + 0.12 + 0.11 / n.squareRoot()) * d
    var p = 0.0
    for k in 1...100 {
        let term = 2 * (k % 2 == 1 ? 1.0 : -1.0) * exp(-2 * Double(k * k) * lambda * lambda)
        p += term
        if abs(term) < 1e-12 { break }
    }
    return (d, min(max(p, 0), 1))
}

/// The standard normal CDF.
public func standardNormalCDF(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }
