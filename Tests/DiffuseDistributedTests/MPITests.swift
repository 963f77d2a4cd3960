import DiffuseDistributed
import DiffuseNN
import Foundation
import XCTest
import _DiffuseTestSupport

/// DiffuseDistributed over real processes: `mpirun -np 2 diffuse-mpi-check SCENARIO` (the helper
/// executable compares what two processes compute together with what one computes alone, see
/// Examples/MPICheck). Skipped, saying why, only where `mpirun` is not installed.
final class MPITests: XCTestCase {
    func mpirun() throws -> URL {
        let candidates = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":").map { URL(fileURLWithPath: String($0)).appendingPathComponent("mpirun") }
        guard let url = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw XCTSkip("mpirun is not installed (Debian: openmpi-bin; scripts/install-system-libraries installs it)")
        }
        return url
    }

    /// Runs a scenario on 2 processes and returns its output and exit status.
    func run(_ scenario: String) throws -> (output: String, status: Int32) {
        let process = Process()
        process.executableURL = try mpirun()
        var arguments = ["-np", "2", "--oversubscribe"]
        if getuid() == 0 { arguments.append("--allow-run-as-root") }
        process.arguments = arguments + [try builtProduct(named: "diffuse-mpi-check").path, scenario]
        var environment = ProcessInfo.processInfo.environment
        // Loopback only: no network interfaces are probed (and no firewall prompt).
        environment["OMPI_MCA_btl"] = "self,vader,tcp"
        environment["OMPI_MCA_btl_tcp_if_include"] = "lo"
        environment["OMPI_MCA_oob_tcp_if_include"] = "lo"
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        // A watchdog: a run that hangs (in MPI_Init or MPI_Finalize, say) is killed after 180 s.
        let watchdog = DispatchWorkItem { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 180, execute: watchdog)
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        watchdog.cancel()
        XCTAssertNotEqual(process.terminationReason == .uncaughtSignal ? process.terminationStatus : 0, SIGKILL, "mpirun \(scenario) hung and was killed:\n\(output)")
        return (output, process.terminationStatus)
    }

    func assertPasses(_ scenario: String, expecting passes: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let (output, status) = try run(scenario)
        XCTAssertEqual(status, 0, output, file: file, line: line)
        XCTAssertFalse(output.contains("FAIL"), output, file: file, line: line)
        XCTAssertEqual(output.components(separatedBy: "\n").filter { $0.hasPrefix("PASS") }.count, passes, output, file: file, line: line)
        print(output.components(separatedBy: "\n").filter { $0.hasPrefix("PASS") }.joined(separator: "\n"))
    }

    func testCollectivesAndTheirErrors() throws {
        try assertPasses("collectives", expecting: 15)
    }

    func testShardedSamplingEqualsOneProcessBitForBit() throws {
        try assertPasses("sampling", expecting: 3)
    }

    func testDataParallelTrainingEqualsOneProcess() throws {
        try assertPasses("training", expecting: 4)
    }

    func testDataParallelSequenceTrainingEqualsOneProcess() throws {
        try assertPasses("sequence-training", expecting: 4)
    }

    func testDataParallelToyDenoiserTrainingEqualsOneProcess() throws {
        try assertPasses("toy-training", expecting: 4)
    }

    func testShardedForecastsEqualOneProcessBitForBit() throws {
        try assertPasses("forecasting", expecting: 4)
    }

    func testACollectiveNobodyJoinsTimesOutWithAMessage() throws {
        // mpirun reports the processes that left without MPI_Finalize: that status is expected.
        let (output, _) = try run("timeout")
        XCTAssertTrue(output.contains("PASS a collective nobody joins times out with a message"), output)
    }

    /// An error on one process ends every process at once (MPI_Abort), not after the
    /// collective timeout (120 s in the helper).
    func testAnErrorOnOneProcessEndsTheRunAtOnce() throws {
        let started = Date()
        let (output, status) = try run("error-on-one-rank")
        XCTAssertNotEqual(status, 0, output)
        XCTAssertTrue(output.contains("FAIL error-on-one-rank: error-on-one-rank: deliberate failure on rank 1"), output)
        XCTAssertFalse(output.contains("completed a collective"), output)
        XCTAssertLessThan(Date().timeIntervalSince(started), 60, output)
    }

    /// One process: the communicator of a program started without mpirun.
    func testSingleProcessCommunicator() throws {
        let one = SingleProcess()
        XCTAssertEqual(one.shard(7), 0..<7)
        var values: [Float] = [1, 2]
        one.allReduceSum(&values)
        XCTAssertEqual(values, [1, 2])
    }
}
