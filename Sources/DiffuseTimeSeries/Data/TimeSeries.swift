import DiffuseTensor
import Foundation

/// The sampling interval of a series.
public enum Frequency: Codable, Hashable, Sendable, CustomStringConvertible {
    case minutes(Int)
    case hourly
    case daily
    case weekly
    /// Calendar months on a day every month has (1…28): each step the same day of the next month
    /// at the same time of day (pandas' `MS` on day 1). Series on days 29–31 are read as
    /// ``monthEnd`` when they are month ends and refused otherwise.
    case monthly
    /// Calendar months at each month's last day, same time of day (pandas' `ME`).
    case monthEnd
    /// Any fixed interval in seconds.
    case seconds(Int)

    /// The mean length of a Gregorian month, 365.2425 days / 12, in seconds: the nominal interval
    /// of ``monthly`` and ``monthEnd`` (for ranking and checks; their timestamps follow the
    /// calendar, see ``timestamp(from:steps:)``).
    public static let meanMonthSeconds = 2_629_746

    /// The interval in seconds (saturating at `Int.max` for a number of minutes no frequency can
    /// have, which ``isValid`` refuses); ``meanMonthSeconds`` for ``monthly``.
    public var seconds: Int {
        switch self {
        case .minutes(let m):
            let (s, overflow) = m.multipliedReportingOverflow(by: 60)
            return overflow ? (m < 0 ? Int.min : Int.max) : s
        case .hourly: return 3600
        case .daily: return 86_400
        case .weekly: return 604_800
        case .monthly, .monthEnd: return Self.meanMonthSeconds
        case .seconds(let s): return s
        }
    }

    /// Whether steps are calendar months (``monthly`` or ``monthEnd``).
    public var isCalendarMonths: Bool { self == .monthly || self == .monthEnd }

    /// The timestamp `steps` steps after `start` (before it for negative `steps`): fixed intervals
    /// add `steps × seconds`; ``monthly`` keeps the start's day of the month (clamped to the
    /// month's length for a start past day 28, which the loaders never make), ``monthEnd`` takes
    /// each month's last day. Callers check the result against `Timestamp.range`; `|steps|` must
    /// stay below 10¹² for calendar months.
    public func timestamp(from start: Int64, steps: Int) -> Int64 {
        guard isCalendarMonths else { return start + Int64(steps) * Int64(seconds) }
        precondition(Swift.abs(steps) < 1_000_000_000_000, "calendar-month steps beyond ±10¹²")
        let c = Timestamp.civil(start)
        let monthEnd = self == .monthEnd
        let index = c.year * 12 + (c.month - 1) + steps
        let year = index >= 0 ? index / 12 : (index - 11) / 12
        let month = index - year * 12 + 1
        let last = Timestamp.daysIn(month: month, year: year)
        let day = monthEnd ? last : Swift.min(c.day, last)
        return Timestamp.days(year: year, month: month, day: day) * 86_400 + Int64(c.hour * 3600 + c.minute * 60 + c.second)
    }

    /// The frequency with this interval (named when it is a common one). Intervals outside
    /// 1 s … ``maximumSeconds`` give a frequency that is not ``isValid``.
    public init(seconds: Int) {
        switch seconds {
        case 3600: self = .hourly
        case 86_400: self = .daily
        case 604_800: self = .weekly
        case let s where s > 0 && s % 60 == 0 && s < 3600: self = .minutes(s / 60)
        default: self = .seconds(seconds)
        }
    }

    /// The longest interval a series may have: 366 days, in seconds. Longer (or non-positive)
    /// intervals are refused by ``init(code:)`` and by the loaders.
    public static let maximumSeconds = 366 * 86_400

    /// Whether the interval is between one second and ``maximumSeconds``.
    public var isValid: Bool { (1...Self.maximumSeconds).contains(seconds) }

