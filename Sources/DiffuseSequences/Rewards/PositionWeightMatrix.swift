import Foundation

/// A log-odds position weight matrix from a PFM: W[b][j] = log₂(p[b][j]/q[b]) with
/// p[b][j] = (n[b][j] + ψ·q[b])/(N_j + ψ), N_j the column's total count, ψ the pseudocount (split
/// by the background q) — the usual construction (Wasserman & Sandelin 2004; Biopython's
/// `pseudocounts`). The score of a window is the sum of its bases' weights; a sequence's motif
/// score reads both strands.
public struct PositionWeightMatrix: Hashable, Sendable {
    /// `weights[b][j]` in bits.
    public let weights: [[Double]]
    public let identifier: String

    public init(_ pfm: PositionFrequencyMatrix, pseudocount: Double = 0.8, background: [Double] = [0.25, 0.25, 0.25, 0.25]) {
        precondition(pseudocount >= 0 && pseudocount.isFinite, "the pseudocount must be finite and non-negative, got \(pseudocount)")
        precondition(background.count == 4 && background.allSatisfy { $0 > 0 } && Swift.abs(background.reduce(0, +) - 1) < 1e-9,
                     "the background must be four positive probabilities summing to 1")
        var w = [[Double]](repeating: [Double](repeating: 0, count: pfm.width), count: 4)
        for j in 0..<pfm.width {
            let total = (0..<4).reduce(0.0) { $0 + pfm.counts[$1][j] }
            for b in 0..<4 {
                let p = (pfm.counts[b][j] + pseudocount * background[b]) / (total + pseudocount)
                w[b][j] = Foundation.log2(p / background[b])
            }
        }
        weights = w
        identifier = pfm.identifier
    }

    public var width: Int { weights[0].count }

    /// The score of the window of `tokens` starting at `start`.
    public func score(_ tokens: [Int], at start: Int) -> Double {
        precondition(start >= 0 && start + width <= tokens.count, "window \(start)..<\(start + width) outside a sequence of \(tokens.count)")
        var s = 0.0
        for j in 0..<width { s += weights[tokens[start + j]][j] }
        return s
    }

    /// The scores of every window on the given strand and on the reverse complement.
    /// Tokens must be bases 0–3 (a mask token has no score: fill masks first).
    public func windowScores(_ tokens: [Int]) -> [Double] {
        precondition(tokens.allSatisfy { $0 >= 0 && $0 < 4 }, "motif scores need bases 0–3; fill mask tokens first")
        guard tokens.count >= width else { return [] }
        let reverse = DNAVocabulary.reverseComplement(tokens)
        return (0...(tokens.count - width)).flatMap { [score(tokens, at: $0), score(reverse, at: $0)] }
    }

    /// The best window score over both strands (−∞ for a sequence shorter than the motif).
    public func bestScore(_ tokens: [Int]) -> Double { windowScores(tokens).max() ?? -.infinity }

    /// log₂ Σ_windows 2^score over both strands: a soft count of sites (the log of the summed
    /// likelihood ratios).
    public func summedScore(_ tokens: [Int]) -> Double {
        let scores = windowScores(tokens)
        guard let m = scores.max() else { return -.infinity }
        return m + Foundation.log2(scores.reduce(0) { $0 + Foundation.exp2($1 - m) })
    }
}

/// The share of G and C among the bases.
public func gcContent(_ tokens: [Int]) -> Double {
    guard !tokens.isEmpty else { return 0 }
    return Double(tokens.filter { $0 == 1 || $0 == 2 }.count) / Double(tokens.count)
}
