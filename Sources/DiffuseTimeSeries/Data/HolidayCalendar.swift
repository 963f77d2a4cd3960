import DiffuseTensor
import Foundation

/// A set of calendar dates (holidays, or any special days) read from a text file, and the
/// indicator feature it gives a timestamp: 0.5 on a listed date (UTC), −0.5 otherwise, on the
/// scale of ``CalendarFeature``.
///
/// File format: one date per line as `YYYY-MM-DD` (years 0001–9999), optionally followed by a
/// comma and a name (ignored); blank lines and lines starting with `#` are skipped; lines end with LF, CRLF or a lone CR (`TextLines`).
public struct HolidayCalendar: Equatable, Sendable {
    /// The listed dates, as days since 1970-01-01.
    public var days: Set<Int64>

    public init(days: Set<Int64>) { self.days = days }

    /// Parses the text of a calendar file; errors name `source` and the line.
    public init(text: String, source: String) throws {
        var days = Set<Int64>()
        for (index, line) in TextLines.split(text).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let date = String(trimmed.prefix { $0 != "," }).trimmingCharacters(in: .whitespaces)
            guard date.utf8.count == 10, Array(date.utf8)[4] == UInt8(ascii: "-"), let t = Timestamp.parse(date), Timestamp.range.contains(t) else {
                throw TimeSeriesError.unparsableTimestamp(source: source, line: index + 1, text: String(date.prefix(40)))
            }
            days.insert(t / 86_400)
        }
        self.days = days
    }

    /// Reads a calendar file.
    public init(contentsOf url: URL) throws {
        switch InputFile.contents(of: url, maximumSize: 64 << 20) {
        case .success(let data):
            guard let text = String(data: data, encoding: .utf8) else {
                throw TimeSeriesError.unparsableTimestamp(source: url.path, line: 1, text: "(not UTF-8 text)")
            }
            try self.init(text: text, source: url.path)
        case .failure(let error):
            throw TimeSeriesError.invalidOption("cannot read the holiday calendar \(url.path): \(error.reason)")
        }
    }

    /// Whether the UTC date of a timestamp is listed.
    public func contains(_ timestamp: Int64) -> Bool {
        let c = Timestamp.civil(timestamp)
        return days.contains(Timestamp.days(year: c.year, month: c.month, day: c.day))
    }

    /// 0.5 on a listed date, −0.5 otherwise.
    public func value(at timestamp: Int64) -> Double { contains(timestamp) ? 0.5 : -0.5 }
}
