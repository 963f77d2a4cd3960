import DiffuseTensor
import Foundation

/// What a conditional TSDiff model reads beside the series, as channels of every window step:
/// calendar features of the step's timestamp (``CalendarFeature``, in [−0.5, 0.5]), a holiday
/// indicator, standardised dynamic covariates, and static attributes of the series.
///
/// - Calendar features and the holiday indicator are functions of the timestamp, known over the
///   whole window, context and horizon.
/// - A covariate is standardised with the mean and standard deviation of its observed values in
///   the training part of the series (fitted once by ``fitted(calendar:holidays:covariates:knownFuture:attributes:series:trainingEnd:)``
///   and stored in the model's configuration, so forecasts use the training's scaling). A
///   covariate *known in the future* (a calendar-driven flag, a weather forecast) is read over the
///   whole window; any other only over the context, and is 0 over the horizon, in training as in
///   forecasting, so the model never learns to expect what it will not have. A missing value is 0
///   (the covariate's training mean).
///
/// - A static attribute (``StaticAttributes``) is the same on every step of a series: a numeric
///   one standardised over the series of the training data (each series counted once), a
///   categorical one as one indicator channel per category seen in training (1 on the series'
///   category, 0 on the others). A missing value is 0 on every channel of the attribute.
///
/// The channels follow this order: calendar features, the holiday indicator, covariates, static
/// attributes.
public struct SeriesConditioning: Codable, Hashable, Sendable {
    /// A covariate channel: the covariate's name in the series, whether the model reads it over
    /// the horizon, and its standardisation.
    public struct CovariateChannel: Codable, Hashable, Sendable {
        public var name: String
        public var knownFuture: Bool
        public var mean: Double
        public var standardDeviation: Double

        public init(name: String, knownFuture: Bool, mean: Double = 0, standardDeviation: Double = 1) {
            self.name = name
            self.knownFuture = knownFuture
            self.mean = mean
            self.standardDeviation = standardDeviation
        }
    }

    /// A static attribute's channels and how a value is encoded on them.
    public struct AttributeChannel: Codable, Hashable, Sendable {
        public enum Encoding: Codable, Hashable, Sendable {
            /// One channel, (v − mean)/standardDeviation.
            case numeric(mean: Double, standardDeviation: Double)
            /// One indicator channel per category, in this order.
            case categorical(categories: [String])
        }

        public var name: String
        public var encoding: Encoding

        public init(name: String, encoding: Encoding) {
            self.name = name
            self.encoding = encoding
        }

        /// The largest standardised value a numeric attribute may take: 10⁴ training standard
        /// deviations from the training mean (anything further is an error in the data or its units).
        public static let largestStandardised = 1e4

        /// The number of channels.
        public var channels: Int {
            switch encoding {
            case .numeric: return 1
            case .categorical(let categories): return categories.count
            }
        }

        /// The channel values of a cell (all 0 when missing), or nil for a value the encoding
        /// cannot take: a numeric attribute's text that is not a decimal number, a category not
        /// seen in training.
        public func encoded(_ cell: String) -> [Float]? {
            if StaticAttributes.isMissing(cell) { return [Float](repeating: 0, count: channels) }
            switch encoding {
            case let .numeric(mean, deviation):
                guard let v = DecimalNumber.parse(cell), case let z = (v - mean) / deviation, Swift.abs(z) <= AttributeChannel.largestStandardised else { return nil }
                return [Float(z)]
            case .categorical(let categories):
                guard let k = categories.firstIndex(of: cell) else { return nil }
                var values = [Float](repeating: 0, count: categories.count)
                values[k] = 1
                return values
            }
        }
    }

    public var calendar: [CalendarFeature]
    /// The dates of the holiday indicator channel, as days since 1970-01-01, sorted and without
    /// repeats (kept so when set; nil: no holiday channel). The channel is 0.5 on a step that covers a listed date (for steps of a
    /// day or longer, any of the days up to the next step; for shorter steps, the step's date),
    /// −0.5 otherwise.
    public var holidays: [Int64]? {
        didSet { if let days = holidays, !days.isStrictlyIncreasing { holidays = Array(Set(days)).sorted() } }
    }
    public var covariates: [CovariateChannel]
    public var attributes: [AttributeChannel]

