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
/// The order of each step follows ``MultistepOrderRule`` (warm-up; diffusers' default lowers the
/// last steps of runs shorter than 15 steps). One evaluation per step. Bit-identical to diffusers'
/// `DPMSolverMultistepScheduler` (see the golden tests). Limitation: the 3M method's first step
/// is first order, so its global order is 2 unless the warm-up happens where x̂₀ barely moves in λ.
public struct DPMSolverPlusPlus<Value: NoiseSampleable>: Sampler, Equatable {
    public var rule: MultistepOrderRule
    public var stochastic: Bool

    public init(order: Int = 2, stochastic: Bool = false, lowerOrderFinal: MultistepOrderRule.LowerOrderFinal = .belowSteps(15)) {
        precondition((1...3).contains(order), "DPM-Solver++ order must be 1, 2 or 3, got \(order)")
        precondition(!stochastic || order <= 2, "the SDE variant is implemented for orders 1 and 2")
        self.rule = MultistepOrderRule(order: order, lowerOrderFinal: lowerOrderFinal)
        self.stochastic = stochastic
    }

    public var identifier: String { stochastic ? "dpmpp-\(rule.order)m-sde" : "dpmpp-\(rule.order)m" }
    /// The multistep order; the SDE variant is a weak first-order scheme.
    public var order: Int { stochastic ? 1 : rule.order }
    public var asymptoticOrder: Int { rule.asymptoticOrder(nominal: order, firstStepOrder: 1) }
    public var isStochastic: Bool { stochastic }

    public typealias State = DenoisedHistory<Value>

    public func makeState() -> State { DenoisedHistory(capacity: 3) }

    public func step<M: PredictionModel>(_ x: Value, index: Int, grid: TimeGrid, model: M,
                                         context: inout SamplingContext<Value, M.State>, state history: inout State) -> Value where M.Value == Value {
        typealias V = Value
        let (p, q) = grid[step: index]
        let d0 = context.predict(model, x, at: p).denoised
        let used = rule.order(at: index, of: grid.stepCount, endsClean: q.isClean)
        let previous = history.entries
        history.insert(lambda: p.logSNR, denoised: d0)

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
                let (lambda1, d1) = previous[0]
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
            let (lambda1, d1) = previous[0]
            let r0 = (lambdaS - lambda1) / h
            let c = -0.5 * q.alpha * expm1 / r0
            return V.linearCombination([V.Scalar(sigmaRatio), V.Scalar(-q.alpha * expm1 + c), V.Scalar(-c)], [x, d0, d1])
        default:
            let (lambda1, d1) = previous[0], (lambda2, d2) = previous[1]
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