    /// Parses `H`, `D`, `W`, `M` or `MS` (calendar months on a day of the month), `ME` (month
    /// ends), `15min`/`15T`, or a number of seconds (decimal digits only), or returns nil; the
    /// interval must be between 1 s and ``maximumSeconds``.
    public init?(code: String) {
        let c = code.trimmingCharacters(in: .whitespaces)
        switch c.uppercased() {
        case "M", "1M", "MS", "MONTHLY": self = .monthly
        case "ME": self = .monthEnd
        case "H", "1H", "HOURLY": self = .hourly
        case "D", "1D", "DAILY": self = .daily
        case "W", "1W", "WEEKLY": self = .weekly
        default:
            let lower = c.lowercased()
            func count(_ text: Substring) -> Int? {
                guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = Int(text), n > 0 else { return nil }
                return n
            }
            for suffix in ["min", "t"] where lower.hasSuffix(suffix) {
                // Through seconds, so that 60min is hourly and 1440min daily.
                guard let m = count(lower.dropLast(suffix.count)), m <= Self.maximumSeconds / 60 else { return nil }
                self.init(seconds: m * 60)
                return
            }
            guard let s = count(Substring(c)), s <= Self.maximumSeconds else { return nil }
            self.init(seconds: s)
        }
    }

    /// The seasonal period used by seasonal baselines and MASE (24 for hourly, 7 for daily, …).
    public var seasonality: Int {
        switch self {
        case .hourly: return 24
        case .daily: return 7
        case .weekly: return 52
        case .monthly, .monthEnd: return 12
        case .minutes(let m): return Swift.max(1, 1440 / Swift.max(m, 1))
        case .seconds(let s): return Swift.max(1, 86_400 / Swift.max(s, 1))
        }
    }

    /// The seasons of the frequency in steps, shortest first: a day and a week for intervals
    /// that divide them (hourly: 24, 168; half-hourly: 48, 336; 15 minutes: 96, 672), a week
    /// and a year for daily data (7, 365), a year for weekly (52) and monthly data (12); none for
    /// an interval that divides no day.
    public var seasons: [Int] {
        switch self {
        case .daily: return [7, 365]
        case .weekly: return [52]
        case .monthly, .monthEnd: return [12]
        default:
            let s = seconds
            guard s > 0, s < 86_400, 86_400 % s == 0 else { return [] }
            return [86_400 / s, 604_800 / s]
        }
    }

    /// TSDiff's lag set for the frequency (`utils.get_lags_for_freq`): hourly 24·[1…7, 14, 21, 28],
    /// daily 30·[1…12]; for other intervals of a minute or more that divide a day the same days
    /// as hourly data, in steps (half-hourly 48·[1…7, 14, 21, 28]); none otherwise (weekly and
    /// monthly data, which TSDiff does not cover; odd or sub-minute intervals).
    public var tsdiffLags: [Int] {
        switch self {
        case .hourly: return [1, 2, 3, 4, 5, 6, 7, 14, 21, 28].map { 24 * $0 }
        case .daily: return (1...12).map { 30 * $0 }
        case .weekly, .monthly, .monthEnd: return []
        default:
            guard let day = seasons.first, seasons.count == 2, day <= 1440 else { return [] }
            return [1, 2, 3, 4, 5, 6, 7, 14, 21, 28].map { day * $0 }
        }
    }

    public var description: String {
        switch self {
        case .hourly: return "hourly"
        case .daily: return "daily"
        case .weekly: return "weekly"
        case .monthly: return "monthly"
        case .monthEnd: return "month-end"
        case .minutes(let m): return "\(m)-minute"
        case .seconds(let s): return "\(s)-second"
        }
    }
}

extension TimeSeries {
    /// The largest magnitude of a value the loaders accept (10¹⁵⁰): squares and sums of values
    /// must stay finite in Double.
    public static let maximumMagnitude = 1e150

    /// Values of a CSV column for a series, refusing magnitudes beyond ``maximumMagnitude``.
    static func checkedValues(_ values: [Double?], lines: [Int], column: String, source: String) throws -> [Double?] {
        for (r, v) in values.enumerated() {
            if let v, Swift.abs(v) > maximumMagnitude {
                throw TimeSeriesError.valueTooLarge(source: source, line: lines[r], column: column, value: v)
            }
        }
        return values
    }
}

