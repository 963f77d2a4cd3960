import DiffuseSequences
import Foundation
import XCTest

/// The docs/Sequences.md walk-through runs on a small FASTA file: SVDD raises the motif reward.
final class SequenceDesignSnippetTests: XCTestCase {
    func testWalkThroughRaisesTheMotifReward() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("diffuse-snippet-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        // 256 random 24-base sequences, half with a TATA box.
        var records: [FASTAFile.Record] = []
        for i in 0..<256 {
            var tokens = (0..<24).map { ($0 * 7 + i * 13 + ($0 * i) % 5) % 4 }
            if i % 2 == 0 { tokens.replaceSubrange(4..<12, with: [3, 0, 3, 0, 0, 0, 0, 0]) }   // TATAAAAA
            records.append(FASTAFile.Record(name: "s\(i)", tokens: tokens))
        }
        try FASTAFile.write(records, to: folder.appendingPathComponent("toy.fa"))
        let jaspar = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Datasets/sequences/jaspar2024_core_vertebrates_insects.jaspar")
        let (unguided, guided) = try designPromoters(fasta: folder.appendingPathComponent("toy.fa"), jaspar: jaspar)
        let median = { (x: [Double]) in x.sorted()[x.count / 2] }
        XCTAssertGreaterThan(median(guided), median(unguided), "guided \(median(guided)), unguided \(median(unguided))")
    }
}
