import DiffuseTensor
import DiffuseTimeSeries
import Foundation

/// The benchmark's results: one row per dataset with the test CRPS of every method that
/// `forecast` scored, the method it chose on validation windows, and the peers' scores.
struct BenchmarkTable {
    enum Outcome {
        /// Test CRPS per method in the forecast's order, and the validation choice.
        case scored(methods: [(name: String, crps: Double)], chosen: (method: String, crps: Double)?)
        case failed(String)
        case notRun(String)

        /// forecast's `--json` output, as far as the table reads it.
        private struct Results: Decodable {
            struct Scores: Decodable { var crps: Double? }
            struct Choice: Decodable { var method: String; var crps: Double? }
            var methods: [String: Scores]
            var chosen: Choice?
            var seconds: Double?
        }

        /// Parses forecast's `--json` output and the run time it reports (`"seconds"`); anything
        /// else is a failed outcome naming `source`.
        static func parse(json data: Data, source: String) -> (outcome: Outcome, seconds: Double?) {
            guard let results = try? JSONDecoder().decode(Results.self, from: data) else {
                return (.failed("\(source): not forecast's JSON results"), nil)
            }
            // Dictionaries lose the order of keys: the table orders methods by name groups.
            let scores = results.methods.map { ($0.key, $0.value.crps ?? .nan) }.sorted { BenchmarkTable.order($0.0, $1.0) }
            return (.scored(methods: scores, chosen: results.chosen.map { ($0.method, $0.crps ?? .nan) }), results.seconds)
        }
    }

    struct Row {
        var dataset: ForecastBenchmark.Dataset
        var outcome: Outcome
        var seconds: Double?

        var summary: String {
            switch outcome {
            case .scored(let methods, let chosen):
                let best = methods.filter { $0.crps.isFinite }.min { $0.crps < $1.crps }
                return "chosen \(chosen.map { "\($0.method) \(format($0.crps))" } ?? "none"); best \(best.map { "\($0.name) \(format($0.crps))" } ?? "none")"
            case .failed(let text): return "failed: \(text)"
            case .notRun(let text): return "not run: \(text)"
            }
        }
    }

    var rows: [Row]
    /// Peers' test CRPS: dataset name → method → CRPS.
    var peers: [String: [String: Double]]

    /// TSDiff rows first, then the seasonal-naive family, then the rest, by name within a group.
    static func order(_ a: String, _ b: String) -> Bool {
        func group(_ name: String) -> Int { name.hasPrefix("tsdiff") ? 0 : name.contains("seasonal-naive") ? 1 : name.contains("+") ? 3 : 2 }
        return (group(a), a) < (group(b), b)
    }

