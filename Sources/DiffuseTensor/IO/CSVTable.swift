import Foundation

/// An error in a CSV file, naming the file, the line and (where it applies) the column.
public struct CSVError: Error, CustomStringConvertible, Equatable {
    /// The file (or the name given to the text).
    public var source: String
    /// The 1-based line where the problem is, if it is on one line.
    public var line: Int?
    /// The column concerned, if any.
    public var column: String?
    /// What is wrong.
    public var reason: String

    /// An error of another reader of CSV files (a static-attribute file, say), in the same form.
    public init(source: String, line: Int?, column: String?, reason: String) {
        self.source = source
        self.line = line
        self.column = column
        self.reason = reason
    }

    public var description: String {
        var text = source
        if let line { text += ":\(line)" }
        if let column { text += ": column '\(column)'" }
        return text + ": " + reason
    }
}

/// A CSV table with a header row, parsed as RFC 4180 describes: fields separated by a
/// delimiter, optionally quoted with `"`, quotes inside quoted fields doubled, quoted fields
/// may contain delimiters and line breaks, lines end with LF or CRLF.
///
/// Cells are kept as text; typed access converts a column and reports the first cell that does
/// not convert with its line and column. Control bytes are refused while reading. Empty cells and `NaN`, `NA`, `N/A`, `null`, `None`
/// (any case) are *missing* values (`nil`), never zero.
public struct CSVTable: Sendable {
    /// The column names from the first line.
    public let header: [String]
    /// The cells of each data row, in file order.
    public let rows: [[String]]
    /// The 1-based line number on which each data row starts.
    public let lineNumbers: [Int]
    /// The file name used in errors.
    public let source: String

    /// The cell texts that count as missing values (compared case-insensitively).
    public static let missingMarkers: Set<String> = ["", "nan", "na", "n/a", "null", "none", "-nan"]

    /// The largest CSV file read (1 GiB): cells are kept as strings, several times the file's
    /// size in memory.
    public static let maximumFileSize = 1 << 30

    /// Reads and parses a CSV file (at most ``maximumFileSize`` bytes).
    public init(contentsOf url: URL, delimiter: UInt8 = UInt8(ascii: ",")) throws {
        let data: Data
        switch InputFile.contents(of: url, maximumSize: Self.maximumFileSize) {
        case .success(let d): data = d
        case .failure(let e): throw CSVError(source: url.path, line: nil, column: nil, reason: "cannot read file: \(e.reason)")
        }
        try self.init(data: data, source: url.path, delimiter: delimiter)
    }

    /// Parses CSV text; `source` names it in errors.
    public init(text: String, source: String = "<text>", delimiter: UInt8 = UInt8(ascii: ",")) throws {
        try self.init(data: Data(text.utf8), source: source, delimiter: delimiter)
    }

