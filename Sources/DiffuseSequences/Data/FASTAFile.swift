import DiffuseTensor
import Foundation

/// FASTA files of DNA: records of a header line `>name description` and sequence lines (any
/// number, any width), blank lines allowed between records. Reading checks every byte: a
/// sequence before the first header, an empty record, a NUL or control byte, or a letter that
/// is not a base are errors naming the file, the line and the column; N and other ambiguity codes
/// follow the ``AmbiguousBasePolicy``. Writing is atomic, 60 bases per line.
public enum FASTAFile {
    /// One record.
    public struct Record: Hashable, Sendable {
        /// The header after `>`, up to the first white space.
        public var name: String
        /// Tokens 0–3 (see ``DNAVocabulary``).
        public var tokens: [Int]

        public init(name: String, tokens: [Int]) {
            self.name = name
            self.tokens = tokens
        }
    }

    /// A file's records and what was skipped.
    public struct Contents: Sendable {
        public var records: [Record]
        /// Records skipped for ambiguity codes under `.skipRecord`.
        public var skippedRecords: Int
    }

    /// Reads a FASTA file (gzip is not read here: decompress first).
    public static func read(_ url: URL, ambiguousBases: AmbiguousBasePolicy = .refuse) throws -> Contents {
        try parse(SequenceFileError.contents(of: url), file: url.path, ambiguousBases: ambiguousBases)
    }

    /// Parses FASTA text; `file` names the source in errors.
    public static func parse(_ data: Data, file: String, ambiguousBases: AmbiguousBasePolicy = .refuse) throws -> Contents {
        var records: [Record] = []
        var skipped = 0
        var name: String? = nil
        var headerLine = 0
        var tokens: [Int] = []
        var ambiguous = false
        func finish() throws {
            guard let current = name else { return }
            guard !tokens.isEmpty else {
                throw SequenceFileError(file: file, line: headerLine, column: nil, reason: "record '\(current)' has no sequence")
            }
            if ambiguous { skipped += 1 } else { records.append(Record(name: current, tokens: tokens)) }
            name = nil
            tokens = []
            ambiguous = false
        }
        let bytes = [UInt8](data)
        var line = 1, start = 0
        while start <= bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
            var lineEnd = end
            if lineEnd > start && bytes[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
            if lineEnd > start {
                if bytes[start] == UInt8(ascii: ">") {
                    try finish()
                    let header = bytes[(start + 1)..<lineEnd]
                    if let bad = header.firstIndex(where: { $0 < 0x20 && $0 != 0x09 }) {
                        throw SequenceFileError(file: file, line: line, column: bad - start + 1, reason: "control byte 0x\(String(bytes[bad], radix: 16)) in a header")
                    }
                    guard let text = String(bytes: header, encoding: .utf8) else {
                        throw SequenceFileError(file: file, line: line, column: nil, reason: "header is not UTF-8")
                    }
                    let first = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map(String.init) ?? ""
                    guard !first.isEmpty else { throw SequenceFileError(file: file, line: line, column: 2, reason: "empty header") }
                    name = first
                    headerLine = line
                } else {
                    guard name != nil else {
                        throw SequenceFileError(file: file, line: line, column: 1, reason: "sequence before the first '>' header")
                    }
                    for p in start..<lineEnd {
                        let byte = bytes[p]
                        if let token = DNAVocabulary.token(of: byte) {
                            tokens.append(token)
                        } else if DNAVocabulary.isAmbiguityCode(byte) {
                            guard ambiguousBases == .skipRecord else {
                                throw SequenceFileError(file: file, line: line, column: p - start + 1,
                                                        reason: "ambiguous base '\(Character(Unicode.Scalar(byte)))' (the policy is to refuse; use skipRecord to skip such records)")
                            }
                            ambiguous = true
                            tokens.append(0)
                        } else if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
                            continue
                        } else {
                            let shown = byte >= 0x20 && byte < 0x7f ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
                            throw SequenceFileError(file: file, line: line, column: p - start + 1, reason: "\(shown) is not a DNA base")
                        }
                    }
                }
            }
            line += 1
            start = end + 1
        }
        try finish()
        guard !records.isEmpty || skipped > 0 else { throw SequenceFileError(file: file, line: nil, column: nil, reason: "no FASTA records") }
        return Contents(records: records, skippedRecords: skipped)
    }

    /// FASTA text of the records, 60 bases per line. Refuses what the reader would refuse: an
    /// empty or white-space name, an empty sequence, a token that is not a base.
    public static func text(_ records: [Record]) throws -> String {
        var out = ""
        for (index, record) in records.enumerated() {
            guard !record.name.isEmpty, !record.name.contains(where: { $0.isWhitespace || $0.isNewline || $0 == ">" }) else {
                throw FASTAWriteError(record: index, reason: "the name '\(record.name)' is empty or contains white space or '>'")
            }
            guard !record.tokens.isEmpty else { throw FASTAWriteError(record: index, reason: "record '\(record.name)' has no sequence") }
            guard record.tokens.allSatisfy({ $0 >= 0 && $0 < 4 }) else {
                throw FASTAWriteError(record: index, reason: "record '\(record.name)' has tokens that are not bases 0–3 (mask tokens?)")
            }
            out += ">\(record.name)\n"
            let letters = DNAVocabulary.string(record.tokens)
            var index = letters.startIndex
            while index < letters.endIndex {
                let next = letters.index(index, offsetBy: 60, limitedBy: letters.endIndex) ?? letters.endIndex
                out += letters[index..<next] + "\n"
                index = next
            }
        }
        return out
    }

    /// Writes the records atomically.
    public static func write(_ records: [Record], to url: URL) throws {
        try AtomicFile.write(Data(try text(records).utf8), to: url)
    }
}

/// A record that cannot be written as FASTA the reader would accept.
public struct FASTAWriteError: Error, CustomStringConvertible, Equatable {
    /// The record's index.
    public var record: Int
    public var reason: String

    public var description: String { "FASTA record \(record): \(reason)" }
}
