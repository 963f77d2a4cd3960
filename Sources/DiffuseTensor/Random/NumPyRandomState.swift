import RealModule

/// NumPy's legacy generator, `numpy.random.RandomState` (MT19937), reproduced bit for bit so a
/// Python user can regenerate a Swift run's inputs and the reverse.
///
/// Implements MT19937 (Matsumoto & Nishimura 1998) seeded as `RandomState(seed)` seeds it for an
/// integer seed, NumPy's 53-bit `random_sample` (two 32-bit words, 27 + 26 bits), and the legacy
/// Gaussian: the polar Marsaglia method that caches the second value of each pair. Values match
/// `numpy.random.seed(s); numpy.random.randn(n)` exactly.
public struct NumPyRandomState: Sendable {
    private var state = [UInt32](repeating: 0, count: 624)
    private var position = 624
    private var cachedGaussian: Double? = nil

    /// The generator after `numpy.random.seed(seed)` (or `RandomState(seed)`).
    public init(seed: UInt32) {
        state[0] = seed
        for i in 1..<624 {
            state[i] = 1_812_433_253 &* (state[i - 1] ^ (state[i - 1] >> 30)) &+ UInt32(i)
        }
    }

    private mutating func twist() {
        let upper: UInt32 = 0x8000_0000, lower: UInt32 = 0x7FFF_FFFF
        for i in 0..<624 {
            let y = (state[i] & upper) | (state[(i + 1) % 624] & lower)
            var v = state[(i + 397) % 624] ^ (y >> 1)
            if y & 1 != 0 { v ^= 0x9908_B0DF }
            state[i] = v
        }
        position = 0
    }

    /// The next 32-bit output of MT19937 (after tempering).
    public mutating func nextUInt32() -> UInt32 {
        if position >= 624 { twist() }
        var y = state[position]
        position += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    /// `numpy.random.random_sample()` / `rand()`: a uniform double in [0, 1).
    public mutating func randomSample() -> Double {
        let a = Double(nextUInt32() >> 5), b = Double(nextUInt32() >> 6)
        return (a * 67_108_864 + b) / 9_007_199_254_740_992
    }

    /// `numpy.random.standard_normal()` / `randn()` (legacy polar method with a cached pair).
    public mutating func standardNormal() -> Double {
        if let g = cachedGaussian {
            cachedGaussian = nil
            return g
        }
        var x1 = 0.0, x2 = 0.0, r2 = 0.0
        repeat {
            x1 = 2 * randomSample() - 1
            x2 = 2 * randomSample() - 1
            r2 = x1 * x1 + x2 * x2
        } while r2 >= 1 || r2 == 0
        let f = (-2 * Double.log(r2) / r2).squareRoot()
        cachedGaussian = f * x1
        return f * x2
    }

    /// `rand(count)`.
    public mutating func rand(_ count: Int) -> [Double] { (0..<count).map { _ in randomSample() } }

    /// `randn(count)`.
    public mutating func randn(_ count: Int) -> [Double] { (0..<count).map { _ in standardNormal() } }

    /// `uniform(low, high)`: low + (high − low) · random_sample().
    public mutating func uniform(low: Double, high: Double) -> Double { low + (high - low) * randomSample() }

    /// `normal(loc, scale)`: loc + scale · standard_normal().
    public mutating func normal(mean: Double, standardDeviation: Double) -> Double {
        mean + standardDeviation * standardNormal()
    }

    /// A tensor of `randn` values in row-major order, as `numpy.random.randn(*shape)` fills it.
    public mutating func randn<S: TensorScalar>(shape: [Int], as _: S.Type = S.self) -> Tensor<S> {
        Tensor(shape: shape, scalars: randn(Shape.count(of: shape)).map { S($0) })
    }

    /// A tensor of `rand` values in row-major order.
    public mutating func rand<S: TensorScalar>(shape: [Int], as _: S.Type = S.self) -> Tensor<S> {
        Tensor(shape: shape, scalars: rand(Shape.count(of: shape)).map { S($0) })
    }
}
