import DiffuseTensor
import Foundation

/// Fixed-length windows of normalised HumanML3D feature rows with their action labels, the
/// training data of the motion models. A batch draws, per row, a clip uniformly and a start frame
/// uniformly within it, from a stream keyed by the batch key and the row: row i of a batch does not
/// depend on the batch size.
public struct MotionWindows: Sendable {
    /// Rows per window.
    public let frames: Int
    /// The normalisation applied to the rows.
    public let normalization: FeatureNormalization
    /// Normalised rows of each clip (clips shorter than `frames` rows are left out).
    public let clips: [[[Float]]]
    /// The action label of each clip, in 0..<actionCount.
    public let labels: [Int]

    public init(clips rows: [[[Double]]], labels: [Int], frames: Int, normalization: FeatureNormalization) throws {
        guard rows.count == labels.count else { throw MotionFileError(path: "<windows>", reason: "\(rows.count) clips but \(labels.count) labels") }
        guard frames >= 2 else { throw MotionFileError(path: "<windows>", reason: "windows need at least 2 frames, got \(frames)") }
        var kept = [[[Float]]](), keptLabels = [Int]()
        for (clip, label) in zip(rows, labels) where clip.count >= frames {
            try HumanML3DFeatures.validate(clip, path: "<windows>")
            kept.append(normalization.normalize(clip).map { $0.map(Float.init) })
            keptLabels.append(label)
        }
        guard !kept.isEmpty else { throw MotionFileError(path: "<windows>", reason: "no clip has \(frames) rows") }
        self.frames = frames
        self.normalization = normalization
        clips = kept
        self.labels = keptLabels
    }

    /// The benchmark's clips of one split, normalised with the training split's statistics (or the
    /// given ones).
    public static func benchmark(frames: Int, test: Bool, normalization: FeatureNormalization? = nil) throws -> MotionWindows {
        func rows(_ entries: [MotionBenchmark.Entry]) throws -> [[[Double]]] {
            try entries.map { e in
                let clip = ProceduralMotion.generate(e.parameters)
                return try HumanML3DFeatures.encode(clip.positions, skeleton: clip.skeleton)
            }
        }
        let train = MotionBenchmark.entries(test: false)
        let chosen = test ? MotionBenchmark.entries(test: true) : train
        let chosenRows = try rows(chosen)
        let n = try normalization ?? FeatureNormalization(clips: test ? rows(train) : chosenRows)
        let actions = MotionAction.allCases
        return try MotionWindows(clips: chosenRows, labels: chosen.map { actions.firstIndex(of: $0.parameters.action)! }, frames: frames, normalization: n)
    }

    /// A batch: [size, frames, 263] normalised windows and their labels.
    public func batch(size: Int, key: RandomKey, sampleOffset: Int = 0) -> (x: Tensor<Float>, labels: [Int]) {
        let width = HumanML3DFeatures.width
        var values = [Float]()
        values.reserveCapacity(size * frames * width)
        var labels = [Int]()
        for i in 0..<size {
            var r = RandomStream(key: key.folding(in: sampleOffset + i))
            let c = r.integer(below: clips.count)
            let start = r.integer(below: clips[c].count - frames + 1)
            for row in clips[c][start..<(start + frames)] { values += row }
            labels.append(self.labels[c])
        }
        return (Tensor(shape: [size, frames, width], scalars: values), labels)
    }
}
