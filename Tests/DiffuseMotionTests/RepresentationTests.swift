import DiffuseTensor
@testable import DiffuseMotion
import _DiffuseTestSupport
import XCTest

final class RepresentationTests: XCTestCase {
    /// One clip of every action (seeds fixed), as the benchmark makes them.
    static let clips: [ProceduralMotion.Clip] = MotionAction.allCases.enumerated().map { i, action in
        ProceduralMotion.generate(.sample(action: action, seed: UInt64(500 + i)))
    }

    func maximumDistance(_ a: [[Vector3]], _ b: [[Vector3]]) -> Double {
        precondition(a.count == b.count)
        return zip(a, b).map { zip($0, $1).map { ($0 - $1).length }.max()! }.max()!
    }

    /// Done-when: the 263 features round-trip to joint positions within 1e-4 on the benchmark, both
    /// through the ric block and through the 6D rotations with the subject's skeleton.
    func testFeaturesRoundTripToPositions() throws {
        for clip in Self.clips {
            let rows = try HumanML3DFeatures.encode(clip.positions, skeleton: clip.skeleton)
            XCTAssertEqual(rows.count, clip.positions.count - 1)
            XCTAssertTrue(rows.allSatisfy { $0.count == 263 })
            let canonical = Array(HumanML3DFeatures.canonicalized(clip.positions).dropLast())
            let viaRIC = try HumanML3DFeatures.positions(rows)
            XCTAssertLessThan(maximumDistance(viaRIC, canonical), 1e-4, "\(clip.parameters.action) through ric")
            let viaRotations = try HumanML3DFeatures.positionsFromRotations(rows, skeleton: clip.skeleton)
            XCTAssertLessThan(maximumDistance(viaRotations, canonical), 1e-4, "\(clip.parameters.action) through 6D rotations")
            // Stored as float32 (as new_joint_vecs files are), the round trip still holds.
            let rounded = rows.map { $0.map { Double(Float($0)) } }
            XCTAssertLessThan(maximumDistance(try HumanML3DFeatures.positions(rounded), canonical), 1e-4, "\(clip.parameters.action) from float32")
        }
    }

    /// A full turn and more keeps its sign through the heading steps (the reference's arcsin of an
    /// unsigned quaternion flips near ±180°).
    func testHeadingPastHalfTurn() throws {
        var p = MotionParameters.sample(action: .turnLeft, seed: 3)
        p.turnRate = 1.2
        p.duration = 8  // 9.6 rad: one and a half turns
        let clip = ProceduralMotion.generate(p)
        let rows = try HumanML3DFeatures.encode(clip.positions, skeleton: clip.skeleton)
        // Column 0 is half the step of the heading *rotation* (facing → +Z), so a left turn is
        // negative. The smoothed heading lags by about ωσ·√(2/π)/2 at each end (edges repeated,
        // 0.48 rad here); a flip would cost 2π.
        let total = rows.reduce(0) { $0 + 2 * $1[0] }
        XCTAssertEqual(total, -1.2 * 8, accuracy: 1.1, "integrated heading")
        XCTAssertLessThan(maximumDistance(try HumanML3DFeatures.positions(rows), Array(HumanML3DFeatures.canonicalized(clip.positions).dropLast())), 1e-4)
    }

    /// Layout facts checked on a clip: root height column, contact labels agreeing with planted feet,
    /// velocity block equal to position differences in the heading frame.
    func testFeatureLayout() throws {
        let clip = Self.clips[0]  // walk
        let rows = try HumanML3DFeatures.encode(clip.positions, skeleton: clip.skeleton)
        let canonical = HumanML3DFeatures.canonicalized(clip.positions)
        let headings = HumanML3DFeatures.headings(canonical)
        for t in [0, 7, rows.count - 1] {
            XCTAssertEqual(rows[t][3], canonical[t][0].y, accuracy: 1e-12)
            let v = headings[t].rotate(canonical[t + 1][15] - canonical[t][15])
            let c = 193 + 3 * 15
            XCTAssertEqual(rows[t][c], v.x, accuracy: 1e-12); XCTAssertEqual(rows[t][c + 2], v.z, accuracy: 1e-12)
        }
        let contacts = rows.map { Array($0[259..<263]) }
        let planted = contacts.filter { $0[0] == 1 && $0[1] == 1 }.count
        XCTAssertGreaterThan(planted, rows.count / 3, "a walking left foot is down more than a third of the time")
        XCTAssertLessThan(planted, rows.count, "and lifts at some point")
        XCTAssertEqual(HumanML3DFeatures.Group.allCases.map { $0.columns.count }.reduce(0, +), 263)
    }

