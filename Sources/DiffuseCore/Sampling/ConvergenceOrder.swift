import Foundation

/// The observed order of convergence p of a solver from its errors at several step counts:
/// minus the least-squares slope of log(error) against log(steps), since error ≈ C·N⁻ᵖ for a
/// method of order p in its asymptotic range.
///
/// Use step counts where the error is dominated by discretisation (well above round-off) and
/// where the method is already asymptotic; two counts give the local order between them.
/// Returns NaN when an error is zero or not finite.
public func observedConvergenceOrder(steps: [Int], errors: [Double]) -> Double {
    precondition(steps.count == errors.count && steps.count >= 2, "need at least two (steps, error) pairs of equal count")
    precondition(steps.allSatisfy { $0 > 0 }, "step counts must be positive")
    // A diverged (non-finite) or exactly zero error has no order: NaN, which fails any check.
    guard errors.allSatisfy({ $0 > 0 && $0.isFinite }) else { return .nan }
    let xs = steps.map { log(Double($0)) }, ys = errors.map { log($0) }
    let mx = xs.reduce(0, +) / Double(xs.count), my = ys.reduce(0, +) / Double(ys.count)
    var covariance = 0.0, variance = 0.0
    for i in xs.indices {
        covariance += (xs[i] - mx) * (ys[i] - my)
        variance += (xs[i] - mx) * (xs[i] - mx)
    }
    precondition(variance > 0, "need at least two different step counts")
    return -covariance / variance
}
