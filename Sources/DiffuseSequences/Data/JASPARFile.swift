import DiffuseTensor
import Foundation

/// A position frequency matrix: counts of A, C, G, T at each position of a motif.
public struct PositionFrequencyMatrix: Hashable, Sendable {
    /// The matrix identifier (`MA0108.3`).
    public var identifier: String
    /// The factor's name (`TBP`).
    public var name: String
    /// `counts[b][j]`: how often base b (A, C, G, T) was seen at position j.
    public var counts: [[Double]]

    public init(identifier: String, name: String, counts: [[Double]]) {
        precondition(counts.count == 4 && !counts[0].isEmpty && counts.allSatisfy { $0.count == counts[0].count },
                     "a PFM has four rows of one positive width")
        self.identifier = identifier
        self.name = name
        self.counts = counts
    }

    /// The motif width.
    public var width: Int { counts[0].count }
}

/// JASPAR's text format: for each matrix a header `>ID<TAB>name[<TAB>group]` and four rows
/// `A  [ c₁ c₂ … ]` for A, C, G and T (brackets optional). Every count must be a finite,
/// non-negative decimal; rows must be in that order and of one width; errors name the file and
/// line.
public enum JASPARFile {
    public static func read(_ url: URL) throws -> [PositionFrequencyMatrix] {
        try parse(SequenceFileError.text(of: url), file: url.path)
    }

    public static func parse(_ text: String, file: String) throws -> [PositionFrequencyMatrix] {
        var matrices: [PositionFrequencyMatrix] = []
        var header: (identifier: String, name: String, line: Int)? = nil
        var rows: [[Double]] = []
        func finish(at line: Int) throws {
            guard let h = header else { return }
            guard rows.count == 4 else {
                throw SequenceFileError(file: file, line: h.line, column: nil, reason: "matrix \(h.identifier) has \(rows.count) rows, not 4 (A, C, G, T)")
            }
            for j in 0..<rows[0].count {
                let total = rows.reduce(0.0) { $0 + $1[j] }
                guard total > 0 && total.isFinite else {
                    throw SequenceFileError(file: file, line: h.line, column: nil, reason: "matrix \(h.identifier) column \(j + 1) has a total count of \(total)")
                }
            }
            matrices.append(PositionFrequencyMatrix(identifier: h.identifier, name: h.name, counts: rows))
            header = nil
            rows = []
        }
        let lines = TextLines.split(text)
        for (index, raw) in lines.enumerated() {
            let number = index + 1
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw[...]
            if line.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\t" }) {
                throw SequenceFileError(file: file, line: number, column: nil, reason: "control byte in the line")
            }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            if trimmed.hasPrefix(">") {
                try finish(at: number)
                let fields = trimmed.dropFirst().split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
                guard let identifier = fields.first, !identifier.isEmpty else {
                    throw SequenceFileError(file: file, line: number, column: 2, reason: "header without a matrix identifier")
                }
                header = (identifier, fields.count > 1 ? fields[1] : identifier, number)
                continue
            }
            guard let h = header else { throw SequenceFileError(file: file, line: number, column: 1, reason: "matrix row before the first '>' header") }
            let expected = ["A", "C", "G", "T"][Swift.min(rows.count, 3)]
            guard rows.count < 4 else { throw SequenceFileError(file: file, line: number, column: 1, reason: "matrix \(h.identifier) has more than four rows") }
            guard trimmed.first.map(String.init) == expected else {
                throw SequenceFileError(file: file, line: number, column: 1, reason: "expected the \(expected) row of matrix \(h.identifier)")
            }
            // The counts, either all between one '[' and one closing ']' or without brackets.
            var body = trimmed.dropFirst().trimmingCharacters(in: .whitespaces)
            let opens = body.filter { $0 == "[" }.count, closes = body.filter { $0 == "]" }.count
            if opens + closes > 0 {
                guard opens == 1, closes == 1, body.first == "[", body.last == "]" else {
                    throw SequenceFileError(file: file, line: number, column: nil, reason: "the \(expected) row must hold its counts between one '[' and one final ']'")
                }
                body = String(body.dropFirst().dropLast())
            }
            var values: [Double] = []
            for field in body.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
                guard let value = DecimalNumber.parse(field), value >= 0 else {
                    throw SequenceFileError(file: file, line: number, column: nil, reason: "'\(field)' is not a non-negative count")
                }
                values.append(value)
            }
            guard !values.isEmpty else { throw SequenceFileError(file: file, line: number, column: nil, reason: "empty \(expected) row") }
            if let first = rows.first, first.count != values.count {
                throw SequenceFileError(file: file, line: number, column: nil, reason: "the \(expected) row has \(values.count) counts, the A row \(first.count)")
            }
            rows.append(values)
        }
        try finish(at: lines.count)
        guard !matrices.isEmpty else { throw SequenceFileError(file: file, line: nil, column: nil, reason: "no matrices") }
        return matrices
    }
}
