/// A calendar feature of a timestamp, scaled to [−0.5, 0.5] as GluonTS's `time_feature` module
/// does (so that models trained with GluonTS's features see the same inputs): a field with values
/// 0…n − 1 becomes field/(n − 1) − 0.5 (hour of day: hour/23 − 0.5; day of week, Monday 0:
/// weekday/6 − 0.5; day of month: (day − 1)/30 − 0.5; day of year: (day − 1)/365 − 0.5; month:
/// (month − 1)/11 − 0.5; ISO week: (week − 1)/52 − 0.5).
///
/// Timestamps are UTC with no daylight saving (`Timestamp.Civil`).
public enum CalendarFeature: String, CaseIterable, Codable, Sendable {
    case secondOfMinute, minuteOfHour, hourOfDay, dayOfWeek, dayOfMonth, dayOfYear, monthOfYear, weekOfYear

    /// The feature at a timestamp (seconds since 1970 UTC).
    public func value(at timestamp: Int64) -> Double {
        value(of: Timestamp.civil(timestamp))
    }

    /// The feature of a date and time.
    public func value(of c: Timestamp.Civil) -> Double {
        func scaled(_ field: Int, _ largest: Int) -> Double { Double(field) / Double(largest) - 0.5 }
        switch self {
        case .secondOfMinute: return scaled(c.second, 59)
        case .minuteOfHour: return scaled(c.minute, 59)
        case .hourOfDay: return scaled(c.hour, 23)
        case .dayOfWeek: return scaled(c.weekday, 6)
        case .dayOfMonth: return scaled(c.day - 1, 30)
        case .dayOfYear: return scaled(c.dayOfYear - 1, 365)
        case .monthOfYear: return scaled(c.month - 1, 11)
        case .weekOfYear: return scaled(c.isoWeek - 1, 52)
        }
    }

    /// The features that vary within the seasons of a frequency (GluonTS's
    /// `time_features_from_frequency_str`): under a minute, second to day of year; minutes, minute
    /// of hour to day of year; hours, hour of day, day of week, day of month and day of year;
    /// days, the last three; weeks, day of month and week of year; longer intervals, the month.
    public static func defaults(for frequency: Frequency) -> [CalendarFeature] {
        switch frequency.seconds {
        case ..<60: return [.secondOfMinute, .minuteOfHour, .hourOfDay, .dayOfWeek, .dayOfMonth, .dayOfYear]
        case ..<3600: return [.minuteOfHour, .hourOfDay, .dayOfWeek, .dayOfMonth, .dayOfYear]
        case ..<86_400: return [.hourOfDay, .dayOfWeek, .dayOfMonth, .dayOfYear]
        case ..<604_800: return [.dayOfWeek, .dayOfMonth, .dayOfYear]
        case ..<(28 * 86_400): return [.dayOfMonth, .weekOfYear]
        default: return [.monthOfYear]
        }
    }

    /// The features of `count` consecutive steps of `frequency` from `start`, one row per step
    /// ([count][features.count]).
    public static func rows(_ features: [CalendarFeature], start: Int64, frequency: Frequency, count: Int) -> [[Double]] {
        (0..<count).map { i in
            let civil = Timestamp.civil(frequency.timestamp(from: start, steps: i))
            return features.map { $0.value(of: civil) }
        }
    }
}