    /// Parses CSV bytes (UTF-8, an optional byte-order mark is skipped). Control bytes (NUL and
    /// the rest below 0x20, and DEL) are refused with their line and field, except a tab and, inside
    /// quotes, line breaks.
    public init(data: Data, source: String, delimiter: UInt8 = UInt8(ascii: ",")) throws {
        self.source = source
        func checkByte(_ b: UInt8, line: Int, field: Int, quoted: Bool) throws {
            let allowed = b >= 0x20 && b != 0x7F || b == 0x09 || quoted && (b == 0x0A || b == 0x0D)
            guard allowed else {
                throw CSVError(source: source, line: line, column: nil,
                               reason: "field \(field) contains the control byte 0x\(String(b, radix: 16, uppercase: true).count == 1 ? "0" : "")\(String(b, radix: 16, uppercase: true))")
            }
        }
        var records: [[String]] = []
        var starts: [Int] = []
        let bytes = [UInt8](data)
        var i = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var line = 1
        let quote = UInt8(ascii: "\""), lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        while i < bytes.count {
            let recordLine = line
            var fields: [String] = []
            var field: [UInt8] = []
            var endOfRecord = false
            // Skip completely empty lines, except in a one-column table, where an empty line is an
            // empty cell (a missing value).
            // Line ends are LF, CRLF or a lone CR (old Mac files), here as after a field.
            let emptyLine = bytes[i] == lf || bytes[i] == cr
            if emptyLine {
                if records.first?.count == 1 {
                    records.append([""])
                    starts.append(line)
                }
                line += 1
                i += bytes[i] == cr && i + 1 < bytes.count && bytes[i + 1] == lf ? 2 : 1
                continue
            }
            while !endOfRecord {
                field.removeAll(keepingCapacity: true)
                if i < bytes.count && bytes[i] == quote {
                    // Quoted field.
                    i += 1
                    var closed = false
                    while i < bytes.count {
                        let b = bytes[i]
                        if b == quote {
                            if i + 1 < bytes.count && bytes[i + 1] == quote { field.append(quote); i += 2; continue }
                            closed = true
                            i += 1
                            break
                        }
                        if b == lf { line += 1 }
                        try checkByte(b, line: line, field: fields.count + 1, quoted: true)
                        field.append(b)
                        i += 1
                    }
                    guard closed else {
                        throw CSVError(source: source, line: recordLine, column: nil, reason: "unterminated quoted field")
                    }
                    if i < bytes.count && bytes[i] != delimiter && bytes[i] != lf && bytes[i] != cr {
                        throw CSVError(source: source, line: line, column: nil,
                                       reason: "unexpected character after closing quote in field \(fields.count + 1)")
                    }
                } else {
                    while i < bytes.count && bytes[i] != delimiter && bytes[i] != lf && bytes[i] != cr {
                        if bytes[i] == quote {
                            throw CSVError(source: source, line: line, column: nil, reason: "quote inside unquoted field \(fields.count + 1)")
                        }
                        try checkByte(bytes[i], line: line, field: fields.count + 1, quoted: false)
                        field.append(bytes[i])
                        i += 1
                    }
                }
                guard let text = String(bytes: field, encoding: .utf8) else {
                    throw CSVError(source: source, line: line, column: nil, reason: "field \(fields.count + 1) is not valid UTF-8")
                }
                fields.append(text)
                if i >= bytes.count {
                    endOfRecord = true
                } else if bytes[i] == delimiter {
                    i += 1
                } else {
                    if bytes[i] == cr { i += 1 }
                    if i < bytes.count && bytes[i] == lf { i += 1 }
                    line += 1
                    endOfRecord = true
                }
            }
            records.append(fields)
            starts.append(recordLine)
        }
        guard let first = records.first else {
            throw CSVError(source: source, line: nil, column: nil, reason: "file is empty (no header line)")
        }
        self.header = first.map { $0.trimmingCharacters(in: .whitespaces) }
        for (k, name) in header.enumerated() where name.isEmpty && header.count > 1 {
            throw CSVError(source: source, line: 1, column: nil, reason: "column \(k + 1) of the header has no name")
        }
        if let duplicate = Dictionary(grouping: header, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
            throw CSVError(source: source, line: 1, column: duplicate, reason: "column name appears more than once in the header")
        }
        for (r, record) in records.enumerated().dropFirst() where record.count != header.count {
            throw CSVError(source: source, line: starts[r], column: nil,
                           reason: "row has \(record.count) fields but the header has \(header.count)")
        }
        self.rows = Array(records.dropFirst())
        self.lineNumbers = Array(starts.dropFirst())
    }

    /// The number of data rows.
    public var rowCount: Int { rows.count }

    /// The index of a column, or an error naming the missing column and the ones available.
    public func columnIndex(named name: String) throws -> Int {
        guard let k = header.firstIndex(of: name) else {
            throw CSVError(source: source, line: 1, column: name,
                           reason: "no such column; columns are \(header.map { "'\($0)'" }.joined(separator: ", "))")
        }
        return k
    }

    /// The raw cell texts of a column.
    public func textColumn(named name: String) throws -> [String] {
        let k = try columnIndex(named: name)
        return rows.map { $0[k] }
    }

    /// A column as numbers, with missing cells as `nil`. Numbers are decimal (``DecimalNumber``:
    /// no hexadecimal, no infinities); a cell that is neither such a number nor a missing marker
    /// is an error naming its line and column.
    public func numericColumn(named name: String) throws -> [Double?] {
        let k = try columnIndex(named: name)
        return try rows.enumerated().map { r, row in
            let cell = row[k].trimmingCharacters(in: .whitespaces)
            if Self.missingMarkers.contains(cell.lowercased()) { return nil }
            if let v = DecimalNumber.parse(cell) { return v }
            if DecimalNumber.isDecimal(cell.utf8) {
                throw CSVError(source: source, line: lineNumbers[r], column: name, reason: "'\(cell)' is outside the range of a Double (magnitudes up to about 1.8e308 and down to 4.9e-324)")
            }
            if ["inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"].contains(cell.lowercased()) {
                throw CSVError(source: source, line: lineNumbers[r], column: name, reason: "'\(cell)' is not finite (leave the cell empty for a missing value)")
            }
            throw CSVError(source: source, line: lineNumbers[r], column: name, reason: "'\(cell)' is not a decimal number")
        }
    }

    /// Whether every non-missing cell of a column is a number.
    public func isNumeric(column name: String) -> Bool {
        (try? numericColumn(named: name)) != nil
    }
}
