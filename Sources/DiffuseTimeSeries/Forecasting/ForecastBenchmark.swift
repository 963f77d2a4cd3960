import Foundation
import DiffuseNN

/// A benchmark of real series: which CSV files, which of their columns are the series to
/// forecast and which are covariates, and how many test windows each gets. Read from JSON
/// (`Datasets/timeseries/benchmark.json`):
///
/// ```json
/// {"datasets": [{"name": "traffic", "file": "traffic.csv", "targets": ["volume"],
///                "covariates": ["temp", "holiday"], "knownFuture": ["holiday"],
///                "holidays": "holidays/us.csv", "windows": 4}],
///  "windows": 7}
/// ```
///
/// `file` and `holidays` (a holiday calendar, optional) are relative to the manifest's folder;
/// `knownFuture` (optional) names the covariates known over the horizon; a dataset's `windows`
/// overrides the top-level one. Names are unique and made of letters, digits, `-` and `_` (they
/// name output folders).
public struct ForecastBenchmark: Codable, Sendable, Equatable {
    public struct Dataset: Codable, Sendable, Equatable {
        public var name: String
        public var file: String
        /// The columns to forecast.
        public var targets: [String]
        /// Columns known alongside the targets (`forecast --covariates`).
        public var covariates: [String]
        /// The covariates known over the forecast horizon too (`forecast --known-future`).
        public var knownFuture: [String]?
        /// A holiday calendar of the series' country (`forecast --holidays`).
        public var holidays: String?
        public var windows: Int?

        public init(name: String, file: String, targets: [String], covariates: [String] = [], knownFuture: [String]? = nil, holidays: String? = nil,
                    windows: Int? = nil) {
            self.name = name
            self.file = file
            self.targets = targets
            self.covariates = covariates
            self.knownFuture = knownFuture
            self.holidays = holidays
            self.windows = windows
        }
    }

    public var datasets: [Dataset]
    /// Test windows per dataset unless the dataset gives its own.
    public var windows: Int

    /// The largest window count a dataset may ask for.
    public static let maximumWindows = 1000

    public init(datasets: [Dataset], windows: Int = 7) {
        self.datasets = datasets
        self.windows = windows
    }

    /// Reads and checks a manifest. Errors name the file and the field.
    public static func load(_ url: URL) throws -> ForecastBenchmark {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TimeSeriesError.invalidOption("\(url.path): cannot read the benchmark manifest: \(error.localizedDescription)")
        }
        return try decode(data, source: url.path)
    }

    /// Decodes and checks a manifest's bytes; `source` names it in errors.
    public static func decode(_ data: Data, source: String) throws -> ForecastBenchmark {
        let manifest: ForecastBenchmark
        if let key = JSONRepeatedKeys.first(in: data) {
            throw TimeSeriesError.invalidOption("\(source): not a benchmark manifest: key '\(key.prefix(100))' appears twice in one object")
        }
        do { manifest = try JSONDecoder().decode(ForecastBenchmark.self, from: data) } catch let error as DecodingError {
            throw TimeSeriesError.invalidOption("\(source): not a benchmark manifest: \(Self.describe(error))")
        }
        try manifest.validate(source: source)
        return manifest
    }

    /// Throws ``TimeSeriesError/invalidOption(_:)`` naming the field: no datasets, a name that
    /// is empty, repeated or not made of letters, digits, `-` and `_`, a file or holidays path
    /// that is empty, absolute or leaves the manifest's folder, a known-future name that is not
    /// a covariate, no targets, a column named twice or
    /// containing a comma, a window count outside 1…``maximumWindows``.
    public func validate(source: String) throws {
        func fail(_ field: String, _ text: String) -> TimeSeriesError { .invalidOption("\(source): field '\(field)': \(text)") }
        guard !datasets.isEmpty else { throw fail("datasets", "no datasets") }
        guard (1...Self.maximumWindows).contains(windows) else { throw fail("windows", "\(windows) is outside 1…\(Self.maximumWindows)") }
        var names = Set<String>()
        for (i, d) in datasets.enumerated() {
            let field = "datasets[\(i)]"
            let allowed = d.name.unicodeScalars.allSatisfy { ($0.isASCII && (CharacterSet.alphanumerics.contains($0))) || $0 == "-" || $0 == "_" }
            guard !d.name.isEmpty, d.name.count <= 100, allowed else {
                throw fail("\(field).name", "'\(d.name.prefix(100))' must be 1–100 letters, digits, '-' or '_'")
            }
            guard names.insert(d.name).inserted else { throw fail("\(field).name", "'\(d.name)' appears twice") }
            for (key, path) in [("file", d.file), ("holidays", d.holidays)] {
                guard let path else { continue }
                let parts = path.split(separator: "/", omittingEmptySubsequences: false)
                guard !path.isEmpty, !path.hasPrefix("/"), !parts.contains(".."), !parts.contains(""), !path.contains("\0") else {
                    throw fail("\(field).\(key)", "'\(path.prefix(200))' must be a relative path inside the manifest's folder")
                }
            }
            for name in d.knownFuture ?? [] where !d.covariates.contains(name) {
                throw fail("\(field).knownFuture", "'\(name.prefix(100))' is not among the covariates")
            }
            guard !d.targets.isEmpty else { throw fail("\(field).targets", "no columns to forecast") }
            var columns = Set<String>()
            for c in d.targets + d.covariates {
                guard !c.isEmpty else { throw fail("\(field)", "an empty column name") }
                guard !c.contains(",") else { throw fail("\(field)", "column '\(c.prefix(100))' contains a comma (forecast's --columns separates names by commas)") }
                guard columns.insert(c).inserted else { throw fail("\(field)", "column '\(c.prefix(100))' is named twice") }
            }
            if let w = d.windows, !(1...Self.maximumWindows).contains(w) {
                throw fail("\(field).windows", "\(w) is outside 1…\(Self.maximumWindows)")
            }
        }
    }

    /// The test windows of `dataset`.
    public func windows(of dataset: Dataset) -> Int { dataset.windows ?? windows }

    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [CodingKey]) -> String {
            let parts: [String] = keys.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }
            return String(parts.joined().drop(while: { $0 == "." }))
        }
        switch error {
        case .keyNotFound(let key, let context): return "field '\(path(context.codingPath + [key]))' is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "field '\(path(context.codingPath))': \(context.debugDescription)"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not JSON (\(context.debugDescription))" : "field '\(path(context.codingPath))': \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
