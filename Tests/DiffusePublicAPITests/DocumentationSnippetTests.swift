import Foundation
import XCTest

/// Every ```swift block of README.md and docs/*.md is code of this target, verbatim up to
/// indentation, so it compiles with the suite (and the tests below run the ones that are
/// complete programs). A snippet's `import` lines must be imports of the file holding the rest.
/// A package manifest (a block starting with `// swift-tools-version`) is type-checked against
/// PackageDescription by the compiler instead.
final class DocumentationSnippetTests: XCTestCase {
    let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    var root: URL { here.appendingPathComponent("../..").standardizedFileURL }

    /// Lines trimmed of surrounding spaces, joined.
    func normalised(_ text: some StringProtocol) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "\n")
    }

    func snippets(of text: String) -> [String] {
        text.components(separatedBy: "```swift\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
    }

    var documents: [URL] {
        get throws {
            let docs = try FileManager.default.contentsOfDirectory(at: root.appendingPathComponent("docs"), includingPropertiesForKeys: nil)
                .filter { $0.pathExtension == "md" }.sorted { $0.path < $1.path }
            return [root.appendingPathComponent("README.md")] + docs
        }
    }

    func testEverySnippetIsThisTargetsCode() throws {
        let sources = try FileManager.default.contentsOfDirectory(at: here, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "swift" }
            .map { normalised(try String(contentsOf: $0, encoding: .utf8)) }
        var checked = 0
        for document in try documents {
            let name = document.lastPathComponent
            for snippet in snippets(of: try String(contentsOf: document, encoding: .utf8)) {
                let code = normalised(snippet).trimmingCharacters(in: .whitespacesAndNewlines)
                if code.hasPrefix("// swift-tools-version") { continue }
                let lines = code.components(separatedBy: "\n")
                let imports = lines.filter { $0.hasPrefix("import ") }
                let body = lines.filter { !$0.hasPrefix("import ") }.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
                let holders = sources.filter { $0.contains(body) }
                XCTAssertFalse(holders.isEmpty, "\(name) snippet not found in Tests/DiffusePublicAPITests:\n\(code)")
                for line in imports {
                    XCTAssertTrue(holders.contains { $0.components(separatedBy: "\n").contains(line) }, "\(name): '\(line)' is not an import of the file holding the snippet")
                }
                checked += 1
            }
        }
        XCTAssertGreaterThanOrEqual(checked, 14)
    }

    /// The README's Package.swift type-checks against PackageDescription.
    func testReadmeManifestTypeChecks() throws {
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let manifests = snippets(of: readme).filter { $0.hasPrefix("// swift-tools-version") }
        XCTAssertEqual(manifests.count, 1)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("diffuse-manifest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let manifest = folder.appendingPathComponent("Package.swift")
        try Data(manifests[0].utf8).write(to: manifest)
        // The compiler of this toolchain and its PackageDescription interface.
        let swiftc = try XCTUnwrap(ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":")
            .map { URL(fileURLWithPath: String($0)).appendingPathComponent("swiftc") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }, "swiftc is not on PATH")
        let manifestAPI = swiftc.resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("../lib/swift/pm/ManifestAPI").standardizedFileURL
        let process = Process()
        process.executableURL = swiftc
        process.arguments = ["-typecheck", "-I", manifestAPI.path, "-package-description-version", "6.0.0", manifest.path]
        let pipe = Pipe()
        process.standardError = pipe
        try process.run()
        let errors = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, errors)
    }

    func testGettingStartedRuns() throws {
        let (values, same, noise) = try gettingStarted()
        XCTAssertEqual(values.shape, [2])
        XCTAssertEqual(same.scalars, Array(noise.scalars[(64 * 32)..<(80 * 32)]))
    }

    func testNeuralNetworksTapeRuns() {
        let (gradients, inputGradient) = neuralNetworksTape()
        XCTAssertEqual(gradients.count, 4)
        XCTAssertEqual(inputGradient?.shape, [8, 3])
    }

    /// The exact mixture is symmetric: about half of the samples in each mode (a binomial(512, ½)
    /// count lies within ±5 standard deviations, ±57, with probability 1 − 6·10⁻⁷).
    func testCoreFirstProgramRuns() {
        XCTAssertEqual(Double(corePrograms()), 256, accuracy: 57)
    }

    func testReadmeProgramRuns() {
        XCTAssertEqual(readmeProgram().shape, [4, 2])
    }
}
