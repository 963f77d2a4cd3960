import DiffuseTensor
import Foundation

/// A motion dataset in HumanML3D's folder layout, as its preprocessing writes it:
///
/// - `new_joint_vecs/<id>.npy` — F × 263 float32 features (``HumanML3DFeatures``);
/// - `texts/<id>.txt` — one caption per line, `caption#word/POS word/POS…#from#to` (seconds; 0 or
///   nan for the whole clip);
/// - `train.txt`, `val.txt`, `test.txt` — clip ids, one per line;
/// - `Mean.npy`, `Std.npy` — per-column statistics (optional here; ``FeatureNormalization`` can
///   compute them);
/// - `actions.txt` — this package's addition for action-labelled data: `<id> <action>` per line
///   (optional).
///
/// A user who has HumanML3D points the `motion` example at its folder and trains unchanged.
public struct HumanML3DFolder: Sendable {
    /// One caption of a clip.
    public struct Caption: Equatable, Sendable {
        public var text: String
        public var tokens: [String]
        /// The captioned span in seconds; nil for the whole clip.
        public var span: ClosedRange<Double>?
    }

    /// One clip.
    public struct Clip: Sendable {
        public var id: String
        /// F × 263 feature rows.
        public var features: [[Double]]
        public var captions: [Caption]
        /// The action label, when `actions.txt` names one.
        public var action: String?
    }

    /// Longest accepted clip, in frames (HumanML3D keeps clips below 200 frames; this leaves room).
    public static let maximumFrames = 100_000

    /// The folder.
    public let url: URL

    public init(_ url: URL) { self.url = url }

    /// The clip ids of a split (`train`, `val`, `test`, or any `<name>.txt` in the folder).
    public func ids(split: String) throws -> [String] {
        let file = url.appendingPathComponent("\(split).txt")
        let text = try Self.text(file)
        var ids = [String]()
        for (n, line) in TextLines.split(text).enumerated() {
            let id = line.trimmingCharacters(in: .whitespaces)
            guard !id.isEmpty else { continue }
            guard Self.isValidID(id) else {
                throw MotionFileError(path: file.path, reason: "line \(n + 1): '\(id.prefix(40))' is not a clip id (letters, digits, '_', '-', '.' only)")
            }
            ids.append(id)
        }
        return ids
    }

    /// The action labels of `actions.txt` by clip id (empty when the file does not exist).
    public func actions() throws -> [String: String] {
        let file = url.appendingPathComponent("actions.txt")
        guard FileManager.default.fileExists(atPath: file.path) else { return [:] }
        var labels = [String: String]()
        for (n, line) in TextLines.split(try Self.text(file)).enumerated() {
            let w = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard !w.isEmpty else { continue }
            guard w.count == 2, Self.isValidID(String(w[0])), Self.isValidID(String(w[1])) else {
                throw MotionFileError(path: file.path, reason: "line \(n + 1): expected '<id> <action>'")
            }
            guard labels[String(w[0])] == nil else {
                throw MotionFileError(path: file.path, reason: "line \(n + 1): clip '\(w[0])' is labelled twice")
            }
            labels[String(w[0])] = String(w[1])
        }
        return labels
    }

    /// The clips of a split with their features, captions (when `texts/` has them) and actions.
    public func clips(split: String) throws -> [Clip] {
        let labels = try actions()
        return try ids(split: split).map { id in
            let features = try Self.readFeatures(url.appendingPathComponent("new_joint_vecs/\(id).npy"))
            let textFile = url.appendingPathComponent("texts/\(id).txt")
            let captions = FileManager.default.fileExists(atPath: textFile.path) ? try Self.readCaptions(textFile) : []
            return Clip(id: id, features: features, captions: captions, action: labels[id])
        }
    }

    // MARK: Single files

    /// Reads one `new_joint_vecs` file: F × 263 finite numbers, 1 ≤ F ≤ ``maximumFrames``.
    public static func readFeatures(_ file: URL) throws -> [[Double]] {
        try decodeFeatures(NumPyFile.read(file), path: file.path)
    }

    /// Writes one `new_joint_vecs` file: the rows as an F × 263 float32 array, atomically.
    public static func writeFeatures(_ rows: [[Double]], to file: URL) throws {
        try HumanML3DFeatures.validate(rows, path: file.path)
        try NumPyFile.write(Tensor<Float>(shape: [rows.count, HumanML3DFeatures.width], scalars: rows.joined().map { Float($0) }), to: file)
    }

    /// Checks and converts a decoded `.npy` array of features.
    public static func decodeFeatures(_ array: NumPyArray, path: String) throws -> [[Double]] {
        let shape = array.shape
        guard shape.count == 2, shape[1] == HumanML3DFeatures.width else {
            throw MotionFileError(path: path, reason: "shape \(shape); HumanML3D features are frames × \(HumanML3DFeatures.width)")
        }
        guard (1...maximumFrames).contains(shape[0]) else {
            throw MotionFileError(path: path, reason: "\(shape[0]) frames; expected 1 to \(maximumFrames)")
        }
        let values = array.tensor(as: Double.self).scalars
        let width = HumanML3DFeatures.width
        let rows = (0..<shape[0]).map { Array(values[($0 * width)..<(($0 + 1) * width)]) }
        try HumanML3DFeatures.validate(rows, path: path)
        return rows
    }

    /// Reads one `texts` file.
    public static func readCaptions(_ file: URL) throws -> [Caption] {
        try parseCaptions(text(file), path: file.path)
    }

    /// Parses caption lines `caption#tokens#from#to`.
    public static func parseCaptions(_ text: String, path: String) throws -> [Caption] {
        var captions = [Caption]()
        for (n, trimmed) in TextLines.split(text).enumerated() {
            guard !trimmed.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            let parts = trimmed.split(separator: "#", omittingEmptySubsequences: false)
            guard parts.count == 4 else {
                throw MotionFileError(path: path, reason: "line \(n + 1): expected 4 '#'-separated fields, found \(parts.count)")
            }
            func time(_ s: Substring, _ name: String) throws -> Double? {
                let t = s.trimmingCharacters(in: .whitespaces)
                if t == "nan" { return nil }
                guard let v = DecimalNumber.parse(t), v.isFinite, v >= 0, v <= 1e6 else {
                    throw MotionFileError(path: path, reason: "line \(n + 1): '\(name)' time '\(t.prefix(40))' is not a number of seconds")
                }
                return v
            }
            let from = try time(parts[2], "from"), to = try time(parts[3], "to")
            var span: ClosedRange<Double>? = nil
            if let f = from, let t = to, !(f == 0 && t == 0) {
                guard f <= t else { throw MotionFileError(path: path, reason: "line \(n + 1): the span ends (\(t)) before it starts (\(f))") }
                span = f...t
            }
            captions.append(Caption(text: String(parts[0]), tokens: parts[1].split(separator: " ").map(String.init), span: span))
        }
        return captions
    }

    static func text(_ file: URL) throws -> String {
        let data = try InputFile.contents(of: file, maximumSize: 64 << 20).get()
        guard let s = String(data: data, encoding: .utf8) else { throw MotionFileError(path: file.path, reason: "not UTF-8 text") }
        return s
    }

    static func isValidID(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 128 && s != "." && s != ".." && s.unicodeScalars.allSatisfy {
            ($0.isASCII && (CharacterSet.alphanumerics.contains($0))) || $0 == "_" || $0 == "-" || $0 == "."
        }
    }
}