/// One series: values at a fixed frequency, with missing values marked (never dropped or
/// zero-filled silently).
public struct TimeSeries: Sendable, Equatable {
    public var name: String
    /// Seconds since 1970-01-01 UTC of the first value.
    public var start: Int64
    public var frequency: Frequency
    /// The values; missing entries hold 0 and have `observed[i] == false`.
    public var values: [Double]
    public var observed: [Bool]
    /// Dynamic covariates, each as long as the series and aligned with it step by step.
    public var covariates: [Covariate]
    /// Static attributes: the cell text of each attribute of the series, by attribute name
    /// (``StaticAttributes``; a missing cell is a missing marker such as the empty text).
    public var attributes: [String: String] = [:]

    public init(name: String, start: Int64 = 0, frequency: Frequency, values: [Double?], covariates: [Covariate] = []) {
        self.init(name: name, start: start, frequency: frequency, values: values.map { $0 ?? 0 }, observed: values.map { $0 != nil }, covariates: covariates)
    }

    public init(name: String, start: Int64 = 0, frequency: Frequency, values: [Double], observed: [Bool], covariates: [Covariate] = []) {
        precondition(values.count == observed.count, "values and observed flags differ in length")
        precondition(covariates.allSatisfy { $0.values.count == values.count }, "every covariate must be as long as the series")
        self.name = name
        self.start = start
        self.frequency = frequency
        self.values = values
        self.observed = observed
        self.covariates = covariates
    }

    public var count: Int { values.count }

    /// The timestamp (seconds since the epoch) of index i.
    public func timestamp(at i: Int) -> Int64 { frequency.timestamp(from: start, steps: i) }

    /// The part of the series with indices in `range`.
    public func slice(_ range: Range<Int>) -> TimeSeries {
        var part = TimeSeries(name: name, start: timestamp(at: range.lowerBound), frequency: frequency,
                              values: Array(values[range]), observed: Array(observed[range]), covariates: covariates.map { $0.slice(range) })
        part.attributes = attributes
        return part
    }

    /// The dynamic covariate named `name`, if the series has it.
    public func covariate(named name: String) -> Covariate? { covariates.first { $0.name == name } }

    /// The number of observed values.
    public var observedCount: Int { observed.lazy.filter { $0 }.count }
}

/// A problem with time-series input, saying what and where.
public enum TimeSeriesError: Error, CustomStringConvertible, Equatable {
    case unparsableTimestamp(source: String, line: Int, text: String)
    case timestampOutOfRange(source: String, line: Int, text: String)
    case irregularSpacing(source: String, line: Int, expectedSeconds: Int, foundSeconds: Int64)
    /// A monthly series whose row is not one calendar month after the one before.
    case irregularMonth(source: String, line: Int, expected: Int64, found: Int64)
    case unsortedTimestamps(source: String, line: Int)
    case noSeries(source: String)
    case tooShort(series: String, needed: Int, available: Int)
    case constant(series: String)
    case allMissing(series: String)
    case invalidOption(String)
    case guidanceDiverged(loss: String, scale: Double, largest: Double)
    case nonFiniteForecast(window: Int, step: Int)
    case valueTooLarge(source: String, line: Int, column: String, value: Double)

