import DiffuseTensor
import DiffuseTimeSeries
import Foundation
import XCTest
import _DiffuseTestSupport

/// The `forecast` executable run as a user runs it, on a small hourly file of two series: the
/// options whose effect is only visible in the command's output (static attributes, validation
/// windows, the settings recorded in results.json) and their errors. A run trains for 300 steps on
/// 48-step contexts, a few seconds on 2 cores.
final class ForecastCommandTests: XCTestCase {
    /// A folder with `data.csv` (two hourly series 'a' and 'b' over 40 days, a daily sine wave
    /// plus noise) and the static-attribute files the tests read; removed after the test.
    func makeFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("forecast-command-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        var stream = RandomStream(seed: 4)
        var lines = ["timestamp,a,b"]
        let start: Int64 = 1_704_067_200   // 2024-01-01 00:00 UTC
        for i in 0..<(24 * 40) {
            let t = Timestamp.civil(start + 3600 * Int64(i))
            let phase: Double = 2 * Double.pi * Double(i) / 24
            let a: Double = 10 + 3 * Foundation.sin(phase) + 0.2 * stream.normal(Double.self)
            let b: Double = 20 + 5 * Foundation.sin(phase + 1) + 0.2 * stream.normal(Double.self)
            lines.append(String(format: "%04d-%02d-%02d %02d:00:00,%.3f,%.3f", t.year, t.month, t.day, t.hour, a, b))
        }
        try (lines.joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent("data.csv"), atomically: true, encoding: .utf8)
        try "series,region,size\na,north,1.5\nb,south,2.5\n".write(to: folder.appendingPathComponent("attributes.csv"), atomically: true, encoding: .utf8)
        try "series,region,size\na,north,1.5\nb,east,2.5\n".write(to: folder.appendingPathComponent("unseen.csv"), atomically: true, encoding: .utf8)
        try "series,region\na,north\na,south\n".write(to: folder.appendingPathComponent("repeated.csv"), atomically: true, encoding: .utf8)
        return folder
    }

