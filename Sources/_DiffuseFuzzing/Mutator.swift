import DiffuseTensor
import Foundation

/// A seeded mutation fuzzer for readers: from valid seed inputs it derives malformed ones by
/// flipping, deleting, inserting and duplicating bytes, truncating, splicing two seeds,
/// inserting "interesting" bytes (NUL, control and non-ASCII bytes, digits, signs, separators),
/// and rewriting a run of digits (a length field, a dimension, an offset, a timestamp) into a
/// huge, negative or boundary number. Input `i` depends only on the seeds, the seed and `i`, so
/// any input is reproduced from its index. A reader passes when every input either parses or
/// throws; a crash (a trap, an out-of-range index, an unbounded allocation) fails the run.
public struct Fuzzer: Sendable {
    public var seeds: [Data]
    public var key: RandomKey

    public init(seeds: [Data], seed: UInt64) {
        precondition(!seeds.isEmpty, "the fuzzer needs at least one seed input")
        self.seeds = seeds
        self.key = RandomKey(seed: seed)
    }

    static let interesting: [UInt8] = Array("\0\u{1}\n\r\t ,;>[]()%=#+-.:*0123456789eE\"'{}".utf8) + [0x7F, 0x80, 0xC3, 0xFF]

    /// Numbers that break size arithmetic: zero, negatives, powers of two around 2³¹, 2⁵³ and
    /// 2⁶³, and decimal forms a strict reader must refuse.
    static let interestingNumbers: [String] = [
        "0", "-1", "1", "2147483647", "2147483648", "4294967296", "9007199254740993", "2305843009213693952",
        "4611686018427387904", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
        "99999999999999999999", "1e308", "1e999", "0x10", "1L", "-0", "65536", "100000", "1000000000",
    ]

    /// The i-th mutated input.
    public func input(_ i: Int) -> Data {
        var stream = RandomStream(key: key.folding(in: i))
        var bytes = [UInt8](seeds[stream.integer(below: seeds.count)])
        let mutations = 1 + stream.integer(below: 4)
        for _ in 0..<mutations {
            let n = bytes.count
            switch stream.integer(below: 9) {
            case 0 where n > 0: bytes[stream.integer(below: n)] ^= UInt8(1 << stream.integer(below: 8))
            case 1 where n > 0: bytes.remove(at: stream.integer(below: n))
            case 2: bytes.insert(Self.interesting[stream.integer(below: Self.interesting.count)], at: stream.integer(below: n + 1))
            case 3 where n > 0: bytes.removeLast(stream.integer(below: n))
            case 4 where n > 1:
                let a = stream.integer(below: n), length = 1 + stream.integer(below: Swift.min(16, n - a))
                bytes.insert(contentsOf: bytes[a..<(a + length)], at: stream.integer(below: n + 1))
            case 5:
                let other = [UInt8](seeds[stream.integer(below: seeds.count)])
                let cut = stream.integer(below: n + 1), from = stream.integer(below: other.count + 1)
                bytes = Array(bytes[..<cut]) + other[from...]
            case 6 where n > 0: bytes[stream.integer(below: n)] = Self.interesting[stream.integer(below: Self.interesting.count)]
            case 7 where n > 0:
                // Rewrite the run of digits at or after a random position (a length field, a
                // dimension, an offset, a count, a timestamp).
                var start = stream.integer(below: n)
                while start < n, !(0x30...0x39).contains(bytes[start]) { start += 1 }
                guard start < n else { break }
                var end = start
                while end < n, (0x30...0x39).contains(bytes[end]) { end += 1 }
                let number = Self.interestingNumbers[stream.integer(below: Self.interestingNumbers.count)]
                bytes.replaceSubrange(start..<end, with: Array(number.utf8))
            default: bytes.insert(UInt8(truncatingIfNeeded: stream.integer(below: 256)), at: stream.integer(below: n + 1))
            }
        }
        return Data(bytes)
    }

    /// Runs `body` on `count` mutated inputs and returns how many it accepted (did not throw).
    @discardableResult
    public func run(count: Int, _ body: (Data) throws -> Void) -> (accepted: Int, rejected: Int) {
        var accepted = 0
        for i in 0..<count {
            do { try body(input(i)); accepted += 1 } catch { continue }
        }
        return (accepted, count - accepted)
    }
}
