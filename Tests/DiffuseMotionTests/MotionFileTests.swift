import DiffuseTensor
@testable import DiffuseMotion
import _DiffuseTestSupport
import XCTest

final class MotionFileTests: XCTestCase {
    /// Done-when: BVH files re-import (with an independent reader of the grammar) to the same joint
    /// positions within 1e-3 on the benchmark.
    func testBVHRoundTripOnEveryAction() throws {
        for clip in RepresentationTests.clips {
            let text = try BVHFile.encode(clip.positions, skeleton: clip.skeleton)
            let motion = try BVHFile.decode(Data(text.utf8))
            XCTAssertEqual(motion.frames.count, clip.positions.count)
            XCTAssertEqual(motion.frameTime, 0.05, accuracy: 1e-9)
            let back = motion.positions()
            var worst = 0.0
            for (t, frame) in back.enumerated() {
                for (j, name) in motion.jointNames.enumerated() {
                    let original = clip.positions[t][Skeleton.humanML3DJointNames.firstIndex(of: name)!]
                    worst = max(worst, (frame[j] - original).length)
                }
            }
            XCTAssertLessThan(worst, 1e-3, "\(clip.parameters.action)")
        }
    }

    /// The written file follows the BVH grammar: HIERARCHY, one ROOT with 6 channels, JOINTs with 3,
    /// End Sites at the leaves, balanced braces, MOTION with matching Frames and value counts.
    func testBVHGrammar() throws {
        let clip = RepresentationTests.clips[0]
        let text = try BVHFile.encode(Array(clip.positions.prefix(5)), skeleton: clip.skeleton)
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        XCTAssertEqual(lines.first, "HIERARCHY")
        XCTAssertEqual(lines.filter { $0.hasPrefix("ROOT ") }.count, 1)
        XCTAssertEqual(lines.filter { $0.hasPrefix("JOINT ") }.count, 21)
        XCTAssertEqual(lines.filter { $0 == "End Site" }.count, 5, "five leaves: toes, head, wrists")
        XCTAssertEqual(lines.filter { $0 == "{" }.count, lines.filter { $0 == "}" }.count)
        XCTAssertEqual(lines.filter { $0.hasPrefix("CHANNELS 6 Xposition Yposition Zposition Zrotation Yrotation Xrotation") }.count, 1)
        XCTAssertEqual(lines.filter { $0 == "CHANNELS 3 Zrotation Yrotation Xrotation" }.count, 21)
        let m = lines.firstIndex(of: "MOTION")!
        XCTAssertEqual(lines[m + 1], "Frames: 5")
        XCTAssertTrue(lines[m + 2].hasPrefix("Frame Time: 0.05"))
        XCTAssertEqual(lines.count - m - 3, 5)
        XCTAssertTrue(lines[(m + 3)...].allSatisfy { $0.split(separator: " ").count == 6 + 3 * 21 })
    }

