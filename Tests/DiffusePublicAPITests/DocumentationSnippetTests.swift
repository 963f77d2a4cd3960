import Foundation
import XCTest

/// The Swift code the documentation shows is this target's code, verbatim (up to indentation),
/// so it compiles and is tested here: docs/Core.md's "Extending Diffuse" section and every Swift
/// snippet of docs/Sequences.md.
final class DocumentationSnippetTests: XCTestCase {
    let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()

    /// Lines trimmed of surrounding spaces, joined.
    func normalised(_ text: some StringProtocol) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "\n")
    }

    /// Checks every ```swift block of `text` (from `document`) against this target's sources.
    func assertSnippetsAreThisTargetsCode(_ text: String, document: String, atLeast count: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let sources = try FileManager.default.contentsOfDirectory(at: here, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "swift" }
            .map { try String(contentsOf: $0, encoding: .utf8) }
            .joined(separator: "\n")
        let normalisedSources = normalised(sources)
        let snippets = text.components(separatedBy: "```swift\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
        XCTAssertGreaterThanOrEqual(snippets.count, count, document, file: file, line: line)
        for snippet in snippets {
            let code = normalised(snippet).trimmingCharacters(in: .whitespacesAndNewlines)
            XCTAssertTrue(normalisedSources.contains(code), "\(document) snippet not found in Tests/DiffusePublicAPITests:\n\(code)", file: file, line: line)
        }
    }

    func testExtendingSnippetsAreThisTargetsCode() throws {
        let document = try String(contentsOf: here.appendingPathComponent("../../docs/Core.md"), encoding: .utf8)
        let section = try XCTUnwrap(document.components(separatedBy: "## Extending Diffuse").dropFirst().first, "docs/Core.md has no Extending Diffuse section")
        try assertSnippetsAreThisTargetsCode(section, document: "docs/Core.md", atLeast: 6)
    }

    func testSequenceSnippetsAreThisTargetsCode() throws {
        let document = try String(contentsOf: here.appendingPathComponent("../../docs/Sequences.md"), encoding: .utf8)
        try assertSnippetsAreThisTargetsCode(document, document: "docs/Sequences.md", atLeast: 1)
    }
}
