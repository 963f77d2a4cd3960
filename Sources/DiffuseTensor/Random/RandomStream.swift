import RealModule

/// A stream of random numbers: Philox-4×32-10 under one ``RandomKey``, read block by block
/// from counter 0.
///
/// A value type with explicit state: copying a stream copies its position. It conforms to
/// `RandomNumberGenerator`, so Swift's own `Int.random(in:using:)` and `shuffle(using:)` work
/// with it, and it adds the distributions diffusion needs. Uniforms come from the top bits of
/// the 32-bit words (24 for `Float`, 53 for `Double`); normals use the Box–Muller transform;
/// Gumbel and categorical draws are computed in `Double`.
public struct RandomStream: RandomNumberGenerator, Sendable {
    /// The stream's key.
    public let key: RandomKey
    private var counter: UInt64 = 0
    private var buffer: SIMD4<UInt32> = .zero
    private var buffered = 0
    private var spareNormal: Double? = nil

    /// A stream at the start of `key`'s sequence.
    public init(key: RandomKey) {
        self.key = key
    }

    /// A stream for a seed (the root key of the seed).
    public init(seed: UInt64) {
        self.init(key: RandomKey(seed: seed))
    }

    /// The next 32 random bits.
    public mutating func nextUInt32() -> UInt32 {
        if buffered == 0 {
            buffer = Philox4x32.block(counter: SIMD4(UInt32(truncatingIfNeeded: counter), UInt32(truncatingIfNeeded: counter >> 32), 0, 0),
                                      key: key.words)
            counter &+= 1
            buffered = 4
        }
        let v = buffer[4 - buffered]
        buffered -= 1
        return v
    }

    /// The next 64 random bits (`RandomNumberGenerator`).
    public mutating func next() -> UInt64 {
        let hi = UInt64(nextUInt32())
        return (hi << 32) | UInt64(nextUInt32())
    }

    /// A uniform draw from [0, 1).
    public mutating func uniform<S: TensorScalar>(_: S.Type = S.self) -> S {
        if S.self == Float.self {
            return S(Float(nextUInt32() >> 8) * 0x1p-24)
        }
        return S(uniformDouble())
    }

    /// A uniform `Double` in [0, 1) with 53 random bits.
    public mutating func uniformDouble() -> Double {
        Double(next53Bits()) * 0x1p-53
    }

    /// A uniform `Double` strictly inside (0, 1): the midpoints of the 2⁵³ cells.
    public mutating func uniformOpenDouble() -> Double {
        (Double(next53Bits()) + 0.5) * 0x1p-53
    }

    private mutating func next53Bits() -> UInt64 {
        let a = UInt64(nextUInt32() >> 5), b = UInt64(nextUInt32() >> 6)
        return a << 26 | b
    }

    /// A uniform `Double` in (0, 1], safe to take the logarithm of.
    public mutating func uniformPositiveDouble() -> Double {
        1 - uniformDouble()
    }

    /// A uniform draw from a range.
    public mutating func uniform<S: TensorScalar>(in range: Range<S>) -> S {
        range.lowerBound + (range.upperBound - range.lowerBound) * uniform(S.self)
    }

    /// A standard normal draw (Box–Muller in `Double`; pairs are used in order).
    public mutating func normal<S: TensorScalar>(_: S.Type = S.self) -> S {
        if let z = spareNormal {
            spareNormal = nil
            return S(z)
        }
        let r = (-2 * Double.log(uniformPositiveDouble())).squareRoot()
        let theta = 2 * Double.pi * uniformDouble()
        spareNormal = r * Double.sin(theta)
        return S(r * Double.cos(theta))
    }

    /// A standard Gumbel draw, −log(−log u), in `Double`.
    public mutating func gumbel() -> Double {
        -Double.log(-Double.log(uniformOpenDouble()))
    }

    /// An unbiased integer in `0..<bound` (Lemire's multiply-and-reject method).
    public mutating func integer(below bound: Int) -> Int {
        precondition(bound > 0, "integer(below:) needs a positive bound")
        let n = UInt64(bound)
        while true {
            let x = next()
            let (hi, lo) = x.multipliedFullWidth(by: n)
            if lo >= n || lo >= (0 &- n) % n { return Int(hi) }
        }
    }

    /// An index drawn with the given (unnormalised, non-negative) weights, by inverse CDF in `Double`.
    public mutating func categorical<C: Collection>(weights: C) -> Int where C.Element: BinaryFloatingPoint {
        var total = 0.0
        for w in weights {
            precondition(w >= 0 && w.isFinite, "categorical weights must be finite and non-negative")
            total += Double(w)
        }
        precondition(total > 0, "categorical weights must not all be zero")
        let u = uniformDouble() * total
        var cumulative = 0.0
        var last = 0
        for (i, w) in weights.enumerated() {
            cumulative += Double(w)
            if Double(w) > 0 { last = i }
            if u < cumulative && Double(w) > 0 { return i }
        }
        return last
    }

    /// An index drawn with probabilities softmax(logits) by the Gumbel-max trick, in `Double`.
    /// Entries of −∞ are never drawn.
    public mutating func categorical<C: Collection>(logits: C) -> Int where C.Element: BinaryFloatingPoint {
        var best = -Double.infinity
        var bestIndex = -1
        for (i, l) in logits.enumerated() {
            let g = gumbel()
            if Double(l) == -.infinity { continue }
            let v = Double(l) + g
            if v > best || bestIndex < 0 { best = v; bestIndex = i }
        }
        precondition(bestIndex >= 0, "categorical(logits:) needs at least one finite logit")
        return bestIndex
    }

    /// A uniformly random permutation of `0..<count` (Fisher–Yates).
    public mutating func permutation(_ count: Int) -> [Int] {
        var p = Array(0..<count)
        shuffle(&p)
        return p
    }

    /// Shuffles an array in place (Fisher–Yates, unbiased).
    public mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            array.swapAt(i, integer(below: i + 1))
        }
    }

    /// `count` indices from `0..<population`, with or without replacement, optionally weighted.
    public mutating func choice(from population: Int, count: Int, replace: Bool = true, weights: [Double]? = nil) -> [Int] {
        precondition(population > 0, "choice needs a non-empty population")
        if let w = weights { precondition(w.count == population, "choice: \(w.count) weights for a population of \(population)") }
        if replace {
            return (0..<count).map { _ in weights.map { categorical(weights: $0) } ?? integer(below: population) }
        }
        precondition(count <= population, "cannot choose \(count) of \(population) without replacement")
        guard var w = weights else { return Array(permutation(population).prefix(count)) }
        var result: [Int] = []
        for _ in 0..<count {
            let i = categorical(weights: w)
            result.append(i)
            w[i] = 0
        }
        return result
    }
}
