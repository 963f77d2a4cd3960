import DiffuseTensor
import Foundation

/// The one-sample Kolmogorov–Smirnov statistic and p-value (see ``KolmogorovSmirnov``).
public func kolmogorovSmirnov(_ sample: [Double], cdf: (Double) -> Double) -> (statistic: Double, pValue: Double) {
    KolmogorovSmirnov.test(sample, cdf: cdf)
}

/// The standard normal CDF.
public func standardNormalCDF(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }
