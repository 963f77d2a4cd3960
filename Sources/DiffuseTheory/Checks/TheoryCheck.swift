import Foundation

/// The outcome of one theory check: a published (or derived) claim, where it comes from, the
/// setup, what theory expects, what was measured, and whether the measurement agrees.
public struct TheoryCheckResult: Codable, Sendable {
    public var check: String
    public var claim: String
    public var source: String
    public var setup: String
    public var expected: String
    public var measured: String
    public var pass: Bool
    public var seconds: Double

    public init(check: String, claim: String, source: String, setup: String, expected: String, measured: String, pass: Bool, seconds: Double = 0) {
        self.check = check
        self.claim = claim
        self.source = source
        self.setup = setup
        self.expected = expected
        self.measured = measured
        self.pass = pass
        self.seconds = seconds
    }
}

/// A figure a check produced: a file name and an SVG document.
public struct TheoryFigure: Sendable {
    public var name: String
    public var svg: String

    public init(name: String, svg: String) {
        self.name = name
        self.svg = svg
    }
}

/// Measurements a check writes out for analysis beyond its table rows: a file name and CSV text
/// with a header line.
public struct TheoryDataFile: Sendable {
    public var name: String
    public var csv: String

    public init(name: String, csv: String) {
        self.name = name
        self.csv = csv
    }
}

/// What a check returns: its result rows, figures and data files.
public struct TheoryCheckReport: Sendable {
    public var results: [TheoryCheckResult]
    public var figures: [TheoryFigure]
    public var dataFiles: [TheoryDataFile]

    public init(results: [TheoryCheckResult], figures: [TheoryFigure] = [], dataFiles: [TheoryDataFile] = []) {
        self.results = results
        self.figures = figures
        self.dataFiles = dataFiles
    }
}

/// How much work a check does: `quick` runs every check in a few minutes on 2 cores, `full`
/// uses the papers' sizes where they are affordable.
public enum CheckEffort: String, Codable, Sendable, CaseIterable {
    case quick, full
}

/// A reproducible theory check.
public protocol TheoryCheck {
    /// The identifier used by `theory-checks --check NAME`.
    var name: String { get }
    /// One line on what is checked.
    var summary: String { get }
    /// Whether `theory-checks --quick` without `--check` runs it (default: yes).
    var runsInQuickSuite: Bool { get }
    func run(effort: CheckEffort, seed: UInt64) throws -> TheoryCheckReport
}

extension TheoryCheck {
    public var runsInQuickSuite: Bool { true }
}

/// Formats a number for a results table.
func format(_ x: Double, _ digits: Int = 3) -> String {
    if x == 0 { return "0" }
    if !x.isFinite { return "\(x)" }
    let magnitude = Swift.abs(x)
    return magnitude >= 1e-3 && magnitude < 1e5 ? String(format: "%.\(digits)f", x) : String(format: "%.\(digits)e", x)
}

/// Times a closure.
func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let start = Date()
    let value = try body()
    return (value, Date().timeIntervalSince(start))
}
