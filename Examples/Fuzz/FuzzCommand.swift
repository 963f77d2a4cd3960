import ArgumentParser
import DiffuseTensor
import Foundation
import _DiffuseFuzzing
import DiffuseTimeSeries

/// `diffuse-fuzz`: the readers under a seeded mutation fuzzer, supervised.
///
/// The parent starts a child process per stretch of inputs. The child runs them in-process and
/// writes each input's index to a pipe before running it; the parent records a crash (the child
/// dies of a signal) or a hang (no new index within `--timeout` seconds, the child is killed) at
/// the last index, and starts a new child after it. Input `i` of a target depends only on the
/// seed and `i`, so every finding is reproduced with `--write-input`.
@main
struct FuzzCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diffuse-fuzz",
        abstract: "Runs the package's readers on mutated inputs and reports crashes, hangs and wrong values.",
        discussion: "Targets: \(FuzzTarget.all.map(\.name).joined(separator: ", ")). Example: diffuse-fuzz --seconds 600 --out fuzz-results")

    @Option(help: "Comma-separated targets (default: all).")
    var targets: String?

    @Option(help: "Total time budget in seconds, shared equally by the targets.")
    var seconds: Double = 60

    @Option(help: "At most this many inputs per target (default: as many as the time allows).")
    var inputs: Int?

    @Option(help: "Fuzzer seed (the same seed gives the same inputs).")
    var seed: UInt64 = 1

    @Option(help: "Seconds without progress after which an input counts as a hang.")
    var timeout: Double = 2

    @Option(help: "Folder for results.json and the inputs that crashed, hung or were read wrong.")
    var out: String?

    @Option(help: "Write input INDEX of --targets (one target) to this file and exit (reproduces a finding).")
    var writeInput: String?

    @Option(help: "The input index for --write-input.")
    var index: Int = 0

    @Flag(help: .hidden)
    var child = false

    /// Saves a small TSDiff checkpoint into this folder again and again, with new weights each
    /// time, until killed: the test of interrupted writes kills it at random moments.
    @Option(help: .hidden)
    var checkpointWriter: String?

    @Option(help: .hidden)
    var start: Int = 0

    @Option(help: .hidden)
    var deadline: Double = 0

    @Option(help: .hidden)
    var report: String?

    func validate() throws {
        guard seconds > 0, seconds.isFinite, seconds <= 7 * 86_400 else { throw ValidationError("--seconds must be in (0, 604800] (got \(seconds))") }
        guard timeout > 0, timeout.isFinite, timeout <= 3600 else { throw ValidationError("--timeout must be in (0, 3600] (got \(timeout))") }
        if let inputs, !(1...1_000_000_000).contains(inputs) { throw ValidationError("--inputs must be in 1…1000000000 (got \(inputs))") }
        guard index >= 0, start >= 0 else { throw ValidationError("--index must be non-negative") }
        _ = try selectedTargets()
    }

    func selectedTargets() throws -> [FuzzTarget] {
        guard let targets else { return FuzzTarget.all }
        return try targets.split(separator: ",").map { name in
            guard let t = FuzzTarget.named(String(name)) else {
                throw ValidationError("unknown target '\(name)'; targets are \(FuzzTarget.all.map(\.name).joined(separator: ", "))")
            }
            return t
        }
    }

    func run() throws {
        if let checkpointWriter {
            try writeCheckpointsForever(to: URL(fileURLWithPath: checkpointWriter))
        }
        let chosen = try selectedTargets()
        if let writeInput {
            guard chosen.count == 1 else { throw ValidationError("--write-input needs exactly one target in --targets") }
            try AtomicFile.write(Fuzzer(seeds: chosen[0].seeds, seed: seed).input(index), to: URL(fileURLWithPath: writeInput))
            return
        }
        if child {
            try runChild(chosen[0])
            return
        }
        try supervise(chosen)
    }

    /// In the child: inputs from `start` until `deadline` (Unix time) or `inputs`, each index
    /// written to standard output first; the tally goes to `report`.
    func runChild(_ target: FuzzTarget) throws {
        defer { FuzzTarget.removeScratch() }
        // Let an input that allocates without bound fail here (a crash the parent records)
        // rather than exhaust the machine: 8 GiB of address space.
        var limit = rlimit(rlim_cur: 8 << 30, rlim_max: 8 << 30)
        _ = setrlimit(RLIMIT_AS_VALUE, &limit)
        let end = inputs.map { start + $0 } ?? Int.max
        var tally = FuzzTally()
        var next = start
        while next < end && Date().timeIntervalSince1970 < deadline {
            let stop = Swift.min(end, next + 64)
            let part = FuzzTally.run(target, seed: seed, range: next..<stop, before: { i in
                var value = Int64(i).littleEndian
                _ = withUnsafeBytes(of: &value) { Foundation.write(1, $0.baseAddress, 8) }
            }, found: { index, difference in
                // Each finding goes to its own file at once, so a later crash of this child loses none.
                guard let report, let line = try? JSONSerialization.data(withJSONObject: ["index": "\(index)", "difference": difference]) else { return }
                let path = report + ".wrong"
                if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
                guard let handle = FileHandle(forWritingAtPath: path) else { return }
                handle.seekToEndOfFile()
                handle.write(line + Data("\n".utf8))
                try? handle.synchronize()
                try? handle.close()
            })
            tally.inputs += part.inputs
            tally.accepted += part.accepted
            tally.refused += part.refused
            next = stop
        }
        let object: [String: Any] = ["inputs": tally.inputs, "accepted": tally.accepted, "refused": tally.refused]
        if let report { try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: report)) }
    }

    func writeCheckpointsForever(to folder: URL) throws -> Never {
        let layout = WindowLayout(contextLength: 64, predictionLength: 16, lags: [1, 24])
        let configuration = TSDiffConfiguration(layout: layout, backbone: TSDiffBackboneConfiguration(channels: layout.channels, hidden: 32, blocks: 2, stepEmbedding: 16, stateSize: 16),
                                                diffusionSteps: 50, frequency: .hourly)
        var model = TSDiff(configuration: configuration, seed: 1)
        var step = 0
        while true {
            step += 1
            model.parameters = model.parameters.mapValues { _, t in t * Float(1.0001) }
            try model.save(to: folder)
            print(step)
        }
    }

    struct Finding: Codable {
        var target: String
        var kind: String
        var index: Int
        var detail: String
    }

    struct TargetResult: Codable {
        var target: String
        var inputs = 0
        var accepted = 0
        var refused = 0
        var crashes = 0
        var hangs = 0
        var wrongValues = 0
        var seconds = 0.0
    }

    func supervise(_ chosen: [FuzzTarget]) throws {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let outURL = out.map { URL(fileURLWithPath: $0) }
        if let outURL { try AtomicFile.createFolder(at: outURL) }
        let reportURL = FileManager.default.temporaryDirectory.appendingPathComponent("diffuse-fuzz-report-\(ProcessInfo.processInfo.processIdentifier).json")
        defer { try? FileManager.default.removeItem(at: reportURL) }
        var results: [TargetResult] = []
        var findings: [Finding] = []
        let share = seconds / Double(chosen.count)
        let began = Date()
        for target in chosen {
            var result = TargetResult(target: target.name)
            let targetStart = Date()
            let targetDeadline = targetStart.addingTimeInterval(share).timeIntervalSince1970
            var next = 0
            while Date().timeIntervalSince1970 < targetDeadline && (inputs.map { next < $0 } ?? true) {
                try? FileManager.default.removeItem(at: reportURL)
                try? FileManager.default.removeItem(atPath: reportURL.path + ".wrong")
                let process = Process()
                process.executableURL = executable
                var arguments = ["--child", "--targets", target.name, "--seed", "\(seed)", "--start", "\(next)",
                                 "--deadline", "\(targetDeadline)", "--report", reportURL.path]
                if let inputs { arguments += ["--inputs", "\(inputs - next)"] }
                process.arguments = arguments
                // Swift's crash backtracer can take seconds to symbolicate a crashing child, which
                // the hang timeout would count as a hang; crashes are recorded from the signal.
                var environment = ProcessInfo.processInfo.environment
                environment["SWIFT_BACKTRACE"] = "enable=no"
                process.environment = environment
                let pipe = Pipe()
                process.standardOutput = pipe
                process.standardError = FileHandle.nullDevice
                try process.run()
                let descriptor = pipe.fileHandleForReading.fileDescriptor
                var last = next - 1
                var pending: [UInt8] = []
                var hung = false
                var started = false
                var buffer = [UInt8](repeating: 0, count: 1 << 16)
                while true {
                    var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                    // The child sets up every target before its first input: the hang timeout
                    // starts with the first index.
                    let ready = poll(&poller, 1, Int32((started ? timeout : Swift.max(timeout, 120)) * 1000))
                    if ready == 0 { hung = true; break }
                    if ready < 0 { if errno == EINTR { continue }; break }
                    let n = read(descriptor, &buffer, buffer.count)
                    if n <= 0 { break }
                    pending += buffer[0..<n]
                    let whole = pending.count / 8 * 8
                    if whole > 0 {
                        last = pending[(whole - 8)..<whole].withUnsafeBytes { Int(Int64(littleEndian: $0.loadUnaligned(as: Int64.self))) }
                        pending.removeFirst(whole)
                        started = true
                    }
                }
                if hung { kill(process.processIdentifier, SIGKILL) }
                let exit = Self.reap(process)
                try? FileManager.default.removeItem(at: FuzzTarget.scratchFolder(ofProcess: process.processIdentifier))
                // Wrong values the child found, whatever happened to it afterwards.
                if let text = try? String(contentsOf: URL(fileURLWithPath: reportURL.path + ".wrong"), encoding: .utf8) {
                    for line in text.split(separator: "\n") {
                        guard let w = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String] else { continue }
                        let index = Int(w["index"] ?? "") ?? -1
                        findings.append(Finding(target: target.name, kind: "wrong value", index: index, detail: w["difference"] ?? ""))
                        result.wrongValues += 1
                        if let outURL {
                            try AtomicFile.write(Fuzzer(seeds: target.seeds, seed: seed).input(index), to: outURL.appendingPathComponent("\(target.name)-wrong-\(index).bin"))
                        }
                    }
                }
                let signalled = exit.signalled && !hung
                if !started && (hung || signalled || exit.status != 0) {
                    // No input ran: the child failed while starting; no input is to blame.
                    findings.append(Finding(target: target.name, kind: "child failed to start", index: next, detail: hung ? "no first input within 120 s" : "status \(exit.status)"))
                    break
                }
                if !hung && !signalled && exit.status != 0 {
                    // An exit with an error status is the child's own failure, not an input's.
                    findings.append(Finding(target: target.name, kind: "child error", index: Swift.max(last, next), detail: "exit status \(exit.status)"))
                    break
                }
                if hung || signalled {
                    let kind = hung ? "hang" : "crash"
                    let detail = hung ? "no progress for \(timeout) s" : (signalled ? "signal \(exit.status)" : "exit status \(exit.status)")
                    findings.append(Finding(target: target.name, kind: kind, index: Swift.max(last, next), detail: detail))
                    if hung { result.hangs += 1 } else { result.crashes += 1 }
                    result.inputs += Swift.max(last, next) - next + 1
                    if let outURL {
                        try AtomicFile.write(Fuzzer(seeds: target.seeds, seed: seed).input(Swift.max(last, next)),
                                             to: outURL.appendingPathComponent("\(target.name)-\(kind)-\(Swift.max(last, next)).bin"))
                    }
                    next = Swift.max(last, next) + 1
                    continue
                }
                guard let data = try? Data(contentsOf: reportURL),
                      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { break }
                let done = object["inputs"] as? Int ?? 0
                result.inputs += done
                result.accepted += object["accepted"] as? Int ?? 0
                result.refused += object["refused"] as? Int ?? 0
                next += done
                if done == 0 { break }
            }
            result.seconds = Date().timeIntervalSince(targetStart)
            results.append(result)
            FileHandle.standardError.write(Data("\(target.name): \(result.inputs) inputs, \(result.accepted) accepted, \(result.crashes) crashes, \(result.hangs) hangs, \(result.wrongValues) wrong values (\(String(format: "%.0f", result.seconds)) s)\n".utf8))
        }
        let total = results.reduce(into: TargetResult(target: "all")) { t, r in
            t.inputs += r.inputs; t.accepted += r.accepted; t.refused += r.refused
            t.crashes += r.crashes; t.hangs += r.hangs; t.wrongValues += r.wrongValues
        }
        let elapsed = Date().timeIntervalSince(began)
        print("target                 inputs   accepted  refused  crashes  hangs  wrong  inputs/s")
        for r in results + [total] {
            let rate = r.target == "all" ? Double(r.inputs) / elapsed : Double(r.inputs) / Swift.max(r.seconds, 1e-9)
            print(r.target.padding(toLength: 20, withPad: " ", startingAt: 0) + String(format: " %9d %9d %9d %7d %6d %6d %9.0f", r.inputs, r.accepted, r.refused, r.crashes, r.hangs, r.wrongValues, rate))
        }
        print(String(format: "seed %llu, %.0f s, timeout %.1f s", seed, elapsed, timeout))
        for f in findings { print("\(f.kind): \(f.target) input \(f.index): \(f.detail) (reproduce: diffuse-fuzz --targets \(f.target) --seed \(seed) --write-input FILE --index \(f.index))") }
        if let outURL {
            struct Results: Codable { var seed: UInt64; var seconds: Double; var timeout: Double; var targets: [TargetResult]; var findings: [Finding] }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(try encoder.encode(Results(seed: seed, seconds: elapsed, timeout: timeout, targets: results, findings: findings)),
                                 to: outURL.appendingPathComponent("results.json"))
        }
        if !findings.isEmpty { throw ExitCode(1) }
    }

    /// Waits for a child and returns how it ended. Foundation's `waitUntilExit` was seen to hang
    /// on a child that had already exited (a zombie it never reaped, 2026-12-07), so the child is
    /// reaped here with `waitpid`; if Foundation reaped it first, its own record is used.
    static func reap(_ process: Process) -> (signalled: Bool, status: Int32) {
        let pid = process.processIdentifier
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid {
                // WIFSIGNALED / WTERMSIG / WEXITSTATUS, written out (the C macros are not imported).
                let signal = status & 0x7f
                if signal != 0 && signal != 0x7f { return (true, signal) }
                return (false, (status >> 8) & 0xff)
            }
            if r < 0 && errno != EINTR {
                process.waitUntilExit()
                return (process.terminationReason == .uncaughtSignal, process.terminationStatus)
            }
            usleep(2_000)
        }
    }
}

/// `RLIMIT_AS` as the value `setrlimit` takes (Glibc imports it as an enum case).
private let RLIMIT_AS_VALUE = __rlimit_resource_t(RLIMIT_AS.rawValue)
