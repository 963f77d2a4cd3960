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
        let values = embeddingRows(times, width: dimension) { t, row in
            for i in 0..<half {
                let a = scale * t * f[i]
                let (first, second) = cosineFirst ? (Foundation.cos(a), Foundation.sin(a)) : (Foundation.sin(a), Foundation.cos(a))
                row[i] = first
                row[half + i] = second
            }
        }
        return Tensor<S>(Tensor<Double>(shape: [times.count, dimension], scalars: values))
    }
}

/// Rows of `width` values for each time, filled by `fill` once per distinct time and copied for
/// repeats (a sampling batch shares one time; a training batch of integer steps repeats many).
func embeddingRows(_ times: [Double], width: Int, fill: (Double, UnsafeMutableBufferPointer<Double>) -> Void) -> [Double] {
    var values = [Double](repeating: 0, count: times.count * width)
    var firstRow: [Double: Int] = [:]
    values.withUnsafeMutableBufferPointer { all in
        for (row, t) in times.enumerated() {
            let target = UnsafeMutableBufferPointer(rebasing: all[(row * width)..<((row + 1) * width)])
            if let earlier = firstRow[t] {
                _ = target.update(fromContentsOf: all[(earlier * width)..<((earlier + 1) * width)])
            } else {
                fill(t, target)
                firstRow[t] = row
            }
        }
    }
    return values
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
        let values = embeddingRows(times, width: 2 * half) { t, row in
            for i in 0..<half {
                let a = 2 * Double.pi * frequencies[i] * t
                row[i] = Foundation.sin(a)
                row[half + i] = Foundation.cos(a)
            }
        }
        return Tensor<S>(Tensor<Double>(shape: [times.count, 2 * half], scalars: values))
    }
}
