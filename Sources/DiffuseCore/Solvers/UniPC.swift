import Foundation

/// UniPC (Zhao, Bai, Rao, Zhou & Lu, "UniPC: A Unified Predictor-Corrector Framework for Fast
/// Sampling of Diffusion Models", NeurIPS 2023) on the data prediction.
///
/// The predictor UniP-p extrapolates from the current and p − 1 previous x̂₀ estimates in λ; the
/// corrector UniC then refines the *previous* predictor output once the model has been
/// evaluated at its point, raising the order to p + 1 without extra evaluations. With
/// hh = −h (h = λ_t − λ_s), φ-type coefficients bₖ from hφₖ(hh), and B(h) = hh (`bh1`) or
/// e^{hh} − 1 (`bh2`):
/// x_t = (σ_t/σ_s)·x − α_t(e^{hh} − 1)·D₀ − α_t·B(h)·Σₖ ρₖ(Dₖ − D₀)/rₖ, with ρ solving R·ρ = b
/// (R the Vandermonde matrix of the ratios rₖ), or ρ = ½ for the second order.
/// The order of each step follows ``MultistepOrderRule`` (warm-up; diffusers' UniPC lowers the
/// last steps of every run). The final predictor step is not corrected (there is no evaluation
/// at the end). Bit-identical to diffusers' `UniPCMultistepScheduler` (see the golden tests).
public struct UniPC<Value: NoiseSampleable>: Sampler, Equatable {
    public enum Variant: String, Codable, Sendable {
        case bh1, bh2
    }

    public var rule: MultistepOrderRule
    public var variant: Variant
    public var usesCorrector: Bool

    public init(order: Int = 2, variant: Variant = .bh2, lowerOrderFinal: MultistepOrderRule.LowerOrderFinal = .always, corrector: Bool = true) {
        precondition((1...3).contains(order), "UniPC order must be 1, 2 or 3, got \(order)")
        self.rule = MultistepOrderRule(order: order, lowerOrderFinal: lowerOrderFinal)
        self.variant = variant
        self.usesCorrector = corrector
    }

    public var identifier: String { "unipc-\(variant.rawValue)-\(rule.order)" + (usesCorrector ? "" : "-predictor") }
    /// The predictor's order plus one from the corrector.
    public var order: Int { usesCorrector ? rule.order + 1 : rule.order }
    /// The corrector lifts the first (warm-up) step to second order; the last step of a run with
    /// `.always` (the default) is an uncorrected first-order step (``MultistepOrderRule``).
    public var asymptoticOrder: Int { rule.asymptoticOrder(nominal: order, firstStepOrder: usesCorrector ? 2 : 1) }
    public var isStochastic: Bool { false }

    public struct State: Sendable {
        /// (λ, x̂₀) of previous points, newest first (including the current after evaluation).
        var history: DenoisedHistory<Value>
        /// The state before the last predictor step, its point and its order.
        var lastSample: Value? = nil
        var lastPoint: TimePoint? = nil
        var lastOrder = 1
    }

    public func makeState() -> State { State(history: DenoisedHistory(capacity: rule.order + 1)) }

    /// Coefficients (b over the orders, B(h), hφ₁) for step size h and the order.
    private func coefficients(h: Double, ratios: [Double], order: Int) -> (rho: (predictor: [Double], corrector: [Double]), bh: Double, hPhi1: Double) {
        let hh = -h
        let hPhi1 = Foundation.expm1(hh)
        var hPhiK = hPhi1 / hh - 1
        var factorial = 1.0
        let bh = variant == .bh1 ? hh : Foundation.expm1(hh)
        let rks = ratios + [1]
        var r: [[Double]] = []
        var b: [Double] = []
        for i in 1...order {
            r.append(rks.map { Foundation.pow($0, Double(i - 1)) })
            b.append(hPhiK * factorial / bh)
            factorial *= Double(i + 1)
            hPhiK = hPhiK / hh - 1 / factorial
        }
        let predictor: [Double]
        if ratios.isEmpty { predictor = [] } else if order == 2 { predictor = [0.5] } else {
            predictor = Self.solve(Array(r.prefix(order - 1).map { Array($0.prefix(order - 1)) }), Array(b.prefix(order - 1)))
        }
        let corrector = order == 1 ? [0.5] : Self.solve(r, b)
        return ((predictor, corrector), bh, hPhi1)
    }

