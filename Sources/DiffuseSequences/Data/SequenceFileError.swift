import Foundation
import DiffuseTensor

/// A malformed sequence, motif or molecule file: the file, and where known the line and column.
public struct SequenceFileError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var line: Int?
    public var column: Int?
    public var reason: String

    public init(file: String, line: Int?, column: Int?, reason: String) {
        self.file = file
        self.line = line
        self.column = column
        self.reason = reason
    }

    /// The bytes of `url`, or an error naming it ("no such file", "it is a folder", …).
    static func contents(of url: URL) throws -> Data {
        switch InputFile.contents(of: url) {
        case .success(let data): return data
        case .failure(let e): throw SequenceFileError(file: url.path, line: nil, column: nil, reason: "cannot be read (\(e.reason))")
        }
    }

    /// The UTF-8 text of `url`, or an error naming it.
    public static func text(of url: URL) throws -> String {
        guard let text = String(data: try contents(of: url), encoding: .utf8) else {
            throw SequenceFileError(file: url.path, line: nil, column: nil, reason: "is not UTF-8 text")
        }
        return text
    }

    public var description: String {
        var place = file
        if let line { place += ":\(line)" }
        if let column { place += ":\(column)" }
        return "\(place): \(reason)"
    }
}