    public init(calendar: [CalendarFeature] = [], holidays: HolidayCalendar? = nil, covariates: [CovariateChannel] = [], attributes: [AttributeChannel] = []) {
        self.calendar = calendar
        self.holidays = holidays.map { $0.days.sorted() }
        self.covariates = covariates
        self.attributes = attributes
    }

    enum CodingKeys: String, CodingKey {
        case calendar, holidays, covariates, attributes
    }

    /// Reads a conditioning; one saved before static attributes existed has none.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        calendar = try c.decode([CalendarFeature].self, forKey: .calendar)
        holidays = try c.decodeIfPresent([Int64].self, forKey: .holidays)
        covariates = try c.decode([CovariateChannel].self, forKey: .covariates)
        attributes = try c.decodeIfPresent([AttributeChannel].self, forKey: .attributes) ?? []
    }

    /// No conditioning: the unconditional TSDiff.
    public static let unconditional = SeriesConditioning()

    /// The number of conditioning channels F.
    public var channels: Int { calendar.count + (holidays == nil ? 0 : 1) + covariates.count + attributeChannels }

    /// The channels of the static attributes together.
    public var attributeChannels: Int { attributes.reduce(0) { $0 + $1.channels } }

    /// The most covariates a configuration may name.
    public static let maximumCovariates = 64
    /// The most categories a categorical static attribute may have.
    public static let maximumCategories = 256
    /// The most channels the static attributes of a conditioning may make together.
    public static let maximumAttributeChannels = 1024
    /// The most holiday dates a configuration may list.
    public static let maximumHolidays = 1_000_000

    /// The holiday calendar of the indicator channel.
    public var holidayCalendar: HolidayCalendar? { holidays.map { HolidayCalendar(days: Set($0)) } }

    /// A conditioning whose covariates are standardised on the observed values of
    /// `series[i][0..<trainingEnd[i]]` (every series together; a covariate with no observed or
    /// only constant values there gets mean 0 or its value, and standard deviation 1), and whose
    /// static attributes (``TimeSeries/attributes``) are encoded from the series' values: numeric
    /// when every present value is a decimal number (standardised over the series, each counted
    /// once, as covariates are), else categorical with the sorted distinct values as categories.
    ///
    /// - Throws: ``TimeSeriesError/invalidOption(_:)`` when a series lacks a named covariate or
    ///   attribute, `knownFuture` names a covariate not in `covariates`, a name repeats, or a
    ///   categorical attribute has more than ``maximumCategories`` values.
    public static func fitted(calendar: [CalendarFeature] = [], holidays: HolidayCalendar? = nil, covariates names: [String], knownFuture: Set<String> = [],
                              attributes attributeNames: [String] = [], series: [TimeSeries], trainingEnd: [Int]? = nil) throws -> SeriesConditioning {
        if let stray = knownFuture.sorted().first(where: { !names.contains($0) }) {
            throw TimeSeriesError.invalidOption("the known-future covariate '\(stray)' is not among the covariates (\(names.isEmpty ? "none" : names.joined(separator: ", ")))")
        }
        if let repeated = names.firstRepeated {
            throw TimeSeriesError.invalidOption("covariate '\(repeated)' is named twice")
        }
        if let repeated = attributeNames.firstRepeated {
            throw TimeSeriesError.invalidOption("static attribute '\(repeated)' is named twice")
        }
        var conditioning = SeriesConditioning(calendar: calendar, holidays: holidays,
                                              covariates: names.map { CovariateChannel(name: $0, knownFuture: knownFuture.contains($0)) },
                                              attributes: try attributeNames.map { try fittedAttribute($0, series: series) })
        guard conditioning.attributeChannels <= maximumAttributeChannels else {
            throw TimeSeriesError.invalidOption("the static attributes \(conditioning.attributes.map { "'\($0.name)' (\($0.channels))" }.joined(separator: ", ")) make \(conditioning.attributeChannels) channels, more than \(maximumAttributeChannels): use fewer categories")
        }
        let ends = trainingEnd ?? series.map(\.count)
        guard ends.count == series.count else {
            throw TimeSeriesError.invalidOption("\(ends.count) training ends for \(series.count) series")
        }
        for s in series { try conditioning.check(s) }
        for (k, name) in names.enumerated() {
            // The observed values before each series' training end (every series has the covariate: checked above).
            let values = zip(series, ends).flatMap { s, end -> [Double] in
                let covariate = s.covariate(named: name)!
                return (0..<Swift.max(0, Swift.min(end, covariate.values.count))).filter { covariate.observed[$0] }.map { covariate.values[$0] }
            }
            (conditioning.covariates[k].mean, conditioning.covariates[k].standardDeviation) = standardisation(of: values)
        }
        return conditioning
    }

    /// The mean and sample standard deviation of `values`: mean 0 when there are none (or it
    /// overflows), standard deviation 1 when it is 0 or not finite.
    static func standardisation(of values: [Double]) -> (mean: Double, standardDeviation: Double) {
        let n = Double(values.count)
        let mean = n > 0 ? values.reduce(0, +) / n : 0
        let squares = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        let deviation = n > 1 ? (squares / (n - 1)).squareRoot() : 0
        return (mean.isFinite ? mean : 0, deviation > 0 && deviation.isFinite ? deviation : 1)
    }

    /// The encoding of the static attribute `name` of `series` (see ``fitted(calendar:holidays:covariates:knownFuture:attributes:series:trainingEnd:)``).
    static func fittedAttribute(_ name: String, series: [TimeSeries]) throws -> AttributeChannel {
        var present: [(series: String, cell: String)] = []
        for s in series {
            guard let cell = s.attributes[name] else { throw missingAttribute(name, of: s) }
            if !StaticAttributes.isMissing(cell) { present.append((s.name, cell)) }
        }
        let parsed = present.map { DecimalNumber.parse($0.cell) }
        let numbers = parsed.compactMap { $0 }
        if numbers.count == present.count {
            if let k = numbers.firstIndex(where: { Swift.abs($0) > TimeSeries.maximumMagnitude }) {
                throw TimeSeriesError.invalidOption("series '\(present[k].series)': static attribute '\(name)' is \(present[k].cell.prefix(40)), beyond ±\(TimeSeries.maximumMagnitude), the largest magnitude the arithmetic handles (rescale it)")
            }
            let (mean, deviation) = standardisation(of: numbers)
            return AttributeChannel(name: name, encoding: .numeric(mean: mean, standardDeviation: deviation))
        }
        // Mostly numbers with a few other cells is more likely a typo than a categorical attribute.
        if 2 * numbers.count > present.count, let k = parsed.firstIndex(where: { $0 == nil }) {
            let text = present[k]
            throw TimeSeriesError.invalidOption("series '\(text.series)': static attribute '\(name)' is '\(text.cell.prefix(40))' where \(numbers.count) of \(present.count) series hold a decimal number: write numbers only for a numeric attribute, or codes that are not numbers for a categorical one")
        }
        let categories = Array(Set(present.map(\.cell))).sorted()
        guard categories.count <= maximumCategories else {
            throw TimeSeriesError.invalidOption("static attribute '\(name)' has \(categories.count) categories, more than \(maximumCategories) (a numeric attribute must hold decimal numbers only)")
        }
        return AttributeChannel(name: name, encoding: .categorical(categories: categories))
    }

    static func missingAttribute(_ name: String, of series: TimeSeries) -> TimeSeriesError {
        let present = series.attributes.keys.sorted()
        return .invalidOption("series '\(series.name)' has no static attribute '\(name)' (it has \(present.isEmpty ? "none" : present.joined(separator: ", "))): every series needs each attribute the model reads, from the static-attribute file's row for the series")
    }

    /// Throws ``TimeSeriesError/invalidOption(_:)`` naming the series and the covariate or
    /// attribute when `series` lacks a covariate or static attribute this conditioning reads, or
    /// has an attribute value its encoding cannot take (text for a numeric attribute, a
    /// category not seen in training).
    public func check(_ series: TimeSeries) throws {
        for channel in covariates where series.covariate(named: channel.name) == nil {
            let present = series.covariates.map(\.name)
            throw TimeSeriesError.invalidOption("series '\(series.name)' has no covariate '\(channel.name)' (it has \(present.isEmpty ? "none" : present.joined(separator: ", "))): a model reads the covariates it was trained with")
        }
        for attribute in attributes {
            guard let cell = series.attributes[attribute.name] else { throw Self.missingAttribute(attribute.name, of: series) }
            guard attribute.encoded(cell) == nil else { continue }
            switch attribute.encoding {
            case let .numeric(mean, deviation):
                throw TimeSeriesError.invalidOption("series '\(series.name)': static attribute '\(attribute.name)' is '\(cell.prefix(40))', where the model reads a number within \(AttributeChannel.largestStandardised) training standard deviations of the training mean (v − \(mean))/\(deviation)")
            case .categorical(let categories):
                let shown = categories.prefix(8).map { "'\($0)'" }.joined(separator: ", ") + (categories.count > 8 ? ", …" : "")
                throw TimeSeriesError.invalidOption("series '\(series.name)': static attribute '\(attribute.name)' is '\(cell.prefix(40))', a category the model was not trained on (it knows \(shown))")
            }
        }
    }

    /// Throws ``TimeSeriesError/invalidOption(_:)`` naming the field for a conditioning no model
    /// can have (from a hand-edited `config.json`): repeated calendar features, more than
    /// ``maximumCovariates`` covariates or ``maximumHolidays`` dates, dates outside
    /// `Timestamp.range` or not strictly increasing, a non-finite mean or a standard deviation that is not positive and finite.
    public func validate() throws {
        func fail(_ text: String) -> TimeSeriesError { .invalidOption("model configuration: field 'layout.conditioning.\(text)") }
        guard Set(calendar).count == calendar.count else { throw fail("calendar' repeats a feature: \(calendar.map(\.rawValue))") }
        guard covariates.count <= Self.maximumCovariates else { throw fail("covariates' holds \(covariates.count) covariates, more than \(Self.maximumCovariates)") }
        if let holidays {
            guard holidays.count <= Self.maximumHolidays else { throw fail("holidays' lists \(holidays.count) dates, more than \(Self.maximumHolidays)") }
            let days = (Timestamp.range.lowerBound / 86_400)...(Timestamp.range.upperBound / 86_400)
            if let bad = holidays.first(where: { !days.contains($0) }) { throw fail("holidays' holds day \(bad), outside years 1–9999") }
            guard holidays.isStrictlyIncreasing else { throw fail("holidays' is not sorted and free of repeats") }
        }
        for (k, c) in covariates.enumerated() {
            guard c.mean.isFinite else { throw fail("covariates[\(k)].mean' = \(c.mean) must be finite") }
            guard c.standardDeviation.isFinite, c.standardDeviation > 0 else {
                throw fail("covariates[\(k)].standardDeviation' = \(c.standardDeviation) must be positive and finite")
            }
        }
        guard attributes.count <= StaticAttributes.maximumAttributes else {
            throw fail("attributes' holds \(attributes.count) attributes, more than \(StaticAttributes.maximumAttributes)")
        }
        for (k, a) in attributes.enumerated() {
            guard !attributes[..<k].contains(where: { $0.name == a.name }) else { throw fail("attributes[\(k)].name' repeats '\(a.name)'") }
            switch a.encoding {
            case let .numeric(mean, deviation):
                guard mean.isFinite else { throw fail("attributes[\(k)].encoding.numeric.mean' = \(mean) must be finite") }
                guard deviation.isFinite, deviation > 0 else { throw fail("attributes[\(k)].encoding.numeric.standardDeviation' = \(deviation) must be positive and finite") }
            case .categorical(let categories):
                guard !categories.isEmpty, categories.count <= Self.maximumCategories else {
                    throw fail("attributes[\(k)].encoding.categorical.categories' holds \(categories.count) categories, not 1 to \(Self.maximumCategories)")
                }
                guard Set(categories).count == categories.count else { throw fail("attributes[\(k)].encoding.categorical.categories' repeats a category") }
                if let bad = categories.first(where: { StaticAttributes.isMissing($0) }) {
                    throw fail("attributes[\(k)].encoding.categorical.categories' holds '\(bad)', a missing-value marker")
                }
            }
        }
    }

    /// The conditioning of `count` steps of `series` from index `first` (which may run past
    /// either end of the series: calendar channels follow the frequency, covariates there are 0),
    /// row-major `[count][channels]`. Covariates not known in the future are 0 from
    /// `forecastStart` on. The series must have every covariate and static attribute, with values
    /// the encodings take (``check(_:)``).
    public func rows(_ series: TimeSeries, from first: Int, count: Int, forecastStart: Int) -> [Float] {
        let f = channels
        guard f > 0 else { return [] }
        var rows = [Float](repeating: 0, count: count * f)
        let columns = covariates.map { series.covariate(named: $0.name)! }
        // The static attributes' channels, the same on every step.
        let statics = attributes.flatMap { $0.encoded(series.attributes[$0.name]!)! }
        for t in 0..<count {
            let i = first + t
            let timestamp = series.timestamp(at: i)
            let civil = Timestamp.civil(timestamp)
            var k = t * f
            for feature in calendar {
                rows[k] = Float(feature.value(of: civil))
                k += 1
            }
            if let holidays {
                rows[k] = Self.coversListedDate(timestamp, next: series.timestamp(at: i + 1), holidays) ? 0.5 : -0.5
                k += 1
            }
            for (channel, column) in zip(covariates, columns) {
                if channel.knownFuture || i < forecastStart, let v = column.value(at: i) {
                    rows[k] = Float((v - channel.mean) / channel.standardDeviation)
                }
                k += 1
            }
            for v in statics {
                rows[k] = v
                k += 1
            }
        }
        return rows
    }

    /// Whether the step from `timestamp` to `next` covers a date of `sortedDays`: the step's date
    /// for steps shorter than a day, else any day from the step's to the one before the next
    /// step's.
    static func coversListedDate(_ timestamp: Int64, next: Int64, _ sortedDays: [Int64]) -> Bool {
        let first = Self.day(of: timestamp)
        let last = next - timestamp >= 86_400 ? Swift.max(first, Self.day(of: next) - 1) : first
        // The first listed day not before `first` (binary search).
        var low = 0, high = sortedDays.count
        while low < high {
            let middle = (low + high) / 2
            if sortedDays[middle] < first { low = middle + 1 } else { high = middle }
        }
        return low < sortedDays.count && sortedDays[low] <= last
    }

    /// Days since 1970-01-01 of a timestamp's UTC date.
    static func day(of timestamp: Int64) -> Int64 {
        let (q, r) = timestamp.quotientAndRemainder(dividingBy: 86_400)
        return r < 0 ? q - 1 : q
    }
}

extension Array where Element == Int64 {
    /// Whether every element is larger than the one before.
    var isStrictlyIncreasing: Bool { indices.dropFirst().allSatisfy { self[$0 - 1] < self[$0] } }
}

extension Array where Element: Hashable {
    /// The first element that equals one before it, if any.
    var firstRepeated: Element? {
        var seen = Set<Element>()
        return first { !seen.insert($0).inserted }
    }
}
