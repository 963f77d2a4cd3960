import Foundation

/// The 263-number-per-frame HumanML3D motion representation (Guo et al. 2022, "Generating diverse
/// and natural 3D human motions from text"; `motion_process.py:process_file` and
/// `recover_from_ric`), for the 22-joint body.
///
/// A clip of F frames of joint positions gives F − 1 feature rows:
///
/// | columns | content |
/// |---|---|
/// | 0 | root angular velocity about Y: arcsin of the Y component of the heading change, i.e. half the yaw step |
/// | 1–2 | root linear velocity in X and Z, in the next frame's heading frame |
/// | 3 | root height |
/// | 4–66 | joints 1…21 relative to the root's ground point, in the heading frame ("ric") |
/// | 67–192 | bone rotations of joints 1…21 in 6D (``Skeleton/boneRotations(positions:rootRotation:)``) |
/// | 193–258 | velocities of all 22 joints, in the current heading frame |
/// | 259–262 | foot contacts: left ankle, left foot, right ankle, right foot (1 when the squared step is below 0.002 m²) |
///
/// The heading is the direction `up × across` with `across` = (right hip − left hip) + (right
/// shoulder − left shoulder), smoothed over time by a Gaussian of σ = 20 frames (edges repeated),
/// as HumanML3D's `smooth_forward`.
///
/// Differences from the reference, both deliberate and both exact for HumanML3D's own files when
/// decoded through positions:
/// - the heading step is taken with `w ≥ 0` before the arcsin, so a turn through ±180° keeps its
///   sign (the reference's quaternions can flip there);
/// - the 6D block uses tree-consistent bone rotations (see ``Skeleton/boneRotations(positions:rootRotation:)``),
///   since HumanML3D's own 6D block is not SMPL's convention (MDM issues #70, #165) and is read here
///   only as data; positions come from the ric block, as in `recover_from_ric`.
public enum HumanML3DFeatures {
    /// Numbers per frame.
    public static let width = 263
    /// Joints of the body.
    public static let jointCount = 22
    /// Frames per second of HumanML3D.
    public static let framesPerSecond = 20.0
    /// HumanML3D's contact threshold on the squared per-frame displacement (m²).
    public static let contactThreshold = 0.002
    /// σ of the Gaussian that smooths the heading, in frames.
    public static let headingSmoothing = 20.0

    /// Column ranges of the feature groups.
    public enum Group: String, CaseIterable, Sendable {
        case rootAngularVelocity, rootLinearVelocity, rootHeight, jointPositions, jointRotations, jointVelocities, footContacts

        /// The columns of this group.
        public var columns: Range<Int> {
            switch self {
            case .rootAngularVelocity: return 0..<1
            case .rootLinearVelocity: return 1..<3
            case .rootHeight: return 3..<4
            case .jointPositions: return 4..<67
            case .jointRotations: return 67..<193
            case .jointVelocities: return 193..<259
            case .footContacts: return 259..<263
            }
        }
    }

    // MARK: Canonical frame

    /// The heading rotation of every frame: the yaw that turns the (smoothed) facing direction to +Z.
    public static func headings(_ positions: [[Vector3]]) -> [UnitQuaternion] {
        let f = Skeleton.humanML3DFacingJoints
        let up = Vector3(0, 1, 0)
        var forward = positions.map { p -> Vector3 in
            let across = (p[f.rightHip] - p[f.leftHip]) + (p[f.rightShoulder] - p[f.leftShoulder])
            return up.cross(across.normalized).normalized
        }
        forward = gaussianSmoothed(forward, sigma: headingSmoothing)
        return forward.map { v in
            let flat = Vector3(v.x, 0, v.z)
            guard flat.length > 1e-12 else { return .identity }
            return UnitQuaternion(from: flat, to: Vector3(0, 0, 1)).canonical
        }
    }

    /// The clip moved as HumanML3D's preprocessing does: lowest joint on the floor (y = 0), the
    /// root's first ground point at the origin, and the first frame's heading facing +Z.
    public static func canonicalized(_ positions: [[Vector3]]) -> [[Vector3]] {
        guard let first = positions.first else { return positions }
        let floor = positions.lazy.flatMap { $0 }.map(\.y).min() ?? 0
        let shift = Vector3(first[0].x, floor, first[0].z)
        let turn = headings(positions)[0]
        return positions.map { frame in frame.map { turn.rotate($0 - shift) } }
    }

    // MARK: Encoding

    /// The feature rows of a clip (F frames of 22 joints → F − 1 rows of 263 numbers). The clip is
    /// first ``canonicalized(_:)``; `skeleton` supplies the rest directions of the 6D block.
    public static func encode(_ rawPositions: [[Vector3]], skeleton: Skeleton? = nil) throws -> [[Double]] {
        guard rawPositions.count >= 2 else {
            throw MotionFileError(path: "<features>", reason: "a clip needs at least 2 frames, got \(rawPositions.count)")
        }
        let skeleton = try requireHumanML3D(skeleton ?? Skeleton.humanML3D())
        try skeleton.validate(rawPositions, path: "<features>")
        let p = canonicalized(rawPositions)
        let heading = headings(p)
        var rows = [[Double]]()
        rows.reserveCapacity(p.count - 1)
        let feet = Skeleton.humanML3DFeet
        for t in 0..<(p.count - 1) {
            var row = [Double]()
            row.reserveCapacity(width)
            let r = heading[t], next = heading[t + 1]
            let step = (next * r.inverse).canonical
            row.append(asin(max(-1, min(1, step.y))))
            let v = next.rotate(p[t + 1][0] - p[t][0])
            row += [v.x, v.z, p[t][0].y]
            let ground = Vector3(p[t][0].x, 0, p[t][0].z)
            for j in 1..<jointCount {
                let q = r.rotate(p[t][j] - ground)
                row += [q.x, q.y, q.z]
            }
            let bones = skeleton.boneRotations(positions: p[t], rootRotation: r.inverse)
            for j in 1..<jointCount { row += bones[j].sixD }
            for j in 0..<jointCount {
                let q = r.rotate(p[t + 1][j] - p[t][j])
                row += [q.x, q.y, q.z]
            }
            for j in feet.left + feet.right {
                let d = p[t + 1][j] - p[t][j]
                row.append(d.dot(d) < contactThreshold ? 1 : 0)
            }
            rows.append(row)
        }
        return rows
    }

