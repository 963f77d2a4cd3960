/// The identity of an independent random stream: a 64-bit Philox key.
///
/// Keys are derived, never advanced: `key.folding(in: i)` gives the key of child stream `i`
/// (for example, sample `i` of a batch, or step `s` of a sampler), computed by one Philox block,
/// so a tree of streams can be addressed directly and in any order. This is the JAX model of
/// randomness, used here so that a sample does not change with batch size or thread count.
///
/// ```swift
/// let root = RandomKey(seed: 42)
/// var stream = RandomStream(key: root.folding(in: sampleIndex).folding(in: step))
/// let z: Double = stream.normal()
/// ```
public struct RandomKey: Hashable, Codable, Sendable, CustomStringConvertible {
    /// The two 32-bit words of the Philox key.
    public let words: SIMD2<UInt32>

    /// The root key for a seed.
    public init(seed: UInt64) {
        // Mix the seed through one block so that nearby seeds give unrelated keys.
        let b = Philox4x32.block(counter: SIMD4(UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32), 0x5EED_0001, 0),
                                 key: SIMD2(0x2545_F491, 0x4F6C_DD1D))
        self.words = SIMD2(b.x, b.y)
    }

    /// A key from its two words.
    public init(words: SIMD2<UInt32>) {
        self.words = words
    }

    /// The key of child stream `data`: distinct `data` give independent streams.
    public func folding(in data: UInt64) -> RandomKey {
        let b = Philox4x32.block(counter: SIMD4(UInt32(truncatingIfNeeded: data), UInt32(truncatingIfNeeded: data >> 32), 0xF01D_0001, 0xF01D_0001),
                                 key: words)
        return RandomKey(words: SIMD2(b.x, b.z))
    }

    /// The key of child stream `data` (an `Int` index such as a sample or step number).
    public func folding(in data: Int) -> RandomKey {
        folding(in: UInt64(bitPattern: Int64(data)))
    }

    /// `count` independent child keys (`folding(in: 0) ... folding(in: count − 1)`).
    public func split(into count: Int) -> [RandomKey] {
        (0..<count).map { folding(in: $0) }
    }

    public var description: String {
        "RandomKey(\(String(words.x, radix: 16)), \(String(words.y, radix: 16)))"
    }
}