    /// Runs `forecast` with `arguments`; its exit status, standard output and standard error
    /// (kept in files of `folder`, so that neither stream can fill a pipe and block the run).
    func forecast(_ arguments: [String], in folder: URL) throws -> (status: Int32, output: String, log: String) {
        let name = UUID().uuidString
        let outputURL = folder.appendingPathComponent("\(name).out"), logURL = folder.appendingPathComponent("\(name).err")
        FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let process = Process()
        process.executableURL = try builtProduct(named: "forecast")
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: outputURL)
        process.standardError = try FileHandle(forWritingTo: logURL)
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, try String(contentsOf: outputURL, encoding: .utf8), try String(contentsOf: logURL, encoding: .utf8))
    }

    /// A small model's options: training on the file before its last 2 test windows and the 3
    /// validation windows before them; TSDiff-Q at `scale` (nil: the command's default).
    func smallRun(_ folder: URL, out: String, scale: Double? = 1) -> [String] {
        ["--data", folder.appendingPathComponent("data.csv").path, "--context", "48", "--horizon", "12", "--windows", "2",
         "--samples", "4", "--guidance", "quantile", "--steps", "5", "--out", folder.appendingPathComponent(out).path]
            + (scale.map { ["--scale", "\($0)"] } ?? [])
    }

    func testStaticAttributesValidationWindowsAndRecordedSettings() throws {
        let folder = try makeFolder()
        let attributes = folder.appendingPathComponent("attributes.csv").path
        let trained = try forecast(smallRun(folder, out: "trained") + ["--train", "--train-steps", "300", "--batch-size", "16", "--validation-interval", "0",
                                                                       "--validation-windows", "3", "--static-attributes", attributes], in: folder)
        XCTAssertEqual(trained.status, 0, trained.log)
        XCTAssertTrue(trained.log.contains("conditioning: region (static, 2 categories); size (static, numeric)"), trained.log)
        XCTAssertTrue(trained.log.contains("validation (2 series × 3 windows before the test period"), trained.log)
        // results.json records how the TSDiff-Q row was drawn (the scale given, or a half of it after divergence).
        let results = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("trained/results.json"))) as? [String: Any])
        let settings = try XCTUnwrap((results["settings"] as? [String: Any])?["tsdiff-q"] as? [String: Any], "\(results)")
        XCTAssertEqual(settings["samples"] as? Int, 4)
        XCTAssertEqual(settings["sampler"] as? String, "ddpm")
        XCTAssertEqual(settings["steps"] as? Int, 5)
        XCTAssertTrue([1, 0.5, 0.25, 0.125].contains(try XCTUnwrap(settings["scale"] as? Double)), "\(settings)")
        XCTAssertNotNil((results["methods"] as? [String: Any])?["tsdiff-q"], "\(results)")

        // The checkpoint reads the attributes again; without the file, or with a category it never saw, it refuses by name.
        let checkpoint = folder.appendingPathComponent("trained/checkpoint").path
        let again = try forecast(smallRun(folder, out: "again") + ["--checkpoint", checkpoint, "--static-attributes", attributes], in: folder)
        XCTAssertEqual(again.status, 0, again.log)
        let withoutFile = try forecast(smallRun(folder, out: "without") + ["--checkpoint", checkpoint], in: folder)
        XCTAssertNotEqual(withoutFile.status, 0)
        XCTAssertTrue(withoutFile.log.contains("series 'a' has no static attribute 'region'"), withoutFile.log)
        let unseen = try forecast(smallRun(folder, out: "unseen") + ["--checkpoint", checkpoint, "--static-attributes", folder.appendingPathComponent("unseen.csv").path], in: folder)
        XCTAssertNotEqual(unseen.status, 0)
        XCTAssertTrue(unseen.log.contains("series 'b': static attribute 'region' is 'east', a category the model was not trained on (it knows 'north', 'south')"), unseen.log)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("unseen/results.json").path))
    }

    func testCommandLineErrorsNameTheOptionOrFile() throws {
        let folder = try makeFolder()
        let repeated = try forecast(smallRun(folder, out: "repeated") + ["--train", "--static-attributes", folder.appendingPathComponent("repeated.csv").path], in: folder)
        XCTAssertNotEqual(repeated.status, 0)
        XCTAssertTrue(repeated.log.contains("repeated.csv:3: column 'series': series 'a' is named again (first on line 2)"), repeated.log)
        let missing = try forecast(smallRun(folder, out: "missing") + ["--train", "--static-attributes", folder.appendingPathComponent("absent.csv").path], in: folder)
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.log.contains("absent.csv: cannot read file"), missing.log)
        let zero = try forecast(smallRun(folder, out: "zero") + ["--train", "--validation-windows", "0"], in: folder)
        XCTAssertNotEqual(zero.status, 0)
        XCTAssertTrue(zero.log.contains("--validation-windows must be in 1…10000 (got 0)"), zero.log)
        let widthWithoutTraining = try forecast(smallRun(folder, out: "width") + ["--hidden", "32"], in: folder)
        XCTAssertNotEqual(widthWithoutTraining.status, 0)
        XCTAssertTrue(widthWithoutTraining.log.contains("--hidden sets up a new model: use it with --train and without --checkpoint"), widthWithoutTraining.log)
        // More validation windows than the series hold: no choice on validation, said so, and the run goes on
        // (here with a network narrower and shallower than the default, as the run reports).
        let tooMany = try forecast(smallRun(folder, out: "many") + ["--train", "--train-steps", "5", "--validation-interval", "0", "--validation-windows", "40",
                                                                    "--hidden", "16", "--blocks", "2"], in: folder)
        XCTAssertEqual(tooMany.status, 0, tooMany.log)
        XCTAssertTrue(tooMany.log.contains("no series holds 40 validation windows before its test period: no choice on validation"), tooMany.log)
        XCTAssertTrue(tooMany.log.contains("network: hidden 16, 2 S4 blocks, 100 diffusion steps"), tooMany.log)
    }

    /// A joint model of the two series (2 × 11 channels: the default width stays 64): the default
    /// guidance scale is the paper's 4 divided by the 2 series (a halving on divergence is said in
    /// the log).
    func testJointModelDefaults() throws {
        let folder = try makeFolder()
        let joint = try forecast(smallRun(folder, out: "joint", scale: nil) + ["--train", "--train-steps", "5", "--validation-interval", "0",
                                                                               "--model", "joint", "--choose-on-validation", "never"], in: folder)
        XCTAssertEqual(joint.status, 0, joint.log)
        XCTAssertTrue(joint.log.contains("a joint model of the 2 series") && joint.log.contains("network: hidden 64,"), joint.log)
        XCTAssertTrue(joint.output.contains("TSDiff-Q: 4 samples, DDPM, 5 of 100 steps, scale 2.0") || joint.log.contains("guidance diverged at scale 2.0"), joint.output + joint.log)
    }
}
