import DiffuseTensor
@testable import DiffuseMotion
import XCTest

final class KinematicsTests: XCTestCase {
    func assertClose(_ a: Vector3, _ b: Vector3, _ tolerance: Double, _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertLessThan((a - b).length, tolerance, "\(message): \(a) vs \(b)", file: file, line: line)
    }

    func testQuaternionAlgebra() {
        let q = UnitQuaternion(axis: Vector3(0, 0, 1), angle: .pi / 2)
        assertClose(q.rotate(Vector3(1, 0, 0)), Vector3(0, 1, 0), 1e-15)
        let a = UnitQuaternion(axis: Vector3(1, 2, 3), angle: 0.7), b = UnitQuaternion(axis: Vector3(-1, 0.5, 2), angle: 2.1)
        let v = Vector3(0.3, -1.2, 0.8)
        assertClose((a * b).rotate(v), a.rotate(b.rotate(v)), 1e-14, "composition")
        assertClose(a.inverse.rotate(a.rotate(v)), v, 1e-14, "inverse")
        // Smallest rotation between directions, including opposite ones.
        for (u, w) in [(Vector3(1, 0, 0), Vector3(0, 0, 1)), (Vector3(0, 0, 1), Vector3(0, 0, -1)), (Vector3(0.2, 0.9, -0.1), Vector3(-0.2, -0.9, 0.1))] {
            let r = UnitQuaternion(from: u, to: w)
            assertClose(r.rotate(u.normalized), w.normalized, 1e-12, "from \(u) to \(w)")
        }
        // Matrix columns, 6D and Euler round trips.
        for q in [a, b, a * b, UnitQuaternion(axis: Vector3(0, 1, 0), angle: .pi / 2), UnitQuaternion(axis: Vector3(0, 1, 0), angle: -.pi / 2)] {
            let (c0, c1, c2) = q.columns
            let back = UnitQuaternion(columns: c0, c1, c2)
            assertClose(back.rotate(v), q.rotate(v), 1e-12, "columns")
            assertClose(UnitQuaternion(sixD: q.sixD)!.rotate(v), q.rotate(v), 1e-12, "6D")
            let e = q.eulerZYX
            let z = UnitQuaternion(axis: Vector3(0, 0, 1), angle: e.z), y = UnitQuaternion(axis: Vector3(0, 1, 0), angle: e.y), x = UnitQuaternion(axis: Vector3(1, 0, 0), angle: e.x)
            assertClose((z * y * x).rotate(v), q.rotate(v), 1e-9, "Euler ZYX")
        }
        XCTAssertNil(UnitQuaternion(sixD: [1, 0, 0, 2, 0, 0]), "parallel columns")
        XCTAssertNil(UnitQuaternion(sixD: [.nan, 0, 0, 0, 1, 0]))
    }

    func testBestFitRecoversARotation() {
        let truth = UnitQuaternion(axis: Vector3(0.3, 1, -0.4), angle: 1.9)
        let from = [Vector3(0.1, 0, 0), Vector3(-0.1, 0, 0), Vector3(0, 0.12, 0)]
        let fit = UnitQuaternion.bestFit(from: from, to: from.map(truth.rotate))
        for v in from + [Vector3(0.3, -0.2, 0.9)] { assertClose(fit.rotate(v), truth.rotate(v), 1e-12, "Horn") }
    }

    /// Forward kinematics against poses computed by hand.
    func testForwardKinematicsOfHandComputedPoses() throws {
        let skeleton = try Skeleton.humanML3D()
        let len = skeleton.boneLengths
        // Rest pose: every joint at the sum of rest directions times bone lengths along its chain.
        let rest = skeleton.positions(root: Vector3(0, 1, 0), localRotations: Array(repeating: .identity, count: 22))
        assertClose(rest[7], Vector3(len[1], 1 - len[4] - len[7], 0), 1e-15, "left ankle at rest")
        assertClose(rest[10], Vector3(len[1], 1 - len[4] - len[7], len[10]), 1e-15, "left toe at rest")
        assertClose(rest[15], Vector3(0, 1 + len[3] + len[6] + len[9] + len[12], len[15]), 1e-15, "head at rest")
        assertClose(rest[21], Vector3(-len[14], 1 + len[3] + len[6] + len[9] - len[17] - len[19] - len[21], 0), 1e-15, "right wrist at rest")
        // Left knee bent 90° forward: the rotation at the knee (joint 4) turns the shin.
        var local = [UnitQuaternion](repeating: .identity, count: 22)
        local[4] = UnitQuaternion(axis: Vector3(1, 0, 0), angle: -.pi / 2)
        let bent = skeleton.positions(root: .zero, localRotations: local)
        assertClose(bent[7], Vector3(len[1], -len[4], len[7]), 1e-15, "ankle in front of the knee")
        // The whole body turned 90° left (yaw): the left hip goes to −Z.
        local = [UnitQuaternion](repeating: .identity, count: 22)
        local[0] = .yaw(.pi / 2)
        let turned = skeleton.positions(root: .zero, localRotations: local)
        assertClose(turned[1], Vector3(0, 0, -len[1]), 1e-15, "left hip after a left turn")
        assertClose(turned[10], Vector3(len[10], -len[4] - len[7], -len[1]), 1e-15, "left toe points +X after the turn")
    }

    func testInverseKinematicsReproducesForwardKinematics() throws {
        let skeleton = try Skeleton.humanML3D()
        var r = RandomStream(seed: 7)
        for _ in 0..<20 {
            let local = (0..<22).map { _ in UnitQuaternion(axis: Vector3(r.normal(), r.normal(), r.normal()), angle: r.uniformDouble() * 2) }
            let p = skeleton.positions(root: Vector3(r.normal(), 1, r.normal()), localRotations: local)
            let back = skeleton.positions(root: p[0], localRotations: skeleton.localRotations(positions: p))
            for j in 0..<22 { assertClose(back[j], p[j], 1e-12, "joint \(j)") }
            // Bone rotations reproduce any positions with these bone lengths, rigid or not.
            let heading = UnitQuaternion.yaw(r.normal())
            let bones = skeleton.boneRotations(positions: p, rootRotation: heading)
            let again = skeleton.positions(root: p[0], rootRotation: heading, boneRotations: bones)
            for j in 0..<22 { assertClose(again[j], p[j], 1e-12, "bone rotations, joint \(j)") }
        }
    }

    func testSkeletonRejectsBadInput() {
        XCTAssertThrowsError(try Skeleton.humanML3D(boneLengths: [1, 2])) { XCTAssertTrue("\($0)".contains("22 joints")) }
        var lengths = Skeleton.humanML3DTypicalBoneLengths
        lengths[7] = .nan
        XCTAssertThrowsError(try Skeleton.humanML3D(boneLengths: lengths)) { XCTAssertTrue("\($0)".contains("left_ankle")) }
        XCTAssertThrowsError(try Skeleton(jointNames: ["a", "b"], parents: [-1, 1], restOffsets: [.zero, .zero])) {
            XCTAssertTrue("\($0)".contains("joint 1"))
        }
    }
}
