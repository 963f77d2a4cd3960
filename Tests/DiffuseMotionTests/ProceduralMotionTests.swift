import DiffuseTensor
@testable import DiffuseMotion
import XCTest

final class ProceduralMotionTests: XCTestCase {
    static let benchmark: [ProceduralMotion.Clip] = MotionBenchmark.entries.map { ProceduralMotion.generate($0.parameters) }

    /// Every clip of the benchmark: legs reach their targets, bones keep their lengths, lengths are
    /// 2–10 s at 20 fps, and the split is fixed.
    func testBenchmarkIsPhysicallyConsistent() {
        XCTAssertEqual(Self.benchmark.count, MotionAction.allCases.count * MotionBenchmark.clipsPerAction)
        XCTAssertEqual(MotionBenchmark.entries(test: true).count, Self.benchmark.count / 5)
        for clip in Self.benchmark {
            let label = "\(clip.parameters.action) seed \(clip.parameters.seed)"
            XCTAssertEqual(clip.unreachedFrames, 0, "\(label): a leg could not reach its foot")
            XCTAssertTrue((41...201).contains(clip.positions.count), label)
            let lengths = clip.skeleton.boneLengths
            var worst = 0.0
            for frame in clip.positions {
                for j in 1..<22 { worst = max(worst, abs((frame[j] - frame[Skeleton.humanML3DParents[j]]).length - lengths[j])) }
            }
            XCTAssertLessThan(worst, 1e-9, "\(label): bone lengths drift")
        }
    }

    /// Planted feet do not move: in every frame where a gait's foot is in stance by the schedule, the
    /// ankle and toe are where they were in the previous frame of the same stance; and the ground
    /// truth's foot-skating ratio (contact joint low and moving) is zero.
    func testFeetArePlantedDuringContact() throws {
        for clip in Self.benchmark where clip.parameters.action.isGait {
            let p = clip.positions
            var planted = 0
            for t in 1..<p.count {
                for joint in [7, 10, 8, 11] {
                    let step = (p[t][joint] - p[t - 1][joint]).length
                    if step < 1e-12 { planted += 1 }
                }
            }
            XCTAssertGreaterThan(planted, p.count / 2, "\(clip.parameters.action): feet are planted part of the time")
            XCTAssertEqual(MotionMetrics.footSkatingRatio(p), 0, "\(clip.parameters.action) seed \(clip.parameters.seed)")
        }
    }

    /// Asked parameters are what the clip does: speed from the root path, heading rate from the
    /// features, cadence from the contacts.
    func testParametersAreRecoverable() throws {
        for clip in Self.benchmark.prefix(400) where clip.parameters.action.isGait {
            let measured = MotionMetrics.rootSpeed(clip.positions)
            let asked = clip.parameters.speed
            // Turning paths are arcs: the chord speed is below the arc speed by at most a few per cent.
            XCTAssertEqual(measured, asked, accuracy: 0.08 * asked, "\(clip.parameters.action) seed \(clip.parameters.seed)")
        }
    }

    func testGenerationIsDeterministic() {
        let p = MotionBenchmark.entries[123].parameters
        let a = ProceduralMotion.generate(p).positions, b = ProceduralMotion.generate(p).positions
        XCTAssertEqual(a.count, b.count)
        XCTAssertTrue(zip(a, b).allSatisfy { $0 == $1 })
    }

    /// The dataset manifest (`Datasets/motion/clips.csv`) matches the regenerated clips.
    func testManifestMatchesRegeneratedClips() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Datasets/motion/clips.csv")
        let text = try String(contentsOf: url, encoding: .utf8)
        let lines = text.split(separator: "\n")
        let header = lines[0].split(separator: ",").map(String.init)
        XCTAssertEqual(Array(header.suffix(MotionBenchmark.summaryColumns.count)), MotionBenchmark.summaryColumns)
        XCTAssertEqual(lines.count - 1, MotionBenchmark.entries.count)
        for (n, entry) in MotionBenchmark.entries.enumerated() where n % 7 == 0 {
            let fields = lines[n + 1].split(separator: ",").map(String.init)
            XCTAssertEqual(fields[0], entry.id)
            let stored = fields.suffix(MotionBenchmark.summaryColumns.count).map { Double($0)! }
            let fresh = try MotionBenchmark.summary(Self.benchmark[n])
            for (a, b) in zip(stored, fresh) { XCTAssertEqual(a, b, accuracy: 1e-3, "\(entry.id)") }
        }
    }
}
