import DiffuseTensor
import Foundation

/// A model of masked discrete diffusion: the logits of p(x₀ | x_t) over the K data tokens at
/// every position, `[count, length, K]` (MDLM's denoiser; the mask token is never predicted).
///
/// `usesTime` says whether the output depends on t: a model without a time input (MDLM's and
/// SVDD's default) lets samplers reuse its output while the tokens do not change, exactly.
public protocol TokenDenoiser<Scalar> {
    associatedtype Scalar: TensorScalar
    associatedtype State = Void

    /// The number K of data tokens (the mask is token K).
    var vocabularySize: Int { get }
    /// Whether the logits depend on the time.
    var usesTime: Bool { get }
    /// Whether the logits are a function of x (and t) alone: no draws from `key`, no run state.
    /// Samplers reuse an evaluation only for such models. Defaults to true.
    var isDeterministic: Bool { get }
    /// Whether a sequence's logits depend on that sequence alone (no batch statistics, no
    /// attention across sequences). Samplers then evaluate each distinct row of a batch once
    /// (particle methods copy particles). Defaults to false.
    var rowsAreIndependent: Bool { get }
    /// The state at the start of a run.
    func makeState() -> State
    /// The logits `[count, length, K]` at x_t, with one time per sample (training draws a
    /// time per sample; samplers pass the step's time for all).
    func logits(_ x: TokenBatch, at times: [Double], key: SampleKey, state: inout State) -> Tensor<Scalar>
}

extension TokenDenoiser where State == Void {
    public func makeState() {}
}

extension TokenDenoiser {
    public var isDeterministic: Bool { true }
    public var rowsAreIndependent: Bool { false }
}

/// The SUBS parameterisation of MDLM (Sahoo et al. 2024, §3.2), in Float64: at a masked position
/// log p(x₀ | x_t) is the log-softmax of the logits over the K data tokens (the mask has
/// probability zero); at an unmasked position it is a point mass on the token already there
/// ("carry-over": log-probability 0 there, −∞ elsewhere).
public struct SUBSDistribution: Sendable {
    /// log p(x₀ = k | x_t), `[count·length·K]`, sample-major.
    public let logProbabilities: [Double]
    public let vocabularySize: Int

    public init<S: TensorScalar>(logits: Tensor<S>, state x: TokenBatch) {
        let k = x.vocabularySize
        precondition(logits.shape == [x.sampleCount, x.length, k],
                     "token logits must have shape [\(x.sampleCount), \(x.length), \(k)], got \(logits.shape)")
        let values = logits.scalars
        precondition(values.allSatisfy { $0.isFinite }, "a token model returned non-finite logits")
        var out = [Double](repeating: -.infinity, count: values.count)
        for p in 0..<x.tokens.count {
            let token = x.tokens[p]
            if token != x.mask {
                out[p * k + token] = 0
                continue
            }
            var m = -Double.infinity
            for j in 0..<k { m = Swift.max(m, Double(values[p * k + j])) }
            var total = 0.0
            for j in 0..<k { total += Foundation.exp(Double(values[p * k + j]) - m) }
            let logTotal = m + Foundation.log(total)
            for j in 0..<k { out[p * k + j] = Double(values[p * k + j]) - logTotal }
        }
        logProbabilities = out
        vocabularySize = k
    }

    /// The distribution whose row i is row `rows[i].row` of `rows[i].source` (`length` positions
    /// each).
    init(rows: [(source: SUBSDistribution, row: Int)], length: Int, vocabularySize k: Int) {
        let stride = length * k
        var out: [Double] = []
        out.reserveCapacity(rows.count * stride)
        for (source, r) in rows {
            precondition(source.vocabularySize == k, "rows over different vocabularies")
            out += source.logProbabilities[(r * stride)..<((r + 1) * stride)]
        }
        logProbabilities = out
        vocabularySize = k
    }

    /// The probabilities of position p (sample i, position ℓ: p = i·L + ℓ).
    public func probabilities(at p: Int) -> [Double] {
        (0..<vocabularySize).map { Foundation.exp(logProbabilities[p * vocabularySize + $0]) }
    }

    /// The probabilities of position p sharpened (τ < 1) or flattened (τ > 1) by temperature τ:
    /// p^{1/τ} up to normalisation (unnormalised; exactly ``probabilities(at:)`` at τ = 1).
    public func probabilities(at p: Int, temperature: Double) -> [Double] {
        guard temperature != 1 else { return probabilities(at: p) }
        let row = logProbabilities[(p * vocabularySize)..<((p + 1) * vocabularySize)]
        let top = row.max()!
        return row.map { $0 == -.infinity ? 0 : Foundation.exp(($0 - top) / temperature) }
    }

    /// The most probable token at position p.
    public func mostProbable(at p: Int) -> Int {
        let row = logProbabilities[(p * vocabularySize)..<((p + 1) * vocabularySize)]
        return row.indices.max { row[$0] < row[$1] }! - p * vocabularySize
    }
}

/// Categorical draws in Float64 by inversion of the cumulative distribution: a float32 Gumbel
/// trick truncates the tail and lowers the effective temperature (Zheng et al. 2024), so masked
/// samplers draw this way.
public enum CategoricalDraw {
    /// The index k with C_{k−1} ≤ u·C_K < C_k for the cumulative sums C of `weights` (which
    /// need not be normalised), u ∈ [0, 1).
    public static func index(_ weights: [Double], uniform u: Double) -> Int {
        var total = 0.0
        for w in weights { total += w }
        let target = u * total
        var cumulative = 0.0
        for (k, w) in weights.enumerated() {
            cumulative += w
            if target < cumulative { return k }
        }
        // Round-off at the top end: the last token with positive weight.
        return weights.lastIndex { $0 > 0 } ?? weights.count - 1
    }
}
