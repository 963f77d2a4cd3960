import Foundation
import XCTest

/// The code that docs/Core.md shows under "Extending Diffuse" is this target's code, verbatim,
/// so it compiles and is tested here.
final class DocumentationSnippetTests: XCTestCase {
    func testExtendingSnippetsAreThisTargetsCode() throws {
        let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        let document = try String(contentsOf: here.appendingPathComponent("../../docs/Core.md"), encoding: .utf8)
        let sources = try FileManager.default.contentsOfDirectory(at: here, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "swift" }
            .map { try String(contentsOf: $0, encoding: .utf8) }
            .joined(separator: "\n")
        let section = try XCTUnwrap(document.components(separatedBy: "## Extending Diffuse").dropFirst().first, "docs/Core.md has no Extending Diffuse section")
        let snippets = section.components(separatedBy: "```swift\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
        XCTAssertGreaterThanOrEqual(snippets.count, 6)
        for snippet in snippets {
            let lines = snippet.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            let code = lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
            let normalisedSources = sources.split(separator: "\n", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "\n")
            XCTAssertTrue(normalisedSources.contains(code), "docs/Core.md snippet not found in Tests/DiffusePublicAPITests:\n\(code)")
        }
    }

    /// Every Swift snippet of docs/Sequences.md is this target's code, verbatim.
    func testSequenceSnippetsAreThisTargetsCode() throws {
        let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        let document = try String(contentsOf: here.appendingPathComponent("../../docs/Sequences.md"), encoding: .utf8)
        let sources = try FileManager.default.contentsOfDirectory(at: here, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "swift" }
            .map { try String(contentsOf: $0, encoding: .utf8) }
            .joined(separator: "\n")
        let normalisedSources = sources.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "\n")
        let snippets = document.components(separatedBy: "```swift\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
        XCTAssertGreaterThanOrEqual(snippets.count, 1)
        for snippet in snippets {
            let code = snippet.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
                .joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
            XCTAssertTrue(normalisedSources.contains(code), "docs/Sequences.md snippet not found in Tests/DiffusePublicAPITests:\n\(code)")
        }
    }
}
