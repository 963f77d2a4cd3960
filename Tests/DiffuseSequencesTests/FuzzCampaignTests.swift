import Foundation
import XCTest
import _DiffuseTestSupport
import _DiffuseFuzzing
import DiffuseNN
import DiffuseTensor
import DiffuseTimeSeries

/// The fuzzer over every reader (a short fixed-seed run; docs/Reliability.md has the long one),
/// and the supervisor of `diffuse-fuzz`: crashes and hangs are recorded and the run goes on;
/// interrupted checkpoint writes leave only checkpoints that load or are refused cleanly.
final class FuzzCampaignTests: XCTestCase {
    override class func tearDown() { FuzzTarget.removeScratch() }

    /// Inputs per target in the suite (about 20 s in all on one core of an AMD EPYC).
    static let inputsPerTarget = ["tsdiff-checkpoint": 6000, "sequence-checkpoint": 6000, "tsdiff-conditional-checkpoint": 6000, "time-series-wide": 16000, "time-series-covariates": 16000, "time-series-untimed": 16000, "time-series-long": 16000]

    func testEveryReaderReadsOrRefusesWithoutWrongValues() {
        for target in FuzzTarget.all {
            let count = Self.inputsPerTarget[target.name] ?? 30000
            let tally = FuzzTally.run(target, seed: 7, range: 0..<count)
            XCTAssertEqual(tally.wrongValues.count, 0, "\(target.name): \(tally.wrongValues.prefix(3))")
            // The mutations reach both the checks and the decoding.
            XCTAssertGreaterThan(tally.refused, count / 20, target.name)
            XCTAssertGreaterThan(tally.accepted, 0, target.name)
            // Every seed is accepted: the oracle agrees with the reader on valid files.
            for (k, seed) in target.seeds.enumerated() {
                XCTAssertNil(try target.check(seed), "\(target.name) seed \(k)")
            }
        }
    }

    func testSupervisorRecordsCrashesAndHangsAndGoesOn() throws {
        let folder = try makeTemporaryFolder()
        let process = Process()
        process.executableURL = try builtProduct(named: "diffuse-fuzz")
        process.arguments = ["--targets", "supervisor-check", "--inputs", "60", "--timeout", "0.5", "--seconds", "60", "--out", folder.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 1, output)
        struct Results: Decodable { struct Target: Decodable { var inputs: Int; var crashes: Int; var hangs: Int; var refused: Int; var wrongValues: Int }; var targets: [Target] }
        let results = try JSONDecoder().decode(Results.self, from: Data(contentsOf: folder.appendingPathComponent("results.json")))
        let t = try XCTUnwrap(results.targets.first)
        // Input i's first byte is known, so the expected counts are too.
        let fuzzer = Fuzzer(seeds: FuzzTarget.supervisorCheck.seeds, seed: 1)
        let firsts = (0..<60).map { fuzzer.input($0).first }
        XCTAssertEqual(t.inputs, 60, output)
        XCTAssertEqual(t.crashes, firsts.filter { $0 == 0xFF }.count, output)
        XCTAssertEqual(t.hangs, firsts.filter { $0 == 0xFE }.count, output)
        XCTAssertEqual(t.wrongValues, firsts.filter { $0 == 0xFD }.count, output)
        XCTAssertGreaterThan(t.crashes, 0)
        XCTAssertGreaterThan(t.hangs, 0)
        XCTAssertGreaterThan(t.wrongValues, 0)
        let saved = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".bin") }
        XCTAssertEqual(saved.count, t.crashes + t.hangs + t.wrongValues)
    }

    /// kill -9 at random moments while checkpoints are being written: every state left on disk
    /// loads (with finite weights) or is refused with an error, and the next write removes the
    /// temporary files the killed writers left.
    func testKilledCheckpointWritesNeverLeaveACheckpointThatLoadsWrong() throws {
        let writer = try builtProduct(named: "diffuse-fuzz")
        let folder = try makeTemporaryFolder().appendingPathComponent("checkpoint")
        var stream = RandomStream(key: RandomKey(seed: 11))
        var loaded = 0, refused = 0, leftovers = 0
        for round in 0..<12 {
            let process = Process()
            process.executableURL = writer
            process.arguments = ["--checkpoint-writer", folder.path]
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            usleep(UInt32(100_000 + stream.integer(below: 400_000)))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationReason, .uncaughtSignal, "round \(round)")
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            leftovers += names.filter { $0.hasSuffix(".tmp") }.count
            // A killed writer leaves at most its own temporary file; the next writer of the same
            // file removes it. Two files are written, so up to one of each may be present.
            XCTAssertLessThanOrEqual(names.filter { $0.hasSuffix(".tmp") }.count, 2, "round \(round): \(names)")
            XCTAssertLessThanOrEqual(names.filter { $0.hasPrefix(".config.json.") }.count, 1, "round \(round): \(names)")
            XCTAssertLessThanOrEqual(names.filter { $0.hasPrefix(".model.safetensors.") }.count, 1, "round \(round): \(names)")
            do {
                let model = try TSDiff.load(from: folder)
                XCTAssertNil(model.parameters.firstNonFiniteName())
                loaded += 1
            } catch {
                XCTAssertTrue("\(error)".contains(folder.path), "\(error)")
                refused += 1
            }
        }
        XCTAssertGreaterThan(loaded, 0)
        print("killed writers: \(loaded) checkpoints loaded, \(refused) refused, \(leftovers) temporary files seen before the next write")
    }
}
