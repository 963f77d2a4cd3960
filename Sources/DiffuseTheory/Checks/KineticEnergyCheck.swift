import DiffusePlot
import DiffuseTensor
import Foundation

/// Kinetic energy of Gaussian probability paths p_t(x | x₁) = N(α_t x₁, σ_t² I) to the empirical
/// distribution of n points in d dimensions (Shaul, Chen, Nickel, Le & Lipman, "On kinetic optimal
/// probability paths for generative models", arXiv 2306.06626). With the marginal velocity
/// u = (σ̇/σ)x + ((α̇σ − ασ̇)/σ)·x̂₁(x),
///
///   KE = ∫₀¹ E|u_t|² dt = m₂ [∫(α̇² + σ̇²) dt − ∫ mmse(α/σ)·(α̇σ − ασ̇)²/σ² dt],
///
/// m₂ = E|x₁|², mmse(r) = E|x₁ − E[x₁ | r·x₁ + z]|²/m₂ ∈ [0, 1] (Monte Carlo over x₁ and z; the
/// posterior mean is a softmax over the n points). When the points are far apart relative to the
/// noise (n/√d → 0), mmse → 0 and the ratio trig/cond-OT → (π²/4)/2 = π²/8; for n ≫ d the data
/// look Gaussian, for which the trig (variance-preserving) path has zero energy, so the ratio
/// falls below 1.
public struct KineticEnergyCheck: TheoryCheck {
    public let name = "kinetic-energy"
    public let summary = "kinetic energy of cond-OT and trigonometric paths; ratio → π²/8 as n/√d → 0, below 1 when n ≫ d"

    public init() {}

    /// A path (α, σ) and its derivatives at t.
    public enum Path: String, CaseIterable, Sendable {
        case conditionalOT, trigonometric
        func coefficients(_ t: Double) -> (a: Double, s: Double, aDot: Double, sDot: Double) {
            switch self {
            case .conditionalOT: return (t, 1 - t, 1, -1)
            case .trigonometric:
                let h = Double.pi / 2
                return (Foundation.sin(h * t), Foundation.cos(h * t), h * Foundation.cos(h * t), -h * Foundation.sin(h * t))
            }
        }
    }

    /// mmse(r) of the empirical distribution of the rows of `points` (Monte Carlo, `draws` pairs).
    static func mmse(_ points: Tensor<Double>, snr r: Double, draws: Int, key: RandomKey) -> Double {
        let n = points.shape[0], d = points.shape[1]
        var stream = RandomStream(key: key)
        let index = (0..<draws).map { _ in stream.integer(below: n) }
        let x1 = Tensor.stack(index.map { points[$0] }, alongAxis: 0)
        let y = x1 * r + Tensor<Double>.randomNormal(shape: [draws, d], key: key.folding(in: 1))
        // log w_j ∝ −|y − r·x_j|²/2 = r·y·x_j − r²|x_j|²/2 + const.
        let norms = (points * points).sum(alongAxes: [1]).reshaped([1, n])
        let logits = matmul(y, points.transposed()) * r - norms * (r * r / 2)
        let estimate = matmul(logits.softmax(alongAxis: 1), points)
        let error = ((x1 - estimate) * (x1 - estimate)).sum().scalar / Double(draws)
        let m2 = (points * points).sum().scalar / Double(n)
        return error / m2
    }

    /// KE/m₂ of a path on the rows of `points` by Gauss–Legendre quadrature in t.
    static func kineticEnergy(_ path: Path, points: Tensor<Double>, nodes: Int, draws: Int, key: RandomKey) -> Double {
        let (ts, ws) = gaussLegendre(nodes)
        var total = 0.0
        for (i, (t, w)) in zip(ts, ws).enumerated() {
            let c = path.coefficients(t)
            let base = c.aDot * c.aDot + c.sDot * c.sDot
            let cross = c.aDot * c.s - c.a * c.sDot
            let weight = cross * cross / (c.s * c.s)
            let m = mmse(points, snr: c.a / c.s, draws: draws, key: key.folding(in: i))
            total += w * (base - m * weight)
        }
        return total
    }

