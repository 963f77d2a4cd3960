import DiffuseTensor
import Foundation

/// The procedural motion benchmark: ``clipsPerAction`` clips of every ``MotionAction`` with
/// parameters drawn from fixed seeds, and a fixed split (every fifth clip of an action is a test
/// clip). The clips are regenerated from their parameters (deterministic, well under a second);
/// `Datasets/motion/clips.csv` lists them with summary values that a test compares against the
/// regenerated data.
public enum MotionBenchmark {
    /// Clips per action.
    public static let clipsPerAction = 60

    /// One entry of the benchmark.
    public struct Entry: Sendable {
        /// `<action>_<nn>`.
        public var id: String
        public var parameters: MotionParameters
        public var isTest: Bool
    }

    /// Every entry, actions in ``MotionAction`` order.
    public static let entries: [Entry] = MotionAction.allCases.enumerated().flatMap { a, action in
        (0..<clipsPerAction).map { i in
            Entry(id: String(format: "%@_%02d", action.rawValue, i),
                  parameters: .sample(action: action, seed: UInt64(10_000 * (a + 1) + i)),
                  isTest: i % 5 == 4)
        }
    }

    /// The entries of one split.
    public static func entries(test: Bool) -> [Entry] { entries.filter { $0.isTest == test } }

    /// Summary values of a generated clip, as `clips.csv` stores them: frames, root path length (m),
    /// mean pelvis height (m), mean heading rate (rad/s, positive to the left) and the fraction of frames with the left
    /// foot in contact.
    public static func summary(_ clip: ProceduralMotion.Clip) throws -> [Double] {
        summary(clip, features: try HumanML3DFeatures.encode(clip.positions, skeleton: clip.skeleton))
    }

    /// ``summary(_:)`` from the clip's already encoded feature rows.
    public static func summary(_ clip: ProceduralMotion.Clip, features rows: [[Double]]) -> [Double] {
        let p = clip.positions
        let path = MotionMetrics.rootPathLength(p)
        let height = p.reduce(0.0) { $0 + $1[0].y } / Double(p.count)
        // Column 0 is half the step of the rotation that faces the body to +Z: minus half the turn.
        let turn = -rows.reduce(0.0) { $0 + 2 * $1[0] } * ProceduralMotion.framesPerSecond / Double(rows.count)
        let contact = Double(rows.filter { $0[259] == 1 }.count) / Double(rows.count)
        return [Double(p.count), path, height, turn, contact]
    }

    /// Names of ``summary(_:)``'s values, as `clips.csv` columns.
    public static let summaryColumns = ["frames", "path_m", "pelvis_height_m", "measured_turn_rad_s", "left_contact_fraction"]
}
