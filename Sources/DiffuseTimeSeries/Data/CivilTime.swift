/// Timestamps as calendar dates: UTC throughout, in the proleptic Gregorian calendar, with no time
/// zones and no daylight saving (a day is always 86 400 s; a series in local time with DST shifts
/// is read as UTC and its spacing checked as such).
extension Timestamp {
    /// A date and time of day.
    public struct Civil: Equatable, Sendable {
        public var year: Int
        /// 1…12.
        public var month: Int
        /// 1…31.
        public var day: Int
        public var hour: Int
        public var minute: Int
        public var second: Int

        public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
            self.year = year
            self.month = month
            self.day = day
            self.hour = hour
            self.minute = minute
            self.second = second
        }

        /// Day of the week, Monday 0 … Sunday 6.
        public var weekday: Int {
            let d = Timestamp.days(year: year, month: month, day: day)
            return Int(((d % 7) + 7 + 3) % 7)   // 1970-01-01 was a Thursday (3)
        }

        /// Day of the year, 1…366.
        public var dayOfYear: Int {
            Int(Timestamp.days(year: year, month: month, day: day) - Timestamp.days(year: year, month: 1, day: 1)) + 1
        }

        /// The ISO 8601 week of the year, 1…53 (weeks start on Monday; week 1 holds the year's
        /// first Thursday, so 1–3 January may be in the previous year's last week and 29–31
        /// December in the next year's week 1).
        public var isoWeek: Int {
            let week = (dayOfYear - (weekday + 1) + 10) / 7
            if week < 1 { return Self.isoWeeks(in: year - 1) }
            if week > Self.isoWeeks(in: year) { return 1 }
            return week
        }

        /// 53 when the year starts on a Thursday, or on a Wednesday in a leap year; else 52.
        static func isoWeeks(in year: Int) -> Int {
            let first = Civil(year: year, month: 1, day: 1).weekday
            return first == 3 || (first == 2 && Timestamp.daysIn(month: 2, year: year) == 29) ? 53 : 52
        }
    }

    /// Days since 1970-01-01 of a date (Hinnant's `days_from_civil`: years start in March so that
    /// the leap day comes last; 400-year eras of 146 097 days). Years within ±10¹² (every
    /// `civil(_:)` of an `Int64` is).
    public static func days(year: Int, month: Int, day: Int) -> Int64 {
        precondition(abs(year) <= 1_000_000_000_000 && (1...12).contains(month) && (1...31).contains(day), "a date with year within ±10¹², month 1…12 and day 1…31")
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return Int64(era * 146_097 + doe - 719_468)
    }

    /// The date and time of a timestamp (seconds since 1970-01-01 00:00 UTC; Hinnant's
    /// `civil_from_days` for the date).
    public static func civil(_ t: Int64) -> Civil {
        let (quotient, remainder) = t.quotientAndRemainder(dividingBy: 86_400)
        let days = remainder < 0 ? quotient - 1 : quotient
        let seconds = Int(remainder < 0 ? remainder + 86_400 : remainder)
        let z = Int(days) + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return Civil(year: yoe + era * 400 + (month <= 2 ? 1 : 0), month: month, day: day,
                     hour: seconds / 3600, minute: seconds % 3600 / 60, second: seconds % 60)
    }
}