    /// Gaussian elimination with partial pivoting for the tiny systems R·ρ = b.
    static func solve(_ a: [[Double]], _ b: [Double]) -> [Double] {
        var m = a, v = b
        let n = v.count
        for col in 0..<n {
            let pivot = (col..<n).max { Swift.abs(m[$0][col]) < Swift.abs(m[$1][col]) }!
            m.swapAt(col, pivot)
            v.swapAt(col, pivot)
            for row in (col + 1)..<Swift.max(n, col + 1) {
                let f = m[row][col] / m[col][col]
                for k in col..<n { m[row][k] -= f * m[col][k] }
                v[row] -= f * v[col]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for row in stride(from: n - 1, through: 0, by: -1) {
            var s = v[row]
            for k in (row + 1)..<Swift.max(n, row + 1) { s -= m[row][k] * x[k] }
            x[row] = s / m[row][row]
        }
        return x
    }

    public func step<M: PredictionModel>(_ x: Value, index: Int, grid: TimeGrid, model: M,
                                         context: inout SamplingContext<Value, M.State>, state: inout State) -> Value where M.Value == Value {
        typealias V = Value
        let (p, q) = grid[step: index]
        let current = context.predict(model, x, at: p).denoised
        var sample = x

        // UniC: correct the previous predictor output with the new evaluation.
        if usesCorrector, let last = state.lastSample, let s0 = state.lastPoint, let m0 = state.history.newest?.denoised {
            let order = state.lastOrder
            let h = p.logSNR - s0.logSNR
            var ratios: [Double] = [], diffs: [V] = []
            for i in 1..<order {
                let (lambdaI, mi) = state.history[i]
                let rk = (lambdaI - s0.logSNR) / h
                ratios.append(rk)
                diffs.append(V.combine(1 / rk, mi, -1 / rk, m0))
            }
            let (rho, bh, hPhi1) = coefficients(h: h, ratios: ratios, order: order)
            var coefficientList: [Double] = [p.sigma / s0.sigma, -p.alpha * hPhi1]
            var vectors: [V] = [last, m0]
            for (k, d) in diffs.enumerated() {
                coefficientList.append(-p.alpha * bh * rho.corrector[k])
                vectors.append(d)
            }
            // D1_t = model_t − m₀ with weight ρ_last.
            let cLast = -p.alpha * bh * rho.corrector[rho.corrector.count - 1]
            coefficientList += [cLast, -cLast]
            vectors += [current, m0]
            sample = V.linearCombination(coefficientList.map { V.Scalar($0) }, vectors)
        }

        state.history.insert(lambda: p.logSNR, denoised: current)
        let order = rule.order(at: index, of: grid.stepCount, endsClean: q.isClean)
        state.lastSample = sample
        state.lastPoint = p
        state.lastOrder = order

        // UniP: predict the next point.
        if q.isClean { return current.scaled(by: V.Scalar(q.alpha)) }
        let h = q.logSNR - p.logSNR
        var ratios: [Double] = [], diffs: [V] = []
        for i in 1..<order {
            let (lambdaI, mi) = state.history[i]
            let rk = (lambdaI - p.logSNR) / h
            ratios.append(rk)
            diffs.append(V.combine(1 / rk, mi, -1 / rk, current))
        }
        let (rho, bh, hPhi1) = coefficients(h: h, ratios: ratios, order: order)
        var coefficientList: [Double] = [q.sigma / p.sigma, -q.alpha * hPhi1]
        var vectors: [V] = [sample, current]
        for (k, d) in diffs.enumerated() {
            coefficientList.append(-q.alpha * bh * rho.predictor[k])
            vectors.append(d)
        }
        return V.linearCombination(coefficientList.map { V.Scalar($0) }, vectors)
    }
}
