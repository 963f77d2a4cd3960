import Foundation

/// A Markov model of order k over DNA: p(x_i | x_{i−k..i−1}), fitted by counting with additive
/// smoothing (`smoothing` added to every count); the first k bases are scored by the lower-order
/// models fitted alongside (order 0 to k − 1). The naturalness baseline and the likelihood
/// competitor of masked diffusion: bits per base on held-back sequences.
public struct KmerMarkovModel: Sendable {
    public let order: Int
    public let smoothing: Double
    /// log₂ p for every context of every order ≤ k: `logProbabilities[o][context·4 + base]`.
    let logProbabilities: [[Double]]

    public init(order: Int, fittedOn sequences: [[Int]], smoothing: Double = 1) {
        precondition(order >= 0 && order <= 12, "order must be in 0...12, got \(order)")
        precondition(smoothing > 0, "smoothing must be positive")
        precondition(sequences.allSatisfy { $0.allSatisfy { $0 >= 0 && $0 < 4 } }, "a Markov model is fitted on bases 0–3 (no mask tokens)")
        self.order = order
        self.smoothing = smoothing
        var tables: [[Double]] = []
        for o in 0...order {
            let contexts = 1 << (2 * o)
            var counts = [Double](repeating: smoothing, count: contexts * 4)
            for x in sequences where x.count > o {
                var context = 0
                for i in 0..<o { context = context * 4 + x[i] }
                let mask = contexts - 1
                for i in o..<x.count {
                    counts[context * 4 + x[i]] += 1
                    context = o == 0 ? 0 : ((context << 2) | x[i]) & mask
                }
            }
            var table = [Double](repeating: 0, count: contexts * 4)
            for c in 0..<contexts {
                let total = (0..<4).reduce(0.0) { $0 + counts[c * 4 + $1] }
                for b in 0..<4 { table[c * 4 + b] = Foundation.log2(counts[c * 4 + b] / total) }
            }
            tables.append(table)
        }
        logProbabilities = tables
    }

    /// log₂ p(x): position i is scored with order min(i, k).
    public func logLikelihood(_ x: [Int]) -> Double {
        precondition(x.allSatisfy { $0 >= 0 && $0 < 4 }, "a Markov likelihood needs bases 0–3 (no mask tokens)")
        var total = 0.0
        for i in 0..<x.count {
            let o = Swift.min(i, order)
            var context = 0
            for j in (i - o)..<i { context = context * 4 + x[j] }
            total += logProbabilities[o][context * 4 + x[i]]
        }
        return total
    }

    /// −(1/N)·Σ log₂ p over all bases of `sequences`: bits per base.
    public func bitsPerBase(_ sequences: [[Int]]) -> Double {
        let bases = sequences.reduce(0) { $0 + $1.count }
        return -sequences.reduce(0) { $0 + logLikelihood($1) } / Double(Swift.max(bases, 1))
    }
}
