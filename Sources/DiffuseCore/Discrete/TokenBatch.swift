/// A batch of token sequences of one length over a vocabulary of K data tokens, with the mask
/// token K: the state of masked (absorbing) discrete diffusion. It is not a vector space; it is a
/// ``ParticleBatch``, so every particle method runs on it.
public struct TokenBatch: ParticleBatch, Hashable, Sendable {
    /// Tokens, sample-major: sample i, position ℓ at `i·length + ℓ`; values in 0...K (K = mask).
    public var tokens: [Int]
    /// The sequence length L.
    public let length: Int
    /// The number K of data tokens (the mask token is K).
    public let vocabularySize: Int

    /// A batch from its tokens (every value in 0...K, a whole number of sequences).
    public init(tokens: [Int], length: Int, vocabularySize: Int) {
        precondition(length >= 1 && vocabularySize >= 1, "a token batch needs length ≥ 1 and K ≥ 1, got L = \(length), K = \(vocabularySize)")
        precondition(tokens.count % length == 0, "\(tokens.count) tokens are not a whole number of sequences of length \(length)")
        precondition(tokens.allSatisfy { $0 >= 0 && $0 <= vocabularySize }, "tokens must lie in 0...\(vocabularySize) (\(vocabularySize) is the mask)")
        self.tokens = tokens
        self.length = length
        self.vocabularySize = vocabularySize
    }

    /// `count` fully masked sequences.
    public static func masked(count: Int, length: Int, vocabularySize: Int) -> TokenBatch {
        TokenBatch(tokens: [Int](repeating: vocabularySize, count: count * length), length: length, vocabularySize: vocabularySize)
    }

    /// The mask token K.
    public var mask: Int { vocabularySize }
    public var sampleCount: Int { tokens.count / length }
    /// Sample i's tokens.
    public subscript(sample i: Int) -> ArraySlice<Int> { tokens[(i * length)..<((i + 1) * length)] }
    /// The number of masked positions over the batch.
    public var maskedCount: Int { tokens.reduce(0) { $0 + ($1 == vocabularySize ? 1 : 0) } }

    public func gatheringSamples(_ indices: [Int]) -> TokenBatch {
        var gathered: [Int] = []
        gathered.reserveCapacity(indices.count * length)
        for i in indices { gathered.append(contentsOf: self[sample: i]) }
        return TokenBatch(tokens: gathered, length: length, vocabularySize: vocabularySize)
    }
}
