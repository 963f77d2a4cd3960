import DiffuseTensor
import Foundation

/// The sinusoidal embedding of a diffusion time (Vaswani et al. 2017; Ho et al. 2020), as
/// diffusers' `get_timestep_embedding` defines it: with half = dimension/2 and frequencies
/// fᵢ = exp(−ln(maxPeriod)·i/(half − frequencyShift)), the embedding of t is
/// [sin(t·fᵢ)…, cos(t·fᵢ)…] (or cosines first with `cosineFirst`). No parameters.
public struct SinusoidalTimeEmbedding: Codable, Equatable, Sendable {
    public var dimension: Int
    public var maxPeriod: Double
    public var frequencyShift: Double
    public var cosineFirst: Bool
    public var scale: Double

    public init(dimension: Int, maxPeriod: Double = 10_000, frequencyShift: Double = 1, cosineFirst: Bool = false, scale: Double = 1) {
        precondition(dimension >= 2 && dimension % 2 == 0, "sinusoidal embedding dimension must be even and ≥ 2")
        self.dimension = dimension
        self.maxPeriod = maxPeriod
        self.frequencyShift = frequencyShift
        self.cosineFirst = cosineFirst
        self.scale = scale
    }

    /// The frequencies fᵢ, i = 0..<dimension/2.
    public var frequencies: [Double] {
        let half = dimension / 2
        return (0..<half).map { Foundation.exp(-Foundation.log(maxPeriod) * Double($0) / (Double(half) - frequencyShift)) }
    }

    /// Embeddings `[times.count, dimension]`, computed in Double.
    public func callAsFunction<S: TensorScalar>(_ times: [Double], as _: S.Type = S.self) -> Tensor<S> {
        let f = frequencies
        let half = dimension / 2
        var values = [S](repeating: 0, count: times.count * dimension)
        for (row, t) in times.enumerated() {
            for i in 0..<half {
                let a = scale * t * f[i]
                let (first, second) = cosineFirst ? (Foundation.cos(a), Foundation.sin(a)) : (Foundation.sin(a), Foundation.cos(a))
                values[row * dimension + i] = S(first)
                values[row * dimension + half + i] = S(second)
            }
        }
        return Tensor(shape: [times.count, dimension], scalars: values)
    }
}

/// Random Fourier features of a time (Tancik et al. 2020; the Gaussian Fourier projection of
/// score SDEs, Song et al. 2021): [sin(2π·w·t), cos(2π·w·t)] with fixed frequencies
/// w ~ N(0, scale²) drawn once from `key` and stored in the configuration (not trained).
public struct FourierTimeEmbedding: Codable, Equatable, Sendable {
    public var frequencies: [Double]

    public init(dimension: Int, scale: Double = 16, key: RandomKey) {
        precondition(dimension >= 2 && dimension % 2 == 0, "Fourier embedding dimension must be even and ≥ 2")
        var stream = RandomStream(key: key)
        frequencies = (0..<(dimension / 2)).map { _ in scale * stream.normal(Double.self) }
    }

    public var dimension: Int { 2 * frequencies.count }

    /// Embeddings `[times.count, dimension]`.
    public func callAsFunction<S: TensorScalar>(_ times: [Double], as _: S.Type = S.self) -> Tensor<S> {
        let half = frequencies.count
        var values = [S](repeating: 0, count: times.count * 2 * half)
        for (row, t) in times.enumerated() {
            for i in 0..<half {
                let a = 2 * Double.pi * frequencies[i] * t
                values[row * 2 * half + i] = S(Foundation.sin(a))
                values[row * 2 * half + half + i] = S(Foundation.cos(a))
            }
        }
        return Tensor(shape: [times.count, 2 * half], scalars: values)
    }
}
