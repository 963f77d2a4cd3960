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
        discussion: "Checks: " + TheoryChecks.all.map { "\(type(of: $0).name) (\(type(of: $0).summary))" }.joined(separator: "; "))

    @Option(help: "Run one check (\(TheoryChecks.names.joined(separator: ", "))); default: all.")
    var check: String?
    @Flag(help: "Quick mode: every check in a few minutes on 2 cores.")
    var quick = false
    @Option(help: "Random seed.")
    var seed: UInt64 = 0
    @Option(help: "Output folder for the SVG figures and results.json.")
    var out: String = "theory-output"
    @Flag(help: "Print the results as a JSON array.")
    var json = false

    func validate() throws {
        if let check, !TheoryChecks.names.contains(check) {
            throw ValidationError("unknown check '\(check)'; choose one of \(TheoryChecks.names.joined(separator: ", "))")
        }
    }

    func run() throws {
        let outURL = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: outURL, withIntermediateDirectories: true)
        let effort: CheckEffort = quick ? .quick : .full
        var results: [TheoryCheckResult] = []
        let started = Date()
        for c in TheoryChecks.all where check == nil || type(of: c).name == check {
            let name = type(of: c).name
            FileHandle.standardError.write(Data("running \(name)…\n".utf8))
            let t0 = Date()
            let report = try c.run(effort: effort, seed: seed)
            results += report.results
            for figure in report.figures {
                try AtomicFile.write(Data(figure.svg.utf8), to: outURL.appendingPathComponent(figure.name + ".svg"))
            }
            FileHandle.standardError.write(Data("  \(name): \(report.results.filter(\.pass).count)/\(report.results.count) passed in \(String(format: "%.1f", Date().timeIntervalSince(t0))) s\n".utf8))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(results)
        try AtomicFile.write(data, to: outURL.appendingPathComponent("results.json"))
        if json {
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(ResultsTable(results).text())
            print(String(format: "%d of %d checks passed in %.1f s (%@ mode); figures and results.json in %@",
                         results.filter(\.pass).count, results.count, Date().timeIntervalSince(started), effort.rawValue, outURL.path))
        }
        if results.contains(where: { !$0.pass }) { throw ExitCode(1) }
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