    func testEncodingRejectsBadInput() throws {
        XCTAssertThrowsError(try HumanML3DFeatures.encode([Self.clips[0].positions[0]])) { XCTAssertTrue("\($0)".contains("at least 2 frames")) }
        var bad = Array(Self.clips[0].positions.prefix(3))
        bad[1][4].x = .infinity
        XCTAssertThrowsError(try HumanML3DFeatures.encode(bad)) { XCTAssertTrue("\($0)".contains("frame 1")) }
        XCTAssertThrowsError(try HumanML3DFeatures.positions([[Double](repeating: 0, count: 262)])) { XCTAssertTrue("\($0)".contains("262")) }
        var row = [Double](repeating: 0, count: 263)
        row[100] = .nan
        XCTAssertThrowsError(try HumanML3DFeatures.positions([row])) { XCTAssertTrue("\($0)".contains("column 100")) }
    }

    func testNormalizationUsesGroupDeviations() throws {
        let rows = try Self.clips.map { try HumanML3DFeatures.encode($0.positions, skeleton: $0.skeleton) }
        let n = try FeatureNormalization(clips: rows)
        for g in HumanML3DFeatures.Group.allCases {
            let values = Set(g.columns.map { n.standardDeviation[$0] })
            XCTAssertEqual(values.count, 1, "\(g) shares one deviation")
        }
        let back = n.denormalize(n.normalize(rows[0]))
        for (a, b) in zip(back, rows[0]) { for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 1e-12) } }
        // Windows [B, L, 263] denormalise row by row: window 1 of two is rows 3..<6 of the clip.
        let normalized = n.normalize(Array(rows[0][0..<6]))
        let windows = n.denormalize(windows: Tensor<Float>(shape: [2, 3, 263], scalars: normalized.joined().map { Float($0) }))
        XCTAssertEqual(windows.count, 2)
        for (a, b) in zip(windows[1], rows[0][3..<6]) { for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 1e-4 * max(1, abs(y))) } }
    }

    /// HumanML3D's Mean.npy and Std.npy: read back what was written; wrong shapes, non-finite means
    /// and non-positive deviations are refused with the file named.
    func testNormalizationFiles() throws {
        let folder = try makeTemporaryFolder()
        let mean = folder.appendingPathComponent("Mean.npy"), std = folder.appendingPathComponent("Std.npy")
        let values = (0..<263).map { Float($0) / 10 }
        try NumPyFile.write(Tensor<Float>(values), to: mean)
        try NumPyFile.write(Tensor<Float>(values.map { $0 + 1 }), to: std)
        let n = try FeatureNormalization(meanFile: mean, standardDeviationFile: std)
        XCTAssertEqual(n.mean, values.map(Double.init))
        XCTAssertEqual(n.standardDeviation, values.map { Double($0 + 1) })
        try NumPyFile.write(Tensor<Float>(values), to: std)   // entry 0 is 0
        XCTAssertThrowsError(try FeatureNormalization(meanFile: mean, standardDeviationFile: std)) {
            XCTAssertTrue("\($0)".contains("Std.npy") && "\($0)".contains("entry 0"), "\($0)")
        }
        try NumPyFile.write(Tensor<Float>(zeros: [262]), to: mean)
        XCTAssertThrowsError(try FeatureNormalization(meanFile: mean, standardDeviationFile: std)) {
            XCTAssertTrue("\($0)".contains("Mean.npy") && "\($0)".contains("[262]"), "\($0)")
        }
        var bad = values
        bad[7] = .nan
        try NumPyFile.write(Tensor<Float>(bad), to: mean)
        XCTAssertThrowsError(try FeatureNormalization(meanFile: mean, standardDeviationFile: std)) {
            XCTAssertTrue("\($0)".contains("entry 7"), "\($0)")
        }
    }
}