    public var description: String {
        switch self {
        case let .unparsableTimestamp(source, line, text):
            return "\(source):\(line): cannot parse timestamp '\(text)' (expected e.g. 2024-01-31 13:00:00, 2024-01-31T13:00, 2024-01-31 or an integer)"
        case let .timestampOutOfRange(source, line, text):
            return "\(source):\(line): timestamp '\(text)' is outside the supported range \(Timestamp.format(Timestamp.range.lowerBound)) … \(Timestamp.format(Timestamp.range.upperBound)) (integers are seconds since 1970, or step indices)"
        case let .irregularSpacing(source, line, expected, found):
            return "\(source):\(line): irregular spacing: \(found) s since the previous row, the series advances by \(expected) s (fill gaps with empty cells to mark missing values)"
        case let .irregularMonth(source, line, expected, found):
            return "\(source):\(line): irregular spacing: \(Timestamp.format(found)), where a monthly series continues at \(Timestamp.format(expected)) (fill gaps with empty cells to mark missing values; for a fixed interval of days give the frequency in seconds)"
        case let .unsortedTimestamps(source, line):
            return "\(source):\(line): timestamp is not after the previous one (sort the file by time; duplicates are not allowed)"
        case let .noSeries(source):
            return "\(source): no numeric series columns found"
        case let .tooShort(series, needed, available):
            return "series '\(series)' has \(available) usable values where \(needed) are needed (the history read before a forecast — context, lags, one season for the baselines — plus the steps to forecast or train on); shorten the context or use fewer windows"
        case let .constant(series):
            return "series '\(series)' is constant: there is nothing to forecast beyond its value"
        case let .allMissing(series):
            return "series '\(series)' has no observed values in the required range"
        case let .invalidOption(text):
            return text
        case let .nonFiniteForecast(window, step):
            return "every sample path of window \(window) is NaN or infinite at step \(step + 1): the model produced no number (a checkpoint trained to NaN, or data beyond its range); nothing was written for this method"
        case let .valueTooLarge(source, line, column, value):
            return "\(source):\(line): column '\(column)': \(value) is beyond ±\(TimeSeries.maximumMagnitude), the largest magnitude the forecasting arithmetic handles (rescale the data)"
        case let .guidanceDiverged(loss, scale, largest):
            return "\(loss) guidance with scale \(scale) diverged (the median forecast reached \(largest) times the largest value of its context); use a smaller scale"
        }
    }
}

/// Parses timestamps `YYYY-MM-DD[ T]hh:mm[:ss[.fff]][Z]`, `YYYY-MM-DD`, or plain integers, to
/// seconds since the epoch (UTC). No time-zone conversion is done; fractions of a second are
/// dropped. Dates are checked against the calendar (no 2018-02-30, no 24:00, no leap second 60:
/// nothing rolls over into the next day or month). The loaders read a column of consecutive
/// integers as step indices (see ``TimeSeriesDataset/loadWide(_:timestampColumn:columns:covariates:frequency:)``),
/// other integers as seconds (Unix time), and refuse timestamps outside ``range``.
public enum Timestamp {
    /// The timestamps the loaders accept: 0001-01-01 00:00:00 to 9999-12-31 23:59:59 UTC, in
    /// seconds since 1970 (so that differences and products with a frequency cannot overflow).
    public static let range: ClosedRange<Int64> = -62_135_596_800...253_402_300_799

