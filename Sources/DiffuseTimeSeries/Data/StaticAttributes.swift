import DiffuseTensor
import Foundation

/// Static attributes of series — values that do not change over time, such as a region, a
/// store type or a capacity — read from a CSV file with one row per series. A conditional model
/// reads them as channels that are constant over every window (``SeriesConditioning/AttributeChannel``),
/// so one model of many series can tell them apart (GluonTS's static real and categorical
/// features).
///
/// File format: a CSV table (DiffuseTensor's `CSVTable`) with a header. The first column names the series
/// (the data's column names for a wide file, the ids for a long one); every other column is an
/// attribute. Cells are kept as text, trimmed of spaces. Missing cells are allowed; they are
/// those of every CSV reader here (`CSVTable.missingMarkers`: empty, `NA`, `N/A`, `NaN`,
/// `null`, `None`, in any case), so a category must not be named so. A series may be named only once, and rows naming series that are not in the
/// data are ignored. Whether an attribute is numeric or categorical is decided when a model is
/// fitted (``SeriesConditioning/fitted(calendar:holidays:covariates:knownFuture:attributes:series:trainingEnd:)``):
/// numeric when every present value is a decimal number.
public struct StaticAttributes: Sendable, Equatable {
    /// The attribute names, in file order.
    public var names: [String]
    /// Each series' cells, by series name, then by attribute name.
    public var values: [String: [String: String]]
    /// The file (or text name) in errors.
    public var source: String

    /// The most attributes a file may have.
    public static let maximumAttributes = 64

    /// Parses a table; errors name `table.source`, the line and the column.
    public init(table: CSVTable) throws {
        source = table.source
        guard table.header.count >= 2 else {
            throw CSVError(source: source, line: 1, column: nil,
                           reason: "a static-attribute file needs a series column and at least one attribute column (the header has \(table.header.count) column\(table.header.count == 1 ? "" : "s"))")
        }
        names = Array(table.header.dropFirst())
        guard names.count <= Self.maximumAttributes else {
            throw CSVError(source: source, line: 1, column: nil, reason: "\(names.count) attribute columns, more than \(Self.maximumAttributes)")
        }
        var values: [String: [String: String]] = [:]
        var lines: [String: Int] = [:]
        for (r, row) in table.rows.enumerated() {
            let series = row[0].trimmingCharacters(in: .whitespaces)
            let line = table.lineNumbers[r]
            guard !series.isEmpty else {
                throw CSVError(source: source, line: line, column: table.header[0], reason: "the series name is empty")
            }
            if let first = lines[series] {
                throw CSVError(source: source, line: line, column: table.header[0], reason: "series '\(series)' is named again (first on line \(first))")
            }
            lines[series] = line
            values[series] = Dictionary(uniqueKeysWithValues: zip(names, row.dropFirst().map { $0.trimmingCharacters(in: .whitespaces) }))
        }
        self.values = values
    }

    /// Reads a static-attribute file.
    public init(contentsOf url: URL) throws {
        try self.init(table: CSVTable(contentsOf: url))
    }

    /// `series` with their ``TimeSeries/attributes`` set from this file.
    ///
    /// - Throws: ``TimeSeriesError/invalidOption(_:)`` naming the file and the first series that
    ///   has no row.
    public func attached(to series: [TimeSeries]) throws -> [TimeSeries] {
        try series.map { s in
            // Rows are keyed by trimmed names, so a long file's untrimmed id meets its row too.
            guard let cells = values[s.name.trimmingCharacters(in: .whitespaces)] else {
                let known = values.keys.sorted().prefix(5).map { "'\($0)'" }.joined(separator: ", ")
                throw TimeSeriesError.invalidOption("\(source): no row for series '\(s.name)' (the first column names the series; rows name \(values.isEmpty ? "none" : known + (values.count > 5 ? ", …" : "")))")
            }
            var attached = s
            attached.attributes = cells
            return attached
        }
    }

    /// Whether a cell is missing (`CSVTable.missingMarkers`).
    static func isMissing(_ cell: String) -> Bool { CSVTable.missingMarkers.contains(cell.lowercased()) }
}