    func testBVHReaderNamesTheProblem() throws {
        let good = """
        HIERARCHY
        ROOT hips
        {
          OFFSET 0 0 0
          CHANNELS 6 Xposition Yposition Zposition Zrotation Yrotation Xrotation
          JOINT knee
          {
            OFFSET 0 -0.4 0
            CHANNELS 3 Zrotation Yrotation Xrotation
            End Site
            {
              OFFSET 0 -0.4 0
            }
          }
        }
        MOTION
        Frames: 2
        Frame Time: 0.05
        0 1 0 0 0 0 0 0 90
        0 1 0 0 0 0 0 0 0
        """
        let m = try BVHFile.decode(Data(good.utf8))
        let p = m.positions()
        XCTAssertEqual(p[0][1].y, 0.6, accuracy: 1e-12)
        XCTAssertEqual(p[1][1].y, 0.6, accuracy: 1e-12)
        let cases: [(String, String, String)] = [
            ("unknown channel", good.replacingOccurrences(of: "CHANNELS 3 Zrotation", with: "CHANNELS 3 Wrotation"), "unknown channel 'Wrotation'"),
            ("too many frames", good.replacingOccurrences(of: "Frames: 2", with: "Frames: 3"), "'Frames: 3' but the file has 2"),
            ("too few frames", good.replacingOccurrences(of: "Frames: 2", with: "Frames: 1"), "more frame lines"),
            ("short frame", good.replacingOccurrences(of: "0 1 0 0 0 0 0 0 90", with: "0 1 0 0 0 0 0 90"), "8 values; the channels need 9"),
            ("count mismatch", good.replacingOccurrences(of: "CHANNELS 3", with: "CHANNELS 2"), "says 2 but lists 3"),
            ("non-finite", good.replacingOccurrences(of: "0 0 90", with: "0 0 inf"), "not a finite decimal"),
            ("missing brace", good.replacingOccurrences(of: "JOINT knee\n  {", with: "JOINT knee\n"), "expected '{'"),
            ("keyword", good.replacingOccurrences(of: "OFFSET 0 -0.4 0\n    CHANNELS", with: "OFSET 0 -0.4 0\n    CHANNELS"), "unknown keyword 'OFSET'"),
            ("frame time", good.replacingOccurrences(of: "Frame Time: 0.05", with: "Frame Time: 0"), "must be positive"),
            ("no root", "HIERARCHY\nMOTION\n", "unknown keyword 'MOTION'"),
            ("truncated", good.components(separatedBy: "  JOINT")[0], "ends inside the hierarchy"),
        ]
        for (name, text, expected) in cases {
            XCTAssertThrowsError(try BVHFile.decode(Data(text.utf8), path: "x.bvh"), name) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(name): \(error)")
                XCTAssertTrue("\(error)".hasPrefix("x.bvh"), "\(name) names the file")
            }
        }
    }

    func testHumanML3DFolder() throws {
        let folder = try makeTemporaryFolder()
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("new_joint_vecs"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("texts"), withIntermediateDirectories: true)
        let clip = RepresentationTests.clips[0]
        let rows = try HumanML3DFeatures.encode(clip.positions, skeleton: clip.skeleton)
        try HumanML3DFolder.writeFeatures(rows, to: folder.appendingPathComponent("new_joint_vecs/000001.npy"))
        try "a person walks forward.#a/DET person/NOUN walk/VERB forward/ADV#0.0#0.0\nsomeone strolls#someone/PRON stroll/VERB#1.5#3.0\n"
            .write(to: folder.appendingPathComponent("texts/000001.txt"), atomically: true, encoding: .utf8)
        try "000001\n".write(to: folder.appendingPathComponent("train.txt"), atomically: true, encoding: .utf8)
        try "000001 walk\n".write(to: folder.appendingPathComponent("actions.txt"), atomically: true, encoding: .utf8)
        let clips = try HumanML3DFolder(folder).clips(split: "train")
        XCTAssertEqual(clips.count, 1)
        XCTAssertEqual(clips[0].action, "walk")
        XCTAssertEqual(clips[0].captions.map(\.text), ["a person walks forward.", "someone strolls"])
        XCTAssertNil(clips[0].captions[0].span)
        XCTAssertEqual(clips[0].captions[1].span, 1.5...3.0)
        XCTAssertEqual(clips[0].features.count, rows.count)

        // Wrong width, non-finite values, bad captions, bad ids: named errors.
        try NumPyFile.write(Tensor<Float>(zeros: [4, 251]), to: folder.appendingPathComponent("new_joint_vecs/000002.npy"))
        XCTAssertThrowsError(try HumanML3DFolder.readFeatures(folder.appendingPathComponent("new_joint_vecs/000002.npy"))) {
            XCTAssertTrue("\($0)".contains("000002.npy") && "\($0)".contains("frames × 263"), "\($0)")
        }
        var values = [Float](repeating: 0, count: 2 * 263)
        values[263 + 5] = .nan
        try NumPyFile.write(Tensor<Float>(shape: [2, 263], scalars: values), to: folder.appendingPathComponent("new_joint_vecs/000003.npy"))
        XCTAssertThrowsError(try HumanML3DFolder.readFeatures(folder.appendingPathComponent("new_joint_vecs/000003.npy"))) {
            XCTAssertTrue("\($0)".contains("row 1, column 5"), "\($0)")
        }
        XCTAssertThrowsError(try HumanML3DFolder.parseCaptions("a#b#c\n", path: "t.txt")) { XCTAssertTrue("\($0)".contains("line 1: expected 4")) }
        XCTAssertThrowsError(try HumanML3DFolder.parseCaptions("a#b#2#1\n", path: "t.txt")) { XCTAssertTrue("\($0)".contains("ends")) }
        XCTAssertThrowsError(try HumanML3DFolder.parseCaptions("a#b#x#1\n", path: "t.txt")) { XCTAssertTrue("\($0)".contains("'from'")) }
        try "../etc\n".write(to: folder.appendingPathComponent("test.txt"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try HumanML3DFolder(folder).ids(split: "test")) { XCTAssertTrue("\($0)".contains("not a clip id")) }
    }
}
