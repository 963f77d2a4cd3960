import ArgumentParser
import DiffuseTensor
import DiffuseTheory
import Foundation

/// `theory-checks`: published claims about diffusion and flow models, checked against
/// measurements on synthetic distributions with exact scores.
@main
struct TheoryChecksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "theory-checks",
        abstract: "Check published claims about diffusion and flow models against measurements on synthetic distributions.",
        discussion: "Checks: " + TheoryChecks.all.map { "\($0.name) (\($0.summary))" }.joined(separator: "; "))

    @Option(help: "Run one check (\(TheoryChecks.names.joined(separator: ", "))); default: all.")
    var check: String?
    @Flag(help: "Quick mode: smaller sizes, every check but hallucination-2d in under 3 minutes on 2 cores.")
    var quick = false
    @Option(help: "Random seed.")
    var seed: UInt64 = 0
    @Option(help: "Output folder for the SVG figures, results.json, the saved networks and per-sample CSV files.")
    var out: String = "theory-output"
    @Flag(help: "Print the results as a JSON array.")
    var json = false

    @Option(help: "solver-orders: dimension of the Gaussian data.")
    var solverDimension = 8
    @Option(help: "molrg: ambient dimension n (the paper's 48).")
    var ambientDimension = 48
    @Option(help: "molrg: trials per (d, N) cell (default: 4 quick, 20 full).")
    var trials: Int?
    @Option(help: "hallucination: comma-separated 1-D mode positions (the paper's 1,2,3).")
    var modes = "1,2,3"
    @Option(help: "hallucination, hallucination-2d: per-mode standard deviation before normalisation (the paper's 0.05).")
    var modeStandardDeviation = 0.05
    @Option(help: "hallucination, hallucination-2d: training samples (default: the paper's 20000 in 1-D, 100000 in 2-D).")
    var trainingSamples: Int?
    @Option(help: "hallucination, hallucination-2d: training steps (default: 8000 quick; full: the paper's 20000 in 1-D, 100000 in 2-D).")
    var trainingSteps: Int?
    @Option(help: "hallucination, hallucination-2d: training batch size (default: 512 quick; full: the paper's 10000).")
    var trainingBatchSize: Int?
    @Option(help: "hallucination, hallucination-2d: Adam learning rate (default: 3e-3 quick; full: the paper's 1e-3).")
    var learningRate: Double?
    @Option(help: "hallucination, hallucination-2d: learning-rate schedule, constant or cosine (decay to 0) (default: cosine quick; full: the paper's constant).")
    var learningRateSchedule: HallucinationCheck.LearningRateDecay?
    @Option(help: "hallucination, hallucination-2d: draw training steps as ⌊T·u^p⌋ with this p (default: 1, uniform as the paper; 3 helps short 2-D trainings).")
    var timeExponent: Double?
    @Option(help: "hallucination, hallucination-2d: samples drawn (default: 20000 quick; full: 100000).")
    var samples: Int?
    @Option(help: ArgumentHelp("hallucination, hallucination-2d (with --check): evaluate the network saved by an earlier run instead of training one.",
                               discussion: "Every run saves its trained network into OUT/<check>-model; Examples/TheoryChecks/Checkpoints/hallucination-2d holds the 2-D network trained at the paper's budget.", valueName: "folder"))
    var model: String?
    @Option(help: ArgumentHelp("hallucination, hallucination-2d (with --check): continue training the network saved by an earlier run (by the training options, fresh Adam state) instead of starting from a new initialisation.", valueName: "folder"))
    var continueFrom: String?
    @Option(help: "low-rank-w2: intrinsic dimension d.")
    var intrinsicDimension = 4

    func validate() throws {
        if let check, !TheoryChecks.names.contains(check) {
            throw ValidationError("unknown check '\(check)'; choose one of \(TheoryChecks.names.joined(separator: ", "))")
        }
        if model != nil && !["hallucination", "hallucination-2d"].contains(check ?? "") {
            throw ValidationError("--model needs --check hallucination or --check hallucination-2d (the network of one check)")
        }
        if continueFrom != nil && !["hallucination", "hallucination-2d"].contains(check ?? "") {
            throw ValidationError("--continue-from needs --check hallucination or --check hallucination-2d (the network of one check)")
        }
        if model != nil && continueFrom != nil { throw ValidationError("give --model (evaluate a saved network) or --continue-from (train it further), not both") }
        if try modePositions().count < 2 { throw ValidationError("--modes needs at least two positions, got '\(modes)'") }
        // Each count has a documented range: beyond it a check would not fit in memory or time
        // (the dimensions enter d² and d(d + 1) products).
        for (value, option, limit) in [(solverDimension, "--solver-dimension", 4096), (ambientDimension, "--ambient-dimension", 4096),
                                       (intrinsicDimension, "--intrinsic-dimension", 1024), (trials ?? 1, "--trials", 100_000),
                                       (trainingSamples ?? 1, "--training-samples", 10_000_000), (trainingSteps ?? 1, "--training-steps", 10_000_000),
                                       (trainingBatchSize ?? 1, "--training-batch-size", 65_536), (samples ?? 1, "--samples", 10_000_000)]
        where !(1...limit).contains(value) {
            throw ValidationError("\(option) must be in 1…\(limit), got \(value)")
        }
        for (value, option) in [(learningRate, "--learning-rate"), (timeExponent, "--time-exponent"), (modeStandardDeviation, "--mode-standard-deviation")] as [(Double?, String)]
        where value.map({ !($0 > 0) || !$0.isFinite }) ?? false {
            throw ValidationError("\(option) must be positive and finite, got \(value!)")
        }
    }

    func modePositions() throws -> [Double] {
        try modes.split(separator: ",").map { text in
            guard let x = DecimalNumber.parse(text.trimmingCharacters(in: .whitespaces)), Swift.abs(x) <= 1e6 else {
                throw ValidationError("--modes: '\(text)' is not a decimal number within ±1e6")
            }
            return x
        }
    }

    /// The checks with the command-line parameters applied.
    func configuredChecks() throws -> [any TheoryCheck] {
        try TheoryChecks.all.map { check -> any TheoryCheck in
            switch check {
            case var c as SolverOrderCheck:
                c.dimension = solverDimension
                return c
            case var c as SubspaceRecoveryCheck:
                c.ambientDimension = ambientDimension
                c.trials = trials
                return c
            case var c as HallucinationCheck:
                if case .line = c.layout { c.layout = .line(try modePositions()) }
                c.standardDeviation = modeStandardDeviation
                if let trainingSamples { c.trainingSamples = trainingSamples }
                c.trainingSteps = trainingSteps
                c.trainingBatchSize = trainingBatchSize
                c.learningRate = learningRate
                c.learningRateDecay = learningRateSchedule
                let line = ProgressLine(label: "  training \(c.name)")
                c.trainingProgress = { done, total, loss in line.update(done, of: total, detail: "loss \(String(format: "%.4f", loss))") }
                if let timeExponent { c.timeSampling = .powerSteps(exponent: timeExponent) }
                c.samples = samples
                c.modelFolder = URL(fileURLWithPath: out).appendingPathComponent("\(c.name)-model")
                c.trainedModel = model.map { URL(fileURLWithPath: $0) }
                c.initialModel = continueFrom.map { URL(fileURLWithPath: $0) }
                return c
            case var c as LowRankSampleComplexityCheck:
                c.intrinsicDimension = intrinsicDimension
                return c
            default:
                return check
            }
        }
    }

    func run() throws {
        let outURL = URL(fileURLWithPath: out)
        try AtomicFile.createFolder(at: outURL)
        let effort: CheckEffort = quick ? .quick : .full
        var results: [TheoryCheckResult] = []
        let started = Date()
        for c in try configuredChecks() where check == nil ? (!quick || c.runsInQuickSuite) : c.name == check {
            let name = c.name
            FileHandle.standardError.write(Data("running \(name)…\n".utf8))
            let t0 = Date()
            let report = try c.run(effort: effort, seed: seed)
            results += report.results
            for figure in report.figures {
                try AtomicFile.write(Data(figure.svg.utf8), to: outURL.appendingPathComponent(figure.name + ".svg"))
            }
            for file in report.dataFiles {
                try AtomicFile.write(Data(file.csv.utf8), to: outURL.appendingPathComponent(file.name + ".csv"))
            }
            FileHandle.standardError.write(Data("  \(name): \(report.results.filter(\.pass).count)/\(report.results.count) passed in \(String(format: "%.1f", Date().timeIntervalSince(t0))) s\n".utf8))
            // Rows are printed and saved as each check finishes, so a long full run shows (and
            // keeps) what it has measured so far.
            if !json { print(ResultsTable(report.results).text()) }
            try save(results, to: outURL)
        }
        let data = try save(results, to: outURL)
        if json {
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(String(format: "%d of %d checks passed in %.1f s (%@ mode); figures and results.json in %@",
                         results.filter(\.pass).count, results.count, Date().timeIntervalSince(started), effort.rawValue, outURL.path))
        }
        if results.contains(where: { !$0.pass }) { throw ExitCode(1) }
    }

    /// Writes `results.json` atomically and returns its bytes.
    @discardableResult
    func save(_ results: [TheoryCheckResult], to folder: URL) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(results)
        try AtomicFile.write(data, to: folder.appendingPathComponent("results.json"))
        return data
    }
}

/// The results as a table: check, claim, expected, measured, pass.
struct ResultsTable {
    var results: [TheoryCheckResult]

    init(_ results: [TheoryCheckResult]) { self.results = results }

    func text() -> String {
        var lines: [String] = []
        for r in results {
            lines.append("[\(r.pass ? "PASS" : "FAIL")] \(r.check): \(r.claim)")
            lines.append("       source:   \(r.source)")
            lines.append("       setup:    \(r.setup)")
            lines.append("       expected: \(r.expected)")
            lines.append("       measured: \(r.measured)\(r.seconds > 0 ? String(format: "  (%.1f s)", r.seconds) : "")")
        }
        return lines.joined(separator: "\n")
    }
}

extension HallucinationCheck.LearningRateDecay: ExpressibleByArgument {}

