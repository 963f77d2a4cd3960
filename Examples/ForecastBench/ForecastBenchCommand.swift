import ArgumentParser
import DiffuseTensor
import DiffuseTimeSeries
import Foundation

/// `forecast-bench`: the default forecasting pipeline on every dataset of a benchmark manifest.
///
/// For each dataset it runs `forecast --data FILE --columns TARGETS --windows W --train --json`
/// (the documented defaults, no tuning flags) in its own process, keeps the process's log and
/// outputs in `OUT/NAME/`, and tabulates the test CRPS of every method, the method chosen on
/// validation windows, and optionally the peers' figures from the reference script.
@main
struct ForecastBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forecast-bench",
        abstract: "Run `forecast --data F --train` on every dataset of a benchmark and tabulate the scores.",
        discussion: """
        The manifest (default Datasets/timeseries/benchmark.json) lists each dataset's CSV file, the columns to \
        forecast and the test windows. Results go to OUT/NAME/ (the forecast's log.txt, results.json, forecasts.csv \
        and charts) and OUT/benchmark.md and OUT/benchmark.json. The peers' figures (statsforecast AutoETS, GluonTS \
        DeepAR) come from Examples/Forecast/Reference/peers.py, run on the same windows, via --peers.
        """)

    @Option(help: "Benchmark manifest (JSON).")
    var manifest: String?
    @Option(help: "Comma-separated dataset names to run (default: all).")
    var only: String?
    @Option(help: "Output folder.")
    var out: String = "forecast-bench-output"
    @Option(help: "Time budget in minutes: no dataset starts after it has run out (the rest are listed as not run).")
    var budgetMinutes: Double?
    @Option(help: "Training steps passed to forecast (default: forecast's own default).")
    var trainSteps: Int?
    @Option(help: "Validation windows passed to forecast as --validation-windows (default: forecast's own, the dataset's test windows).")
    var validationWindows: Int?
    @Option(help: "Random seed passed to forecast.")
    var seed: UInt64 = 0
    @Option(help: "The forecast executable (default: the one beside this executable).")
    var forecast: String?
    @Option(help: "JSON of the peers' scores written by Examples/Forecast/Reference/peers.py ({dataset: {method: crps}}).")
    var peers: String?
    @Flag(help: "Keep the results of datasets whose OUT/NAME/results.json exists instead of running them again.")
    var resume = false
    @Option(help: "What the models read beside the series: none (TSDiff's unconditional model), calendar (--calendar auto and the dataset's holidays), covariates (the dataset's covariates, known-future as the manifest says), or all.")
    var conditioning: Conditioning = .none

    enum Conditioning: String, ExpressibleByArgument { case none, calendar, covariates, all }

    /// The forecast options of `conditioning` for a dataset.
    func conditioningArguments(_ dataset: ForecastBenchmark.Dataset, folder: URL) -> [String] {
        var arguments: [String] = []
        if conditioning == .calendar || conditioning == .all {
            arguments += ["--calendar", "auto"]
            if let holidays = dataset.holidays { arguments += ["--holidays", folder.appendingPathComponent(holidays).path] }
        }
        if (conditioning == .covariates || conditioning == .all) && !dataset.covariates.isEmpty {
            arguments += ["--covariates", dataset.covariates.joined(separator: ",")]
            if let known = dataset.knownFuture, !known.isEmpty { arguments += ["--known-future", known.joined(separator: ",")] }
        }
        return arguments
    }

    func validate() throws {
        if let budgetMinutes, !(budgetMinutes > 0 && budgetMinutes <= 100_000) {
            throw ValidationError("--budget-minutes must be in (0, 100000] (got \(budgetMinutes))")
        }
        if let trainSteps, !(1...10_000_000).contains(trainSteps) {
            throw ValidationError("--train-steps must be in 1…10000000 (got \(trainSteps))")
        }
        if let validationWindows, !(1...10_000).contains(validationWindows) {
            throw ValidationError("--validation-windows must be in 1…10000 (got \(validationWindows))")
        }
    }

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    func run() throws {
        let started = Date()
        let manifestURL = manifest.map { URL(fileURLWithPath: $0) }
            ?? Self.repositoryRoot.appendingPathComponent("Datasets/timeseries/benchmark.json")
        let benchmark = try ForecastBenchmark.load(manifestURL)
        var datasets = benchmark.datasets
        if let only {
            let names = only.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            for name in names where !datasets.contains(where: { $0.name == name }) {
                throw ValidationError("--only: no dataset '\(name)' in \(manifestURL.path) (it has \(datasets.map(\.name).joined(separator: ", ")))")
            }
            datasets = datasets.filter { names.contains($0.name) }
        }
        let peerScores = try peers.map { try BenchmarkTable.readPeers(URL(fileURLWithPath: $0)) } ?? [:]
        let executable = forecast.map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("forecast")
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw ValidationError("no forecast executable at \(executable.path) (build it: swift build -c release --product forecast; or give --forecast)")
        }
        let outURL = URL(fileURLWithPath: out)
        try AtomicFile.createFolder(at: outURL)

        var rows: [BenchmarkTable.Row] = []
        for (k, dataset) in datasets.enumerated() {
            let folder = outURL.appendingPathComponent(dataset.name)
            let resultsURL = folder.appendingPathComponent("results.json")
            if resume, let data = try? Data(contentsOf: resultsURL) {
                let (outcome, seconds) = BenchmarkTable.Outcome.parse(json: data, source: resultsURL.path)
                rows.append(BenchmarkTable.Row(dataset: dataset, outcome: outcome, seconds: seconds))
                continue
            }
            if let budgetMinutes, Date().timeIntervalSince(started) > budgetMinutes * 60 {
                rows.append(BenchmarkTable.Row(dataset: dataset, outcome: .notRun("the time budget had run out")))
                continue
            }
            try AtomicFile.createFolder(at: folder)
            var arguments = ["--data", manifestURL.deletingLastPathComponent().appendingPathComponent(dataset.file).path,
                             "--columns", dataset.targets.joined(separator: ","), "--windows", String(benchmark.windows(of: dataset)),
                             "--train", "--json", "--seed", String(seed), "--out", folder.path]
            if let trainSteps { arguments += ["--train-steps", String(trainSteps)] }
            if let validationWindows { arguments += ["--validation-windows", String(validationWindows)] }
            arguments += conditioningArguments(dataset, folder: manifestURL.deletingLastPathComponent())
            FileHandle.standardError.write(Data("[\(k + 1)/\(datasets.count)] \(dataset.name): forecast \(arguments.joined(separator: " "))\n".utf8))
            let t0 = Date()
            let outcome = try Self.runForecast(executable, arguments: arguments, log: folder.appendingPathComponent("log.txt"))
            let row = BenchmarkTable.Row(dataset: dataset, outcome: outcome, seconds: Date().timeIntervalSince(t0))
            FileHandle.standardError.write(Data("[\(k + 1)/\(datasets.count)] \(dataset.name): \(row.summary) in \(ProgressLine.duration(row.seconds ?? 0))\n".utf8))
            rows.append(row)
            // The table so far, so that an interrupted run keeps what it measured.
            try BenchmarkTable(rows: rows, peers: peerScores).write(to: outURL)
        }
        let table = BenchmarkTable(rows: rows, peers: peerScores)
        try table.write(to: outURL)
        print(table.markdown())
        print("(\(ProgressLine.duration(Date().timeIntervalSince(started))); tables in \(outURL.appendingPathComponent("benchmark.md").path) and benchmark.json)")
    }

    /// Runs forecast with its standard error going to `log`; the outcome is its JSON on
    /// standard output, or the last line of the log when it fails.
    static func runForecast(_ executable: URL, arguments: [String], log: URL) throws -> BenchmarkTable.Outcome {
        guard FileManager.default.createFile(atPath: log.path, contents: nil) else {
            throw TimeSeriesError.invalidOption("cannot create \(log.path)")
        }
        let logHandle = try FileHandle(forWritingTo: log)
        defer { try? logHandle.close() }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = logHandle
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            let last = text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).last.map(String.init) ?? "no output"
            return .failed("exit status \(process.terminationStatus): \(last)")
        }
        return BenchmarkTable.Outcome.parse(json: data, source: "forecast's output").outcome
    }
}
