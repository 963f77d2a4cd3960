import Foundation

/// Physical plausibility measures of joint-position clips (22-joint HumanML3D body, 20 fps).
public enum MotionMetrics {
    /// The fraction of frame steps in which a foot skates: one of the contact joints (ankles and
    /// feet, ``Skeleton/humanML3DFeet``) stays within `height` metres of the clip's floor (its lowest
    /// joint) at both ends of the step and moves more than `step` metres horizontally (Guided Motion
    /// Diffusion's definition: 5 cm and 2.5 cm per frame at 20 fps). Zero for the benchmark's
    /// ground truth; HumanML3D's real data scores about 0.05–0.075 (GMD issue #8).
    public static func footSkatingRatio(_ positions: [[Vector3]], height: Double = 0.05, step: Double = 0.025) -> Double {
        guard positions.count > 1 else { return 0 }
        let floor = positions.lazy.flatMap { $0 }.map(\.y).min() ?? 0
        let feet = Skeleton.humanML3DFootJoints
        var skating = 0
        for t in 1..<positions.count {
            let slides = feet.contains { j in
                let a = positions[t - 1][j], b = positions[t][j]
                let low = a.y - floor < height && b.y - floor < height
                return low && Vector3(b.x - a.x, 0, b.z - a.z).length > step
            }
            if slides { skating += 1 }
        }
        return Double(skating) / Double(positions.count - 1)
    }

    /// Length of the root's horizontal path over the clip, m.
    public static func rootPathLength(_ positions: [[Vector3]]) -> Double {
        zip(positions, positions.dropFirst()).reduce(0.0) { s, f in
            s + Vector3(f.1[0].x - f.0[0].x, 0, f.1[0].z - f.0[0].z).length
        }
    }

    /// Mean horizontal speed of the root over the clip (path length / duration), m/s.
    public static func rootSpeed(_ positions: [[Vector3]], framesPerSecond: Double = HumanML3DFeatures.framesPerSecond) -> Double {
        guard positions.count > 1 else { return 0 }
        return rootPathLength(positions) * framesPerSecond / Double(positions.count - 1)
    }

    /// Mean over bones of the standard deviation of the bone's length across frames (m): zero for
    /// any rigid skeleton; generated positions that do not keep bone lengths score above zero.
    public static func boneLengthSpread(_ positions: [[Vector3]]) -> Double {
        guard positions.count > 1 else { return 0 }
        let parents = Skeleton.humanML3DParents
        var total = 0.0
        for j in 1..<parents.count {
            let lengths = positions.map { ($0[j] - $0[parents[j]]).length }
            let mean = lengths.reduce(0, +) / Double(lengths.count)
            total += (lengths.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(lengths.count)).squareRoot()
        }
        return total / Double(parents.count - 1)
    }
}
