import DiffuseCore
import DiffuseTensor
import Foundation

/// Log-likelihoods through the probability-flow ODE (instantaneous change of variables, Chen et
/// al. 2018; Song et al. 2021) against the exact log-density of a Gaussian mixture, with the exact
/// divergence and with Hutchinson's estimator.
public struct LikelihoodCheck: TheoryCheck {
    public let name = "likelihood"
    public let summary = "probability-flow log-likelihood against the exact mixture log-density"

    public init() {}

    public func run(effort: CheckEffort, seed: UInt64) throws -> TheoryCheckReport {
        let key = RandomKey(seed: seed)
        let means = Tensor<Double>(rows: [[-1.5, 0.5, 0], [1, 1, -0.5], [0.5, -1.5, 1]])
        let mixture = GaussianMixture(means: means, standardDeviation: 0.4, weights: [0.5, 0.3, 0.2])
        let schedule = ContinuousVPSchedule.linear
        let x = try mixture.sample(count: effort == .quick ? 8 : 32, key: key).samples
        let start = schedule.point(at: 1e-3), end = schedule.point(at: 1)
        let prior: (Tensor<Double>) -> [Double] = { xT in (try? mixture.logDensity(xT, alpha: end.alpha, sigma: end.sigma).scalars) ?? [] }
        let exact = try mixture.logDensity(x, alpha: start.alpha, sigma: start.sigma).scalars
        let model = mixture.exactModel(as: Double.self)
        let (result, seconds) = timed {
            ProbabilityFlowLikelihood.logLikelihood(model, of: x, from: start, to: end, schedule: schedule,
                                                    controller: PIDController(relativeTolerance: 1e-8, absoluteTolerance: 1e-8), priorLogDensity: prior)
        }
        let error = zip(result.logDensities, exact).map { Swift.abs($0 - $1) }.max()!
        var rows = [TheoryCheckResult(
            check: name, claim: "the probability-flow ODE gives exact log-likelihoods", source: "Song et al. 2021 (score SDE), App. D; Chen et al. 2018",
            setup: "3-mode mixture in d = 3, VP linear, t = 1e-3 → 1, Dormand–Prince rtol 1e-8, exact divergence, \(x.shape[0]) points",
            expected: "|Δ log p| ≤ 1e-4", measured: "max |Δ log p| = \(format(error)) nats (\(result.statistics.functionEvaluations) evaluations)",
            pass: error <= 1e-4, seconds: seconds)]
        let repeats = effort == .quick ? 16 : 64
        // Unbiasedness: the mean error over runs and points against its standard error.
        let (errors, hutchinsonSeconds) = timed { () -> [Double] in
            var errors: [Double] = []
            for r in 0..<repeats {
                let h = ProbabilityFlowLikelihood.logLikelihood(model, of: x, from: start, to: end, schedule: schedule, divergence: .hutchinson(rademacher: true),
                                                                key: key.folding(in: 1 + r), controller: PIDController(relativeTolerance: 1e-5, absoluteTolerance: 1e-5),
                                                                priorLogDensity: prior)
                errors += zip(h.logDensities, exact).map { $0 - $1 }
            }
            return errors
        }
        let bias = errors.reduce(0, +) / Double(errors.count)
        let spread = (errors.reduce(0) { $0 + ($1 - bias) * ($1 - bias) } / Double(errors.count - 1)).squareRoot()
        let standardError = spread / Double(errors.count).squareRoot()
        rows.append(TheoryCheckResult(
            check: name, claim: "Hutchinson's trace estimator is unbiased", source: "Hutchinson 1989; Grathwohl et al. 2019 (FFJORD)",
            setup: "same points, Rademacher probes, \(repeats) runs", expected: "|mean error| ≤ 3 standard errors",
            measured: "mean error \(format(bias)) ± \(format(standardError)) nats (per-run sd \(format(spread)))", pass: Swift.abs(bias) <= 3 * standardError,
            seconds: hutchinsonSeconds))
        return TheoryCheckReport(results: rows)
    }
}
