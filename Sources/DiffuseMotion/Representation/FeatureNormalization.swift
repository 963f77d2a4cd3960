import DiffuseTensor
import Foundation

/// Per-column z-scoring of HumanML3D features as HumanML3D's `cal_mean_variance` does it: the mean
/// of every column, and one standard deviation per feature *group* (the mean of the columns'
/// standard deviations within ``HumanML3DFeatures/Group``), so that, say, all 63 ric columns share
/// one scale and near-constant columns are not blown up. A group whose spread is below `floor`
/// (for example contacts that never change) uses `floor`.
public struct FeatureNormalization: Codable, Equatable, Sendable {
    public var mean: [Double]
    public var standardDeviation: [Double]

    /// Statistics of the rows of all clips.
    public init(clips: [[[Double]]], floor: Double = 1e-3) throws {
        let width = HumanML3DFeatures.width
        var count = 0.0
        var sum = [Double](repeating: 0, count: width), squares = sum
        for clip in clips {
            try HumanML3DFeatures.validate(clip, path: "<features>")
            for row in clip {
                count += 1
                for c in 0..<width { sum[c] += row[c]; squares[c] += row[c] * row[c] }
            }
        }
        guard count > 1 else { throw MotionFileError(path: "<features>", reason: "normalisation needs at least 2 rows, got \(Int(count))") }
        let mean = sum.map { $0 / count }
        let columnDeviation = (0..<width).map { c in max(0, squares[c] / count - mean[c] * mean[c]).squareRoot() }
        var deviation = [Double](repeating: 1, count: width)
        for group in HumanML3DFeatures.Group.allCases {
            let r = group.columns
            let s = r.reduce(0.0) { $0 + columnDeviation[$1] } / Double(r.count)
            for c in r { deviation[c] = max(s, floor) }
        }
        self.mean = mean
        standardDeviation = deviation
    }

    /// Statistics read from HumanML3D's `Mean.npy` and `Std.npy` (263 finite numbers each, every
    /// standard deviation positive).
    public init(meanFile: URL, standardDeviationFile: URL) throws {
        func vector(_ url: URL) throws -> [Double] {
            let a = try NumPyFile.read(url)
            guard a.shape == [HumanML3DFeatures.width] else {
                throw MotionFileError(path: url.path, reason: "shape \(a.shape); expected [\(HumanML3DFeatures.width)]")
            }
            let v = a.tensor(as: Double.self).scalars
            if let c = v.firstIndex(where: { !$0.isFinite }) { throw MotionFileError(path: url.path, reason: "entry \(c) is not finite") }
            return v
        }
        mean = try vector(meanFile)
        standardDeviation = try vector(standardDeviationFile)
        if let c = standardDeviation.firstIndex(where: { $0 <= 0 }) {
            throw MotionFileError(path: standardDeviationFile.path, reason: "entry \(c) is \(standardDeviation[c]); standard deviations must be positive")
        }
    }

    /// `(x − mean) / std`, column by column.
    public func normalize(_ rows: [[Double]]) -> [[Double]] {
        rows.map { row in zip(row, zip(mean, standardDeviation)).map { ($0 - $1.0) / $1.1 } }
    }

    /// Sampled windows `[B, L, features]` (normalised) as B clips of L denormalised rows.
    public func denormalize(windows x: Tensor<Float>) -> [[[Double]]] {
        precondition(x.rank == 3 && x.shape[2] == mean.count, "windows are [B, L, \(mean.count)], got \(x.shape)")
        let (b, l, width) = (x.shape[0], x.shape[1], x.shape[2])
        let values = x.scalars
        return (0..<b).map { i in
            denormalize((0..<l).map { t in values[((i * l + t) * width)..<((i * l + t + 1) * width)].map(Double.init) })
        }
    }

    /// `x · std + mean`, column by column.
    public func denormalize(_ rows: [[Double]]) -> [[Double]] {
        rows.map { row in zip(row, zip(mean, standardDeviation)).map { $0 * $1.1 + $1.0 } }
    }
}
