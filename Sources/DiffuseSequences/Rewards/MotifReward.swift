import DiffuseCore

/// A motif reward on DNA: for each sequence, the best (or summed) log-odds score over both strands
/// of the best of the given PWMs. A function of a `TokenBatch` with no mask tokens (particle
/// methods score clean estimates and final samples), for every reward-guided method.
public struct MotifReward: Sendable {
    public enum Aggregate: String, Sendable, Codable, CaseIterable {
        /// The best window's score.
        case best
        /// log₂ of the summed likelihood ratios of all windows.
        case summed
    }

    public let motifs: [PositionWeightMatrix]
    public let aggregate: Aggregate

    public init(motifs: [PositionWeightMatrix], aggregate: Aggregate = .best) {
        precondition(!motifs.isEmpty, "a motif reward needs at least one motif")
        self.motifs = motifs
        self.aggregate = aggregate
    }

    /// The reward of one sequence.
    public func reward(_ tokens: [Int]) -> Double {
        motifs.map { aggregate == .best ? $0.bestScore(tokens) : $0.summedScore(tokens) }.max()!
    }

    /// The rewards of a batch.
    public func callAsFunction(_ batch: TokenBatch) -> [Double] {
        (0..<batch.sampleCount).map { reward(Array(batch[sample: $0])) }
    }
}