    // MARK: Decoding

    /// The root's heading rotation and position in every row, from columns 0–3 (`recover_root_rot_pos`).
    public static func rootTrajectory(_ rows: [[Double]]) -> (headings: [UnitQuaternion], positions: [Vector3]) {
        var angle = 0.0, ground = Vector3.zero
        var headings = [UnitQuaternion](), positions = [Vector3]()
        for (t, row) in rows.enumerated() {
            if t > 0 {
                angle += rows[t - 1][0]
                let previous = rows[t - 1]
                let turn = UnitQuaternion(w: cos(angle), x: 0, y: sin(angle), z: 0)
                ground += turn.inverse.rotate(Vector3(previous[1], 0, previous[2]))
            }
            headings.append(UnitQuaternion(w: cos(angle), x: 0, y: sin(angle), z: 0))
            positions.append(Vector3(ground.x, row[3], ground.z))
        }
        return (headings, positions)
    }

    /// Joint positions from the root columns and the ric block (`recover_from_ric`): one frame per row.
    public static func positions(_ rows: [[Double]]) throws -> [[Vector3]] {
        try validate(rows, path: "<features>")
        let (headings, roots) = rootTrajectory(rows)
        return rows.indices.map { t in
            let back = headings[t].inverse, ground = Vector3(roots[t].x, 0, roots[t].z)
            var frame = [roots[t]]
            for j in 1..<jointCount {
                let c = 4 + 3 * (j - 1)
                frame.append(back.rotate(Vector3(rows[t][c], rows[t][c + 1], rows[t][c + 2])) + ground)
            }
            return frame
        }
    }

    /// Joint positions from the root columns and the 6D block through forward kinematics on
    /// `skeleton` (the bone lengths come from the skeleton, the directions from the rotations).
    public static func positionsFromRotations(_ rows: [[Double]], skeleton: Skeleton) throws -> [[Vector3]] {
        try validate(rows, path: "<features>")
        try requireHumanML3D(skeleton)
        let (headings, roots) = rootTrajectory(rows)
        return try rows.indices.map { t in
            var bones = [UnitQuaternion](repeating: .identity, count: jointCount)
            for j in 1..<jointCount {
                let c = Group.jointRotations.columns.lowerBound + 6 * (j - 1)
                guard let q = UnitQuaternion(sixD: Array(rows[t][c..<(c + 6)])) else {
                    throw MotionFileError(path: "<features>", reason: "row \(t): the 6D rotation of '\(Skeleton.humanML3DJointNames[j])' has parallel columns")
                }
                bones[j] = q
            }
            return skeleton.positions(root: roots[t], rootRotation: headings[t].inverse, boneRotations: bones)
        }
    }

    /// `skeleton`, when it is the 22-joint HumanML3D tree.
    @discardableResult
    static func requireHumanML3D(_ skeleton: Skeleton) throws -> Skeleton {
        guard skeleton.parents == Skeleton.humanML3DParents else {
            throw MotionFileError(path: "<features>", reason: "the skeleton is not the 22-joint HumanML3D tree")
        }
        return skeleton
    }

    /// Checks that every row has 263 finite numbers.
    public static func validate(_ rows: [[Double]], path: String) throws {
        for (t, row) in rows.enumerated() {
            guard row.count == width else {
                throw MotionFileError(path: path, reason: "row \(t) has \(row.count) numbers; HumanML3D features have \(width)")
            }
            if let c = row.firstIndex(where: { !$0.isFinite }) {
                throw MotionFileError(path: path, reason: "row \(t), column \(c) is not finite (\(row[c]))")
            }
        }
    }

    // MARK: Smoothing

    /// Each component smoothed by a Gaussian of the given σ (in samples), truncated at 4σ, with the
    /// edge samples repeated (`scipy.ndimage.gaussian_filter1d`, mode "nearest").
    static func gaussianSmoothed(_ values: [Vector3], sigma: Double) -> [Vector3] {
        guard sigma > 0, values.count > 1 else { return values }
        let radius = Int(4 * sigma + 0.5)
        var weights = (-radius...radius).map { exp(-0.5 * Double($0 * $0) / (sigma * sigma)) }
        let total = weights.reduce(0, +)
        weights = weights.map { $0 / total }
        let n = values.count
        return (0..<n).map { i in
            var s = Vector3.zero
            for (k, w) in weights.enumerated() {
                s += w * values[min(n - 1, max(0, i + k - radius))]
            }
            return s
        }
    }
}