    /// Gauss–Legendre nodes and weights on (0, 1) (Newton on Legendre polynomials).
    static func gaussLegendre(_ n: Int) -> ([Double], [Double]) {
        var nodes: [Double] = [], weights: [Double] = []
        for i in 1...n {
            var x = Foundation.cos(Double.pi * (Double(i) - 0.25) / (Double(n) + 0.5))
            var derivative = 0.0
            for _ in 0..<100 {
                var p0 = 1.0, p1 = x
                for k in 2...Swift.max(n, 2) where n >= 2 {
                    let p2 = ((2 * Double(k) - 1) * x * p1 - (Double(k) - 1) * p0) / Double(k)
                    p0 = p1
                    p1 = p2
                }
                if n == 1 { p1 = x; p0 = 1 }
                derivative = Double(n) * (x * p1 - p0) / (x * x - 1)
                let step = p1 / derivative
                x -= step
                if Swift.abs(step) < 1e-15 { break }
            }
            nodes.append(0.5 * (1 - x))
            weights.append(1 / ((1 - x * x) * derivative * derivative))
        }
        return (nodes, weights)
    }

    public func run(effort: CheckEffort, seed: UInt64) throws -> TheoryCheckReport {
        let key = RandomKey(seed: seed)
        let configurations: [(n: Int, d: Int)] = effort == .quick
            ? [(4, 4096), (16, 1024), (64, 256), (256, 64), (1024, 8), (4096, 2)]
            : [(2, 8192), (4, 4096), (16, 1024), (64, 256), (256, 64), (1024, 8), (4096, 4), (8192, 2)]
        let nodes = effort == .quick ? 48 : 96
        let draws = effort == .quick ? 512 : 2048
        var ratios: [(Double, Double)] = []
        var rows: [String] = []
        let (_, seconds) = timed {
            for (c, (n, d)) in configurations.enumerated() {
                let points = Tensor<Double>.randomNormal(shape: [n, d], key: key.folding(in: c))
                let ot = Self.kineticEnergy(.conditionalOT, points: points, nodes: nodes, draws: draws, key: key.folding(in: 100 + c))
                let trig = Self.kineticEnergy(.trigonometric, points: points, nodes: nodes, draws: draws, key: key.folding(in: 200 + c))
                ratios.append((Double(n) / Double(d).squareRoot(), trig / ot))
                rows.append("n=\(n),d=\(d): \(format(trig / ot))")
            }
        }
        let limit = Double.pi * Double.pi / 8
        let sparse = ratios.first!.1, dense = ratios.last!.1
        var plot = SVGPlot(title: "Kinetic energy ratio trig / cond-OT against n/√d", xLabel: "n / √d", yLabel: "KE(trig) / KE(cond-OT)")
        plot.logX = true
        plot.line(x: ratios.map(\.0), y: ratios.map(\.1), label: "measured")
        plot.line(x: [ratios.first!.0, ratios.last!.0], y: [limit, limit], color: "#d62728", label: "π²/8", dashed: true)
        plot.line(x: [ratios.first!.0, ratios.last!.0], y: [1, 1], color: "#888888", label: "1", dashed: true)
        let results = [
            TheoryCheckResult(check: name, claim: "as n/√d → 0 the data separation → 1 and cond-OT is kinetic-optimal (ratio trig/cond-OT → π²/8)",
                              source: "Shaul et al. 2023 (arXiv 2306.06626), abstract; limit derived in docs/Theory.md",
                              setup: "n points ~ N(0, I_d); \(configurations.map { "(\($0.n),\($0.d))" }.joined(separator: " ")); \(nodes)-node Gauss–Legendre, \(draws) draws",
                              expected: "ratio at the smallest n/√d within 2% of π²/8 = \(format(limit))", measured: rows.joined(separator: "; "),
                              pass: Swift.abs(sparse - limit) / limit < 0.02, seconds: seconds),
            TheoryCheckResult(check: name, claim: "when n ≫ d the trigonometric path has less kinetic energy than cond-OT",
                              source: "Shaul et al. 2023; Gaussian-data limit (trig energy 0) derived", setup: "largest n/√d above",
                              expected: "ratio < 1", measured: format(dense), pass: dense < 1, seconds: 0),
        ]
        return TheoryCheckReport(results: results, figures: [TheoryFigure(name: "kinetic-energy-ratio", svg: plot.render())])
    }
}
