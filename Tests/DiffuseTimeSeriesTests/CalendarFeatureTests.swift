import DiffuseTimeSeries
import Foundation
import XCTest

/// Calendar features against hand-computed dates (UTC, no daylight saving), leap years included.
final class CalendarFeatureTests: XCTestCase {
    func t(_ text: String) -> Int64 { Timestamp.parse(text)! }

    func testCivilDatesWeekdaysAndISOWeeks() {
        // (timestamp, year, month, day, hour, minute, second, weekday Monday 0, day of year, ISO week)
        let cases: [(String, Int, Int, Int, Int, Int, Int, Int, Int, Int)] = [
            ("1970-01-01 00:00:00", 1970, 1, 1, 0, 0, 0, 3, 1, 1),           // a Thursday
            ("2024-02-29 13:45:10", 2024, 2, 29, 13, 45, 10, 3, 60, 9),      // leap day, a Thursday
            ("2024-12-31 23:59:59", 2024, 12, 31, 23, 59, 59, 1, 366, 1),    // leap year's day 366, ISO week 1 of 2025
            ("2023-12-31 12:00", 2023, 12, 31, 12, 0, 0, 6, 365, 52),        // a Sunday
            ("2021-01-03", 2021, 1, 3, 0, 0, 0, 6, 3, 53),                   // still ISO week 53 of 2020
            ("2020-12-31", 2020, 12, 31, 0, 0, 0, 3, 366, 53),
            ("2000-03-01", 2000, 3, 1, 0, 0, 0, 2, 61, 9),                   // 2000 is a leap year
            ("1900-03-01", 1900, 3, 1, 0, 0, 0, 3, 60, 9),                   // 1900 is not
            ("1969-12-31 23:59:59", 1969, 12, 31, 23, 59, 59, 2, 365, 1),    // before the epoch: a Wednesday
            ("0001-01-01", 1, 1, 1, 0, 0, 0, 0, 1, 1),                       // proleptic Gregorian: a Monday
        ]
        for (text, y, m, d, hh, mm, ss, weekday, dayOfYear, week) in cases {
            let c = Timestamp.civil(t(text))
            XCTAssertEqual(c, Timestamp.Civil(year: y, month: m, day: d, hour: hh, minute: mm, second: ss), text)
            XCTAssertEqual(c.weekday, weekday, text)
            XCTAssertEqual(c.dayOfYear, dayOfYear, text)
            XCTAssertEqual(c.isoWeek, week, text)
            XCTAssertEqual(Timestamp.days(year: y, month: m, day: d) * 86_400 + Int64(hh * 3600 + mm * 60 + ss), t(text), text)
        }
        // Extreme timestamps do not trap.
        XCTAssertGreaterThan(Timestamp.civil(.max).year, 292_000_000_000)
        XCTAssertLessThan(Timestamp.civil(.min).year, -292_000_000_000)
    }

    func testFeatureScalingAsGluonTS() {
        let noon = t("2024-02-29 12:30:15")   // Thursday, day 60, ISO week 9
        XCTAssertEqual(CalendarFeature.hourOfDay.value(at: noon), 12.0 / 23 - 0.5)
        XCTAssertEqual(CalendarFeature.minuteOfHour.value(at: noon), 30.0 / 59 - 0.5)
        XCTAssertEqual(CalendarFeature.secondOfMinute.value(at: noon), 15.0 / 59 - 0.5)
        XCTAssertEqual(CalendarFeature.dayOfWeek.value(at: noon), 3.0 / 6 - 0.5)
        XCTAssertEqual(CalendarFeature.dayOfMonth.value(at: noon), 28.0 / 30 - 0.5)
        XCTAssertEqual(CalendarFeature.dayOfYear.value(at: noon), 59.0 / 365 - 0.5)
        XCTAssertEqual(CalendarFeature.monthOfYear.value(at: noon), 1.0 / 11 - 0.5)
        XCTAssertEqual(CalendarFeature.weekOfYear.value(at: noon), 8.0 / 52 - 0.5)
        // The ends of each range.
        XCTAssertEqual(CalendarFeature.hourOfDay.value(at: t("2024-01-01 23:00")), 0.5)
        XCTAssertEqual(CalendarFeature.dayOfWeek.value(at: t("2024-01-07")), 0.5)      // a Sunday
        XCTAssertEqual(CalendarFeature.dayOfYear.value(at: t("2024-12-31")), 0.5)      // day 366 of a leap year
        XCTAssertEqual(CalendarFeature.monthOfYear.value(at: t("2024-01-15")), -0.5)
        // Rows step with the frequency: 25 hours from Sunday 23:00.
        let rows = CalendarFeature.rows([.hourOfDay, .dayOfWeek], start: t("2024-01-07 23:00"), frequency: .hourly, count: 26)
        XCTAssertEqual(rows[0], [0.5, 0.5])
        XCTAssertEqual(rows[1], [-0.5, -0.5])
        XCTAssertEqual(rows[25], [-0.5, 1.0 / 6 - 0.5])
    }

    func testDefaultsFollowTheFrequency() {
        XCTAssertEqual(CalendarFeature.defaults(for: .seconds(10)).first, .secondOfMinute)
        XCTAssertEqual(CalendarFeature.defaults(for: .minutes(30)), [.minuteOfHour, .hourOfDay, .dayOfWeek, .dayOfMonth, .dayOfYear])
        XCTAssertEqual(CalendarFeature.defaults(for: .hourly), [.hourOfDay, .dayOfWeek, .dayOfMonth, .dayOfYear])
        XCTAssertEqual(CalendarFeature.defaults(for: .seconds(7200)), [.hourOfDay, .dayOfWeek, .dayOfMonth, .dayOfYear])
        XCTAssertEqual(CalendarFeature.defaults(for: .daily), [.dayOfWeek, .dayOfMonth, .dayOfYear])
        XCTAssertEqual(CalendarFeature.defaults(for: .weekly), [.dayOfMonth, .weekOfYear])
        XCTAssertEqual(CalendarFeature.defaults(for: .seconds(30 * 86_400)), [.monthOfYear])
    }

    func testHolidayCalendar() throws {
        let calendar = try HolidayCalendar(text: "# US\n2024-01-01,New Year's Day\r\n\n2024-07-04 , Independence Day\n1969-12-31\n", source: "holidays.txt")
        XCTAssertEqual(calendar.days.count, 3)
        XCTAssertTrue(calendar.contains(t("2024-07-04 18:00")))
        XCTAssertFalse(calendar.contains(t("2024-07-05 00:00")))
        XCTAssertTrue(calendar.contains(t("1969-12-31 23:59:59")))
        XCTAssertEqual(calendar.value(at: t("2024-01-01 03:00")), 0.5)
        XCTAssertEqual(calendar.value(at: t("2024-01-02 03:00")), -0.5)
        for (text, line) in [("2024-01-01\n2024-02-30\n", 2), ("\n\nJan 1\n", 3), ("1700000000\n", 1), ("2024-13-01", 1), ("2024-1-01", 1)] {
            XCTAssertThrowsError(try HolidayCalendar(text: text, source: "h.txt")) { error in
                XCTAssertTrue("\(error)".hasPrefix("h.txt:\(line):"), "\(error)")
            }
        }
        XCTAssertThrowsError(try HolidayCalendar(contentsOf: URL(fileURLWithPath: "/nonexistent/holidays.txt"))) {
            XCTAssertTrue("\($0)".contains("/nonexistent/holidays.txt"), "\($0)")
        }
    }
}