    /// The number of days of a month in the proleptic Gregorian calendar.
    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// The seconds since the epoch of `text`, or nil when it is not a timestamp of the forms
    /// above (integers are decimal digits with an optional sign).
    public static func parse(_ text: String) -> Int64? {
        let s = text.trimmingCharacters(in: .whitespaces)
        if let first = s.utf8.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || (first >= 0x30 && first <= 0x39),
           s.utf8.dropFirst().allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            return Int64(s)
        }
        let chars = Array(s.utf8)
        func number(_ from: Int, _ length: Int) -> Int? {
            guard from + length <= chars.count else { return nil }
            var v = 0
            for c in chars[from..<(from + length)] {
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard chars.count >= 10, let year = number(0, 4), chars[4] == UInt8(ascii: "-"), let month = number(5, 2),
              chars[7] == UInt8(ascii: "-"), let day = number(8, 2), (1...12).contains(month),
              (1...daysIn(month: month, year: year)).contains(day) else { return nil }
        var hour = 0, minute = 0, second = 0
        if chars.count > 10 {
            guard chars[10] == UInt8(ascii: " ") || chars[10] == UInt8(ascii: "T"), let h = number(11, 2), chars.count > 13, chars[13] == UInt8(ascii: ":"),
                  let m = number(14, 2), h < 24, m < 60 else { return nil }
            hour = h
            minute = m
            var rest = 16
            if chars.count > 16 && chars[16] == UInt8(ascii: ":") {
                guard let sec = number(17, 2), sec < 60 else { return nil }
                second = sec
                rest = 19
                if chars.count > 19 && chars[19] == UInt8(ascii: ".") {
                    rest = 20
                    while rest < chars.count && chars[rest] >= 48 && chars[rest] <= 57 { rest += 1 }
                    guard rest > 20 else { return nil }   // a fraction needs its digits
                }
            }
            if rest < chars.count {
                guard rest == chars.count - 1 && chars[rest] == UInt8(ascii: "Z") else { return nil }
            }
        }
        return days(year: year, month: month, day: day) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    /// `YYYY-MM-DD hh:mm` for a timestamp (UTC).
    public static func format(_ t: Int64) -> String {
        let c = civil(t)
        return String(format: "%04d-%02d-%02d %02d:%02d", c.year, c.month, c.day, c.hour, c.minute)
    }
}

/// Series sharing one frequency, loaded from CSV in wide or long form.
public struct TimeSeriesDataset: Sendable {
    public var series: [TimeSeries]
    public var frequency: Frequency
    /// Where the data came from (for messages).
    public var source: String

    public init(series: [TimeSeries], frequency: Frequency, source: String = "<memory>") {
        self.series = series
        self.frequency = frequency
        self.source = source
    }

    /// The timestamps of a column (rows `lines`), each parsed and checked against
    /// ``Timestamp/range``, step indices resolved to seconds; a given frequency must be valid.
    static func times(_ texts: [String], lines: [Int], frequency: Frequency?, stepIndices: Bool, source: String) throws -> [Int64] {
        if let frequency, !frequency.isValid {
            throw TimeSeriesError.invalidOption("\(source): frequency of \(frequency.seconds) s is outside 1 s … \(Frequency.maximumSeconds) s")
        }
        var times: [Int64] = []
        times.reserveCapacity(texts.count)
        for (r, text) in texts.enumerated() {
            guard let t = Timestamp.parse(text) else { throw TimeSeriesError.unparsableTimestamp(source: source, line: lines[r], text: text) }
            guard Timestamp.range.contains(t) else { throw TimeSeriesError.timestampOutOfRange(source: source, line: lines[r], text: text) }
            times.append(t)
        }
        // In range, an index times at most 366 days of seconds stays below 2⁶³.
        if stepIndices {
            guard let frequency else {
                throw TimeSeriesError.invalidOption("\(source): the timestamps are consecutive integers (step indices); give the frequency they stand for (--frequency H, D, W, M, 30min, 15T or a number of seconds)")
            }
            // In range, an index is within ±2.6·10¹¹ steps: months stay within the calendar's arithmetic.
            times = times.map { frequency.timestamp(from: 0, steps: Int($0)) }
        }
        for (r, t) in times.enumerated() where !Timestamp.range.contains(t) {
            throw TimeSeriesError.timestampOutOfRange(source: source, line: lines[r], text: texts[r] + " (step index)")
        }
        return times
    }

    /// Whether a file's timestamp columns (one per series) hold step indices: every text an
    /// integer, and within every series of two rows or more each one exactly one more than the
    /// one before (0, 1, 2, … or 17, 18, 19, …). The decision is the file's, so every series
    /// of it reads its integers the same way (a series of one row included). Other integers
    /// are seconds since 1970.
    static func areStepIndices(_ groups: [[String]]) -> Bool {
        var longest = 0
        for texts in groups {
            var previous: Int64?
            for text in texts {
                let t = text.trimmingCharacters(in: .whitespaces)
                guard let first = t.utf8.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || (0x30...0x39).contains(first),
                      t.utf8.dropFirst().allSatisfy({ (0x30...0x39).contains($0) }), let n = Int64(t) else { return false }
                if let previous, previous.addingReportingOverflow(1) != (n, false) { return false }
                previous = n
            }
            longest = Swift.max(longest, texts.count)
        }
        return longest >= 2
    }

    /// Checks a sorted column of timestamps and returns the start and frequency (inferred from the
    /// most common step when `frequency` is nil; calendar months when that step is 28 to 31 days,
    /// so a fixed interval of that many days needs an explicit frequency). Every step must equal
    /// the frequency. Calendar months are ``Frequency/monthEnd`` when the first row is a month's
    /// last day and so is the second (or the first is past day 28), else ``Frequency/monthly``,
    /// which needs a first day from 1 to 28; every row must be one month after the one before.
    static func checkTimes(_ times: [Int64], lines: [Int], frequency: Frequency?, source: String) throws -> (Int64, Frequency) {
        guard times.count >= 2 else {
            return (times.first ?? 0, frequency ?? .hourly)
        }
        var steps: [Int64: Int] = [:]
        for i in 1..<times.count {
            guard times[i] > times[i - 1] else { throw TimeSeriesError.unsortedTimestamps(source: source, line: lines[i]) }
            steps[times[i] - times[i - 1], default: 0] += 1
        }
        // The most common step (ties to the shorter, so that the choice is the file's).
        let common = steps.max { ($0.value, -$0.key) < ($1.value, -$1.key) }!.key
        if frequency?.isCalendarMonths == true || (frequency == nil && (28 * 86_400...31 * 86_400).contains(common)) {
            func isMonthEnd(_ t: Int64) -> Bool { let c = Timestamp.civil(t); return c.day == Timestamp.daysIn(month: c.month, year: c.year) }
            let firstDay = Timestamp.civil(times[0]).day
            let months: Frequency = isMonthEnd(times[0]) && (firstDay > 28 || isMonthEnd(times[1])) ? .monthEnd : .monthly
            guard months == .monthEnd || firstDay <= 28 else {
                throw TimeSeriesError.invalidOption("\(source):\(lines[0]): a monthly series starts on day \(firstDay), which not every month has: monthly series fall on days 1-28 or on month ends")
            }
            for i in 1..<times.count {
                let expected = months.timestamp(from: times[0], steps: i)
                guard times[i] == expected else { throw TimeSeriesError.irregularMonth(source: source, line: lines[i], expected: expected, found: times[i]) }
            }
            return (times[0], months)
        }
        let step = frequency.map { Int64($0.seconds) } ?? common
        guard step <= Int64(Frequency.maximumSeconds) else {
            throw TimeSeriesError.invalidOption("\(source): the timestamps advance by \(step) s, more than the longest supported interval (\(Frequency.maximumSeconds) s)")
        }
        for i in 1..<times.count where times[i] - times[i - 1] != step {
            throw TimeSeriesError.irregularSpacing(source: source, line: lines[i], expectedSeconds: Int(step), foundSeconds: times[i] - times[i - 1])
        }
        return (times[0], frequency ?? Frequency(seconds: Int(step)))
    }

    /// Wide CSV: a timestamp column and one numeric column per series (empty, `NaN`, `NA` cells are
    /// missing values).
    ///
    /// - Parameters:
    ///   - url: the CSV file.
    ///   - timestampColumn: the time column (default: the first column).
    ///   - columns: the series columns (default: every other column).
    ///   - covariates: columns every series gets as its dynamic ``Covariate``s (never series
    ///     themselves: the default series columns leave them out).
    ///   - frequency: the sampling interval (default: inferred; every step must match). A
    ///     timestamp column of consecutive integers holds step indices and needs it.
    public static func loadWide(_ url: URL, timestampColumn: String? = nil, columns: [String]? = nil, covariates: [String] = [],
                                frequency: Frequency? = nil) throws -> TimeSeriesDataset {
        let table = try CSVTable(contentsOf: url)
        guard !table.header.isEmpty else { throw TimeSeriesError.noSeries(source: url.path) }
        let timeName = timestampColumn ?? table.header[0]
        let timeTexts = try table.textColumn(named: timeName)
        let times = try times(timeTexts, lines: table.lineNumbers, frequency: frequency, stepIndices: areStepIndices([timeTexts]), source: url.path)
        let (start, freq) = try checkTimes(times, lines: table.lineNumbers, frequency: frequency, source: url.path)
        let names = columns ?? table.header.filter { $0 != timeName && !covariates.contains($0) }
        guard !names.isEmpty else { throw TimeSeriesError.noSeries(source: url.path) }
        let dynamic = try covariateColumns(covariates, of: table, series: names, source: url.path)
        let series = try names.map { name in
            TimeSeries(name: name, start: start, frequency: freq,
                       values: try TimeSeries.checkedValues(table.numericColumn(named: name), lines: table.lineNumbers, column: name, source: url.path),
                       covariates: dynamic)
        }
        return TimeSeriesDataset(series: series, frequency: freq, source: url.path)
    }

    /// Wide CSV without a timestamp column: every column (or `columns`) is a series, row k is
    /// step k at `frequency` (the series start at 0, "1970-01-01 00:00" when formatted).
    public static func loadWide(untimed url: URL, columns: [String]? = nil, covariates: [String] = [], frequency: Frequency) throws -> TimeSeriesDataset {
        guard frequency.isValid else {
            throw TimeSeriesError.invalidOption("\(url.path): frequency of \(frequency.seconds) s is outside 1 s … \(Frequency.maximumSeconds) s")
        }
        let table = try CSVTable(contentsOf: url)
        let names = columns ?? table.header.filter { !covariates.contains($0) }
        guard !names.isEmpty, !(names.count == 1 && names[0].isEmpty) else { throw TimeSeriesError.noSeries(source: url.path) }
        let dynamic = try covariateColumns(covariates, of: table, series: names, source: url.path)
        let series = try names.map { name in
            TimeSeries(name: name, start: 0, frequency: frequency,
                       values: try TimeSeries.checkedValues(table.numericColumn(named: name), lines: table.lineNumbers, column: name, source: url.path),
                       covariates: dynamic)
        }
        return TimeSeriesDataset(series: series, frequency: frequency, source: url.path)
    }

    /// The named numeric columns of a table as covariates (each named once, none a series;
    /// values checked as series values are).
    static func covariateColumns(_ names: [String], of table: CSVTable, series: [String], source: String) throws -> [Covariate] {
        if let both = names.first(where: series.contains) {
            throw TimeSeriesError.invalidOption("\(source): column '\(both)' is both a series and a covariate")
        }
        if let repeated = names.firstRepeated {
            throw TimeSeriesError.invalidOption("\(source): covariate column '\(repeated)' is named twice")
        }
        return try names.map { name in
            Covariate(name: name, values: try TimeSeries.checkedValues(table.numericColumn(named: name), lines: table.lineNumbers, column: name, source: source))
        }
    }

    /// Long CSV: one row per (series id, timestamp, value); each series sorted by time.
    public static func loadLong(_ url: URL, idColumn: String, timestampColumn: String, valueColumn: String, frequency: Frequency? = nil) throws -> TimeSeriesDataset {
        let table = try CSVTable(contentsOf: url)
        let ids = try table.textColumn(named: idColumn)
        let timeTexts = try table.textColumn(named: timestampColumn)
        let values = try TimeSeries.checkedValues(table.numericColumn(named: valueColumn), lines: table.lineNumbers, column: valueColumn, source: url.path)
        var order: [String] = []
        var rows: [String: [Int]] = [:]
        for (r, id) in ids.enumerated() {
            if rows[id] == nil { order.append(id) }
            rows[id, default: []].append(r)
        }
        guard !order.isEmpty else { throw TimeSeriesError.noSeries(source: url.path) }
        var loaded: [String: TimeSeries] = [:]
        var commonFrequency = frequency
        // The longest series first, so the frequency is inferred from the most steps (a series of
        // one row has none to infer from), then the file's order.
        let stepIndices = areStepIndices(order.map { id in rows[id]!.map { timeTexts[$0] } })
        for id in order.sorted(by: { rows[$0]!.count > rows[$1]!.count }) {
            let indices = rows[id]!
            let times = try times(indices.map { timeTexts[$0] }, lines: indices.map { table.lineNumbers[$0] }, frequency: commonFrequency, stepIndices: stepIndices, source: url.path)
            let (start, freq) = try checkTimes(times, lines: indices.map { table.lineNumbers[$0] }, frequency: commonFrequency, source: url.path)
            commonFrequency = freq
            loaded[id] = TimeSeries(name: id, start: start, frequency: freq, values: indices.map { values[$0] })
        }
        return TimeSeriesDataset(series: order.map { loaded[$0]! }, frequency: commonFrequency!, source: url.path)
    }
}
