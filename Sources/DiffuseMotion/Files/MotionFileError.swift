/// A motion file, folder or skeleton that cannot be used, with the path (and where it helps the
/// line or field) and the reason.
public struct MotionFileError: Error, CustomStringConvertible, Equatable {
    /// The file or folder (or `<skeleton>`, `<features>` for values built in memory).
    public var path: String
    /// What is wrong, naming the line, field or joint.
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}