    /// Reads `{dataset: {method: crps}}`.
    static func readPeers(_ url: URL) throws -> [String: [String: Double]] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TimeSeriesError.invalidOption("\(url.path): cannot read the peers' scores: \(error.localizedDescription)")
        }
        do {
            return try JSONDecoder().decode([String: [String: Double]].self, from: data)
        } catch {
            throw TimeSeriesError.invalidOption("\(url.path): not {dataset: {method: crps}}: \(error)")
        }
    }

    /// Every method of the forecast rows, in table order, then the peers' methods.
    var columns: (own: [String], peers: [String]) {
        var own: [String] = []
        for row in rows {
            if case .scored(let methods, _) = row.outcome {
                for m in methods where !own.contains(m.name) { own.append(m.name) }
            }
        }
        own.sort(by: Self.order)
        let peerNames = Set(peers.values.flatMap(\.keys)).sorted()
        return (own, peerNames)
    }

    /// The comparisons the benchmark is judged by: the chosen method against every
    /// seasonal-naive baseline, Holt–Winters and each peer.
    func verdicts() -> [String] {
        var beatsNaive = 0, beatsHoltWinters = 0, scored = 0
        var beatsPeer: [String: Int] = [:]
        for row in rows {
            guard case .scored(let methods, let chosen?) = row.outcome, chosen.crps.isFinite else { continue }
            scored += 1
            let naive = methods.filter { $0.name.contains("seasonal-naive") && !$0.name.contains("+") }
            // A chosen baseline ties itself: it does not count as beating the family.
            if !naive.contains(where: { $0.name == chosen.method }) && naive.allSatisfy({ chosen.crps < $0.crps }) { beatsNaive += 1 }
            if let hw = methods.first(where: { $0.name == "holt-winters" }), chosen.crps < hw.crps { beatsHoltWinters += 1 }
            for (peer, crps) in peers[row.dataset.name] ?? [:] where chosen.crps < crps { beatsPeer[peer, default: 0] += 1 }
        }
        var lines = ["The method chosen on validation beats every seasonal-naive baseline (plain and bootstrapped, every season) on \(beatsNaive) of \(scored) datasets, Holt–Winters on \(beatsHoltWinters) of \(scored)."]
        for peer in columns.peers {
            let compared = rows.filter { row in
                if case .scored(_, let c?) = row.outcome, c.crps.isFinite, peers[row.dataset.name]?[peer] != nil { return true }
                return false
            }.count
            lines.append("It beats \(peer) on \(beatsPeer[peer] ?? 0) of \(compared) datasets.")
        }
        return lines
    }

    func markdown() -> String {
        let (own, peerNames) = columns
        var lines = ["| dataset | series | chosen on validation | chosen: test CRPS | " + (own + peerNames).joined(separator: " | ") + " | time |",
                     "|" + String(repeating: "---|", count: 5 + own.count + peerNames.count)]
        for row in rows {
            let head = "| \(row.dataset.name) | \(row.dataset.targets.count) | "
            switch row.outcome {
            case .scored(let methods, let chosen):
                let scores = own.map { name in methods.first { $0.name == name }?.crps } + peerNames.map { peers[row.dataset.name]?[$0] }
                let best = scores.compactMap { $0 }.filter(\.isFinite).min()
                let cells = scores.map { score -> String in
                    guard let score else { return "" }
                    return score == best ? "**\(format(score))**" : format(score)
                }
                lines.append(head + "\(chosen?.method ?? "") | \(chosen.map { format($0.crps) } ?? "") | " + cells.joined(separator: " | ")
                             + " | \(row.seconds.map(ProgressLine.duration) ?? "") |")
            case .failed(let text), .notRun(let text):
                lines.append(head + text.replacingOccurrences(of: "|", with: "/") + " |" + String(repeating: " |", count: 2 + own.count + peerNames.count))
            }
        }
        return (lines + [""] + verdicts()).joined(separator: "\n")
    }

    func json() -> String {
        func number(_ x: Double?) -> String { x.map { $0.isFinite ? String(format: "%.6g", $0) : "null" } ?? "null" }
        func quoted(_ s: String) -> String {
            (try? String(decoding: JSONEncoder().encode(s), as: UTF8.self)) ?? "\"\""
        }
        let entries = rows.map { row -> String in
            switch row.outcome {
            case .scored(let methods, let chosen):
                let scores = methods.map { "\(quoted($0.name)): \(number($0.crps))" }.joined(separator: ", ")
                let chosenText = chosen.map { "{\"method\": \(quoted($0.method)), \"crps\": \(number($0.crps))}" } ?? "null"
                return "\(quoted(row.dataset.name)): {\"crps\": {\(scores)}, \"chosen\": \(chosenText), \"seconds\": \(number(row.seconds))}"
            case .failed(let text):
                return "\(quoted(row.dataset.name)): {\"failed\": \(quoted(text))}"
            case .notRun(let text):
                return "\(quoted(row.dataset.name)): {\"not_run\": \(quoted(text))}"
            }
        }
        return "{\(entries.joined(separator: ",\n "))}\n"
    }

    func write(to folder: URL) throws {
        try AtomicFile.write(Data((markdown() + "\n").utf8), to: folder.appendingPathComponent("benchmark.md"))
        try AtomicFile.write(Data(json().utf8), to: folder.appendingPathComponent("benchmark.json"))
    }
}

private func format(_ x: Double) -> String { x.isFinite ? String(format: "%.4f", x) : "—" }
