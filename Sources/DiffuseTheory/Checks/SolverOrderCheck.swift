import DiffuseCore
import DiffusePlot
import DiffuseTensor
import Foundation

/// Convergence orders of every deterministic registered solver against the exact
/// probability-flow map of a Gaussian with a full covariance (``GaussianFlowMap``), and the
/// sampling accuracy of a few solvers against the number of network evaluations on a Gaussian
/// mixture (sliced W₂ to exact samples).
///
/// Claim: the global error of an order-p solver on a smooth ODE falls as h^p or faster (Butcher
/// 2016); the declared orders are each sampler's own (`Sampler.order`, `Sampler.asymptoticOrder`),
/// and every deterministic fixed-grid sampler of `SamplerRegistry` is checked.
public struct SolverOrderCheck: TheoryCheck {
    public let name = "solver-orders"
    public let summary = "convergence order of every deterministic solver on an exact Gaussian flow map; accuracy against NFE on a mixture"

    public var dimension = 8

    public init(dimension: Int = 8) {
        self.dimension = dimension
    }

    public func run(effort: CheckEffort, seed: UInt64) throws -> TheoryCheckReport {
        let key = RandomKey(seed: seed)
        let d = dimension
        // A random full covariance Σ = AAᵀ/d + 0.05·I and mean.
        let a = Tensor<Double>.randomNormal(shape: [d, d], key: key.folding(in: 0))
        let covariance = matmul(a, a.transposed()) / Double(d) + Tensor<Double>.identity(d) * 0.05
        let mean = Tensor<Double>.randomNormal(shape: [d], key: key.folding(in: 1)).scalars.map { 0.5 * $0 }
        let gaussian = GaussianMixture(components: [.init(weight: 1, mean: mean, covariance: .full(covariance))])
        let flow = try GaussianFlowMap(mean: mean, covariance: covariance)
        let model = gaussian.exactModel(as: Double.self)
        let schedule = ContinuousVPSchedule.linear
        let steps = effort == .quick ? [10, 20, 40, 80] : [10, 20, 40, 80, 160]
        let start = Tensor<Double>.randomNormal(shape: [16, d], key: key.folding(in: 2))
        var results: [TheoryCheckResult] = []
        var plot = SVGPlot(title: "Global error against steps (VP, log-SNR-uniform grid, exact Gaussian flow map)", xLabel: "steps", yLabel: "max error")
        plot.logX = true
        plot.logY = true
        let colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"]
        for (c, solver) in SamplerRegistry.samplers(for: Tensor<Double>.self, schedule: schedule).filter({ !$0.isStochastic && !$0.isAdaptive }).enumerated() {
            let ((order, errors), seconds) = timed { () -> (Double, [Double]) in
                var errors: [Double] = []
                for n in steps {
                    let grid = TimeGrid.logSNRUniform(schedule, steps: n, from: 1, to: 1e-3)
                    let x = start * grid.points[0].sigma
                    let exact = flow.map(x, from: grid.points[0], to: grid.points[grid.stepCount])
                    let result = sample(model, from: x, grid: grid, using: solver)
                    errors.append((result.samples - exact).abs().max().scalar)
                }
                return (observedConvergenceOrder(steps: steps, errors: errors), errors)
            }
            plot.line(x: steps.map(Double.init), y: errors, color: colors[c % colors.count], label: solver.identifier)
            let setup = "N(μ, Σ) in d = \(d), full Σ; VP linear; log-SNR-uniform t = 1 → 1e-3; steps \(steps.map(String.init).joined(separator: ","))"
            let errorRange = "errors \(String(format: "%.2e", errors.first!)) → \(String(format: "%.2e", errors.last!))"
            // One-sided: a method of order p has error O(h^p) or better. Gaussian flows are
            // linear, and some methods superconverge on them (the explicit midpoint rule measures
            // about 3, fixed-step Dormand–Prince about 6); such rows say so.
            let faster = { (measured: Double, declared: Int) in measured > Double(declared) + 0.45 ? " — faster than declared on this linear flow" : "" }
            if solver.asymptoticOrder == solver.order {
                results.append(TheoryCheckResult(
                    check: name, claim: "\(solver.identifier) converges with order \(solver.order)", source: "the method's paper; Butcher, Numerical Methods for ODEs",
                    setup: setup, expected: "order ≥ \(solver.order) − 0.45", measured: "order \(format(order, 2)) (\(errorRange))\(faster(order, solver.order))",
                    pass: order >= Double(solver.order) - 0.45, seconds: seconds))
            } else {
                // Order p on coarse grids (10–80 steps), tending to the start-up order at the finest pair.
                let coarse = observedConvergenceOrder(steps: Array(steps.prefix(4)), errors: Array(errors.prefix(4)))
                let finest = observedConvergenceOrder(steps: Array(steps.suffix(2)), errors: Array(errors.suffix(2)))
                results.append(TheoryCheckResult(
                    check: name, claim: "\(solver.identifier) converges with order \(solver.order) until its lower-order start or end dominates (then at least \(solver.asymptoticOrder))",
                    source: "the method's paper; multistep start-up error (Hairer, Nørsett & Wanner I, §III.4)",
                    setup: setup, expected: "order ≥ \(solver.order) − 0.45 over 10–80 steps; local order at the finest pair ≥ \(solver.asymptoticOrder) − 0.45",
                    measured: "order \(format(coarse, 2)); finest pair \(format(finest, 2)) (\(errorRange))\(faster(coarse, solver.order))",
                    pass: coarse >= Double(solver.order) - 0.45 && finest >= Double(solver.asymptoticOrder) - 0.45, seconds: seconds))
            }
        }
        var figures = [TheoryFigure(name: "solver-orders", svg: plot.render())]

        // Accuracy against NFE on a 2-D mixture of 8 modes on a circle.
        let modes = Tensor<Double>(shape: [8, 2], scalars: (0..<8).flatMap { k -> [Double] in
            let angle = 2 * Double.pi * Double(k) / 8
            return [2 * Foundation.cos(angle), 2 * Foundation.sin(angle)]
        })
        let mixture = GaussianMixture(means: modes, standardDeviation: 0.15)
        let reference = try mixture.sample(count: effort == .quick ? 2000 : 8000, key: key.folding(in: 3)).samples
        let count = reference.shape[0]
        let noise = Tensor<Double>.randomNormal(shape: [count, 2], key: key.folding(in: 4))
        let nfeSteps = [5, 10, 20, 40]
        var nfePlot = SVGPlot(title: "Sliced W₂² to exact mixture samples against steps", xLabel: "steps", yLabel: "sliced W₂²")
        nfePlot.logX = true
        nfePlot.logY = true
        let floor = EmpiricalWasserstein.slicedSquared(reference, try mixture.sample(count: count, key: key.folding(in: 5)).samples, directions: 64, key: key.folding(in: 6))
        let exactModel = mixture.exactModel(as: Double.self)
        let vp = ContinuousVPSchedule.linear
        let compared: [any Sampler<Tensor<Double>>] = [DDIMSampler(), DPMSolverPlusPlus(order: 2), UniPC(), HeunSampler()]
        for (c, solver) in compared.enumerated() {
            let (distances, seconds) = timed { () -> [Double] in
                nfeSteps.map { n in
                    let grid = TimeGrid.logSNRUniform(vp, steps: n, from: 1, to: 1e-3)
                    let samples = sample(exactModel, from: noise * grid.points[0].sigma, grid: grid, using: solver).samples
                    return EmpiricalWasserstein.slicedSquared(samples, reference, directions: 64, key: key.folding(in: 6))
                }
            }
            nfePlot.line(x: nfeSteps.map(Double.init), y: distances, color: colors[c], label: solver.identifier)
            let decreasing = distances.last! < distances.first!
            let close = distances.last! < 3 * floor + 1e-3
            results.append(TheoryCheckResult(
                check: name, claim: "\(solver.identifier): sampling error falls with NFE to the sampling-noise floor", source: "exact mixture score (no training)",
                setup: "8-mode circle mixture, σ = 0.15, \(count) samples, steps \(nfeSteps.map(String.init).joined(separator: ","))",
                expected: "decreasing, final ≤ 3 × floor \(format(floor))", measured: distances.map { format($0) }.joined(separator: " → "),
                pass: decreasing && close, seconds: seconds))
        }
        figures.append(TheoryFigure(name: "solver-accuracy-vs-steps", svg: nfePlot.render()))
        return TheoryCheckReport(results: results, figures: figures)
    }
}
