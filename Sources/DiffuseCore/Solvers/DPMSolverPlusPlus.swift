import Foundation

/// DPM-Solver++ (Lu, Zhou, Bao, Chen, Li & Zhu, "DPM-Solver++: Fast Solver for Guided Sampling of
/// Diffusion Probabilistic Models", 2022): exponential-integrator multistep methods on the
/// data prediction, in λ = log(α/σ). With h = λ_t − λ_s and Dᵢ the x̂₀ estimates at the current
/// and previous points (r₀ = (λ_s − λ_{s₁})/h, r₁ = (λ_{s₁} − λ_{s₂})/h):
///
/// - order 1 (= DDIM): x_t = (σ_t/σ_s)·x − α_t(e^{−h} − 1)·D₀;
/// - 2M (midpoint): adds −½α_t(e^{−h} − 1)·(D₀ − D₁)/r₀;
/// - 3M: adds α_t((e^{−h} − 1)/h + 1)·Δ₁ − α_t((e^{−h} − 1 + h)/h² − ½)·Δ₂ with
///   Δ₁ = d₀ + r₀/(r₀ + r₁)(d₀ − d₁), Δ₂ = (d₀ − d₁)/(r₀ + r₁), d₀ = (D₀ − D₁)/r₀, d₁ = (D₁ − D₂)/r₁;
/// - 2M-SDE (`stochastic`): x_t = (σ_t/σ_s)e^{−h}·x + α_t(1 − e^{−2h})(D₀ + ½(D₀ − D₁)/r₀)
///   + σ_t√(1 − e^{−2h})·z.
///
/// The first steps use the orders the history allows; a step that ends at σ = 0 is first order,
/// and with `lowerOrderFinal` (diffusers' default) the last steps of a short run (< 15 steps)
/// fall back to lower orders, which stabilises few-step sampling. One evaluation per step.
public struct DPMSolverPlusPlus: Sampler, Equatable {
    public var solverOrder: Int
    public var stochastic: Bool
    public var lowerOrderFinal: Bool

    public init(order: Int = 2, stochastic: Bool = false, lowerOrderFinal: Bool = true) {
        precondition((1...3).contains(order), "DPM-Solver++ order must be 1, 2 or 3")
        precondition(!stochastic || order <= 2, "the SDE variant is implemented for orders 1 and 2")
        self.solverOrder = order
        self.stochastic = stochastic
        self.lowerOrderFinal = lowerOrderFinal
    }

    public var identifier: String { stochastic ? "dpmpp-\(solverOrder)m-sde" : "dpmpp-\(solverOrder)m" }
    public var order: Int { solverOrder }
    public var isStochastic: Bool { stochastic }

    /// Previous data predictions and their log-SNRs, newest first (type-erased: a sampler
    /// value serves states of any vector type).
    public struct State {
        var history: [(lambda: Double, denoised: Any)] = []
    }

    public func makeState() -> State { State() }

    public func step<M: PredictionModel>(_ x: M.Value, index: Int, grid: TimeGrid, model: M,
                                         context: inout SamplingContext<M>, state: inout State) -> M.Value where M.Value: NoiseSampleable {
        typealias V = M.Value
        let (p, q) = grid[step: index]
        let d0 = context.predict(model, x, at: p).denoised
        let history = state.history.compactMap { entry -> (Double, V)? in (entry.denoised as? V).map { (entry.lambda, $0) } }
        state.history.insert((p.logSNR, d0), at: 0)
        if state.history.count > 3 { state.history.removeLast() }

        var used = Swift.min(solverOrder, history.count + 1)
        let remaining = grid.stepCount - index
        if lowerOrderFinal && grid.stepCount < 15 { used = Swift.min(used, remaining) }
        if q.isClean { used = 1 }

        let lambdaS = p.logSNR, lambdaT = q.logSNR
        let h = lambdaT - lambdaS
        let expm1 = q.isClean ? -1 : Foundation.expm1(-h)          // e^{−h} − 1
        let sigmaRatio = q.isClean ? 0 : q.sigma / p.sigma

        if stochastic {
            let decay = q.isClean ? 0 : Foundation.exp(-h)
            let oneMinus = q.isClean ? 1 : -Foundation.expm1(-2 * h)  // 1 − e^{−2h}
            var coefficients: [Double] = [sigmaRatio * decay, q.alpha * oneMinus]
            var vectors: [V] = [x, d0]
            if used >= 2 {
                let (lambda1, d1) = history[0]
                let r0 = (lambdaS - lambda1) / h
                coefficients += [0.5 * q.alpha * oneMinus / r0, -0.5 * q.alpha * oneMinus / r0]
                vectors += [d0, d1]
            }
            if !q.isClean {
                coefficients.append(q.sigma * oneMinus.squareRoot())
                vectors.append(context.noise(like: x))
            }
            return V.linearCombination(coefficients.map { V.Scalar($0) }, vectors)
        }

        switch used {
        case 1:
            return V.linearCombination([V.Scalar(sigmaRatio), V.Scalar(-q.alpha * expm1)], [x, d0])
        case 2:
            let (lambda1, d1) = history[0]
            let r0 = (lambdaS - lambda1) / h
            let c = -0.5 * q.alpha * expm1 / r0
            return V.linearCombination([V.Scalar(sigmaRatio), V.Scalar(-q.alpha * expm1 + c), V.Scalar(-c)], [x, d0, d1])
        default:
            let (lambda1, d1) = history[0], (lambda2, d2) = history[1]
            let r0 = (lambdaS - lambda1) / h, r1 = (lambda1 - lambda2) / h
            // d₀ = (D₀ − D₁)/r₀, d₁ = (D₁ − D₂)/r₁; Δ₁ = d₀ + r₀/(r₀+r₁)(d₀ − d₁); Δ₂ = (d₀ − d₁)/(r₀+r₁).
            let phi1 = q.alpha * (expm1 / h + 1)
            let phi2 = q.alpha * ((expm1 + h) / (h * h) - 0.5)
            let w = r0 / (r0 + r1)
            // Coefficients of d₀ and d₁ in phi1·Δ₁ − phi2·Δ₂.
            let cd0 = phi1 * (1 + w) - phi2 / (r0 + r1)
            let cd1 = -phi1 * w + phi2 / (r0 + r1)
            // Expand d₀, d₁ into D₀, D₁, D₂.
            let c0 = -q.alpha * expm1 + cd0 / r0
            let c1 = -cd0 / r0 + cd1 / r1
            let c2 = -cd1 / r1
            return V.linearCombination([V.Scalar(sigmaRatio), V.Scalar(c0), V.Scalar(c1), V.Scalar(c2)], [x, d0, d1, d2])
        }
    }
}
