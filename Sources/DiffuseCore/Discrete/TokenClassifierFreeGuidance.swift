import DiffuseTensor
import Foundation

/// Classifier-free guidance for token denoisers (Nisonoff et al. 2024; Schiff et al. 2024): the
/// guided p(x₀ | x_t) at each position is proportional to p_c^γ · p_u^{1−γ}, with p_c the
/// conditional model's distribution (the condition baked into it) and p_u the unconditional one,
/// so the logits are γ·log-softmax(c) + (1 − γ)·log-softmax(u). γ = 1 is the conditional model,
/// γ = 0 the unconditional one, γ > 1 sharpens toward the condition. Computed in Float64 and
/// returned in the models' scalar type; one call of each model per evaluation.
public struct TokenClassifierFreeGuidance<Conditional: TokenDenoiser, Unconditional: TokenDenoiser>: TokenDenoiser
where Conditional.Scalar == Unconditional.Scalar {
    public typealias Scalar = Conditional.Scalar
    public typealias State = (conditional: Conditional.State, unconditional: Unconditional.State)

    public let conditional: Conditional
    public let unconditional: Unconditional
    public let scale: Double

    public init(conditional: Conditional, unconditional: Unconditional, scale: Double) {
        precondition(conditional.vocabularySize == unconditional.vocabularySize,
                     "guided models must share a vocabulary (\(conditional.vocabularySize) and \(unconditional.vocabularySize) tokens)")
        precondition(scale.isFinite, "the guidance scale must be finite, got \(scale)")
        self.conditional = conditional
        self.unconditional = unconditional
        self.scale = scale
    }

    public var vocabularySize: Int { conditional.vocabularySize }
    public var usesTime: Bool { conditional.usesTime || unconditional.usesTime }
    public var isDeterministic: Bool { conditional.isDeterministic && unconditional.isDeterministic }
    public var rowsAreIndependent: Bool { conditional.rowsAreIndependent && unconditional.rowsAreIndependent }
    public func makeState() -> State { (conditional.makeState(), unconditional.makeState()) }

    public func logits(_ x: TokenBatch, at times: [Double], key: SampleKey, state: inout State) -> Tensor<Scalar> {
        let c = conditional.logits(x, at: times, key: key, state: &state.conditional).scalars
        let u = unconditional.logits(x, at: times, key: key, state: &state.unconditional).scalars
        let k = vocabularySize
        precondition(c.count == u.count && c.count == x.sampleCount * x.length * k, "guided models returned logits of different shapes")
        func logSoftmax(_ v: ArraySlice<Scalar>) -> [Double] {
            let m = v.reduce(-Double.infinity) { Swift.max($0, Double($1)) }
            let total = Foundation.log(v.reduce(0) { $0 + Foundation.exp(Double($1) - m) }) + m
            return v.map { Double($0) - total }
        }
        var out: [Scalar] = []
        out.reserveCapacity(c.count)
        for p in stride(from: 0, to: c.count, by: k) {
            let lc = logSoftmax(c[p..<(p + k)]), lu = logSoftmax(u[p..<(p + k)])
            for j in 0..<k { out.append(Scalar(scale * lc[j] + (1 - scale) * lu[j])) }
        }
        return Tensor(shape: [x.sampleCount, x.length, k], scalars: out)
    }
}
