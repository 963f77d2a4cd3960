import Foundation

/// A kinematic tree: joints, each with a parent and a rest offset from it.
///
/// Positions follow from forward kinematics over *per-joint global rotations* as BVH defines them:
/// a joint's rotation turns the rest offsets of all its children, `p[c] = p[j] + G[j]·offset[c]`,
/// with `G[j] = G[parent(j)]·L[j]` for local rotations `L`. ``humanML3D(boneLengths:)`` is the 22-joint SMPL body
/// of HumanML3D (`paramUtil.t2m_raw_offsets`, `t2m_kinematic_chain`) with its rest directions; its
/// bone lengths are a parameter, as HumanML3D sets them from a reference clip.
public struct Skeleton: Equatable, Sendable {
    /// Joint names, in index order.
    public let jointNames: [String]
    /// The parent of each joint; -1 for the root (joint 0, which must be the only root).
    public let parents: [Int]
    /// Each joint's offset from its parent at rest (zero for the root), in metres.
    public let restOffsets: [Vector3]

    /// A skeleton; the root is joint 0 and every parent comes before its children.
    public init(jointNames: [String], parents: [Int], restOffsets: [Vector3]) throws {
        guard jointNames.count == parents.count, parents.count == restOffsets.count, !parents.isEmpty else {
            throw MotionFileError(path: "<skeleton>", reason: "joint names, parents and offsets differ in count (\(jointNames.count), \(parents.count), \(restOffsets.count))")
        }
        guard parents[0] == -1 else { throw MotionFileError(path: "<skeleton>", reason: "joint 0 must be the root") }
        for (j, p) in parents.enumerated().dropFirst() where !(0..<j).contains(p) {
            throw MotionFileError(path: "<skeleton>", reason: "joint \(j) ('\(jointNames[j])') has parent \(p), which is not an earlier joint")
        }
        for (j, o) in restOffsets.enumerated() where !(o.x.isFinite && o.y.isFinite && o.z.isFinite) {
            throw MotionFileError(path: "<skeleton>", reason: "joint \(j) ('\(jointNames[j])') has a non-finite offset")
        }
        self.jointNames = jointNames
        self.parents = parents
        self.restOffsets = restOffsets
    }

    /// The number of joints.
    public var jointCount: Int { parents.count }

    /// The children of each joint, in index order.
    public var children: [[Int]] {
        var c = [[Int]](repeating: [], count: jointCount)
        for (j, p) in parents.enumerated() where p >= 0 { c[p].append(j) }
        return c
    }

    /// The length of the bone into each joint (zero for the root).
    public var boneLengths: [Double] { restOffsets.map(\.length) }

    // MARK: HumanML3D

    /// HumanML3D's 22 joint names (SMPL body joints without hands).
    public static let humanML3DJointNames = [
        "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2",
        "left_ankle", "right_ankle", "spine3", "left_foot", "right_foot", "neck",
        "left_collar", "right_collar", "head", "left_shoulder", "right_shoulder",
        "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    ]
    /// HumanML3D's parents (from `t2m_kinematic_chain`).
    public static let humanML3DParents = [-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19]
    /// HumanML3D's rest directions (`t2m_raw_offsets`): +X is the character's left, +Z its front.
    public static let humanML3DRestDirections: [Vector3] = [
        [0, 0, 0], [1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, -1, 0], [0, 1, 0], [0, -1, 0],
        [0, -1, 0], [0, 1, 0], [0, 0, 1], [0, 0, 1], [0, 1, 0], [1, 0, 0], [-1, 0, 0], [0, 0, 1],
        [0, -1, 0], [0, -1, 0], [0, -1, 0], [0, -1, 0], [0, -1, 0], [0, -1, 0],
    ]
    /// The feet as HumanML3D's contact labels use them: left (ankle, foot), right (ankle, foot).
    public static let humanML3DFeet = (left: [7, 10], right: [8, 11])
    /// The four foot joints in the order of HumanML3D's contact columns: left ankle, left foot,
    /// right ankle, right foot.
    public static let humanML3DFootJoints = humanML3DFeet.left + humanML3DFeet.right
    /// The joints whose positions define facing: right hip, left hip, right and left shoulder.
    public static let humanML3DFacingJoints = (rightHip: 2, leftHip: 1, rightShoulder: 17, leftShoulder: 16)

    /// Typical adult bone lengths in metres for the HumanML3D tree (close to the SMPL mean body),
    /// used by the procedural benchmark before per-subject scaling.
    public static let humanML3DTypicalBoneLengths: [Double] = [
        0, 0.11, 0.11, 0.11, 0.39, 0.39, 0.13, 0.41, 0.41, 0.05, 0.14, 0.14, 0.21,
        0.10, 0.10, 0.10, 0.12, 0.12, 0.27, 0.27, 0.25, 0.25,
    ]

    /// The HumanML3D tree with the given bone lengths (one per joint; the root's is ignored).
    public static func humanML3D(boneLengths: [Double] = humanML3DTypicalBoneLengths) throws -> Skeleton {
        guard boneLengths.count == 22 else {
            throw MotionFileError(path: "<skeleton>", reason: "the HumanML3D skeleton has 22 joints, got \(boneLengths.count) bone lengths")
        }
        for (j, l) in boneLengths.enumerated().dropFirst() where !(l.isFinite && l > 0 && l < 10) {
            throw MotionFileError(path: "<skeleton>", reason: "bone length of '\(humanML3DJointNames[j])' is \(l); it must be in (0, 10) metres")
        }
        return try Skeleton(jointNames: humanML3DJointNames, parents: humanML3DParents,
                            restOffsets: zip(humanML3DRestDirections, boneLengths).map { $0 * $1 })
    }

    // MARK: Kinematics

    /// Joint positions from the root position and each joint's *local* rotation (relative to its
    /// parent's global rotation; the root's is global).
    public func positions(root: Vector3, localRotations: [UnitQuaternion]) -> [Vector3] {
        precondition(localRotations.count == jointCount)
        var global = [UnitQuaternion](repeating: .identity, count: jointCount)
        var p = [Vector3](repeating: .zero, count: jointCount)
        p[0] = root
        global[0] = localRotations[0]
        for j in 1..<jointCount {
            let parent = parents[j]
            p[j] = p[parent] + global[parent].rotate(restOffsets[j])
            global[j] = global[parent] * localRotations[j]
        }
        return p
    }

    /// Local rotations that reproduce `positions` as closely as this skeleton allows (inverse
    /// kinematics, exact when the positions come from this skeleton's forward kinematics):
    /// - a joint with one child turns by the smallest rotation taking the child's rest direction,
    ///   as its parent carries it, onto the observed one (no twist of its own);
    /// - a joint with several children takes the least-squares rotation of their rest offsets onto
    ///   the observed ones (``UnitQuaternion/bestFit(from:to:)``);
    /// - a leaf joint keeps its parent's rotation.
    public func localRotations(positions p: [Vector3]) -> [UnitQuaternion] {
        precondition(p.count == jointCount)
        let children = self.children
        var global = [UnitQuaternion](repeating: .identity, count: jointCount)
        var local = [UnitQuaternion](repeating: .identity, count: jointCount)
        for j in 0..<jointCount {
            let inherited = j == 0 ? UnitQuaternion.identity : global[parents[j]]
            let kids = children[j]
            let g: UnitQuaternion
            switch kids.count {
            case 0:
                g = inherited
            case 1:
                let c = kids[0]
                let carried = inherited.rotate(restOffsets[c])
                g = (UnitQuaternion(from: carried, to: p[c] - p[j]) * inherited).canonical
            default:
                g = UnitQuaternion.bestFit(from: kids.map { restOffsets[$0] }, to: kids.map { p[$0] - p[j] })
            }
            global[j] = g
            local[j] = (inherited.inverse * g).canonical
        }
        return local
    }

    /// Checks that every frame has one finite position per joint; errors name `path` and the frame.
    public func validate(_ positions: [[Vector3]], path: String) throws {
        for (t, frame) in positions.enumerated() {
            guard frame.count == jointCount else {
                throw MotionFileError(path: path, reason: "frame \(t) has \(frame.count) joints; the skeleton has \(jointCount)")
            }
            guard frame.allSatisfy({ $0.x.isFinite && $0.y.isFinite && $0.z.isFinite }) else {
                throw MotionFileError(path: path, reason: "frame \(t) has a non-finite joint position")
            }
        }
    }

    /// The skeleton with bone lengths measured from positions (mean over frames), keeping this
    /// skeleton's rest directions.
    public func fitted(to frames: [[Vector3]]) throws -> Skeleton {
        guard !frames.isEmpty, frames.allSatisfy({ $0.count == jointCount }) else {
            throw MotionFileError(path: "<skeleton>", reason: "fitting needs at least one frame of \(jointCount) joints")
        }
        var offsets = restOffsets
        for j in 1..<jointCount {
            let mean = frames.reduce(0.0) { $0 + ($1[j] - $1[parents[j]]).length } / Double(frames.count)
            let direction = restOffsets[j].normalized
            offsets[j] = (direction.length > 0 ? direction : Vector3(0, 1, 0)) * mean
        }
        return try Skeleton(jointNames: jointNames, parents: parents, restOffsets: offsets)
    }
}

// MARK: - Bone rotations

extension Skeleton {
    /// Per-bone rotations: for each joint j ≥ 1, the rotation `B[j]` of the bone into j relative to
    /// the frame of the bone into its parent, so that `F[j] = F[parent(j)]·B[j]` and
    /// `p[j] = p[parent(j)] + F[j]·restOffset[j]`, with `F[0] = rootRotation`. Each `B[j]` is the
    /// smallest rotation that points the bone where the positions put it (no twist), so the
    /// positions are recovered exactly whenever their bone lengths match this skeleton's.
    ///
    /// This is HumanML3D's `inverse_kinematics_np` convention (rotation stored at the child joint)
    /// with one difference: a chain that starts below the root (the collars under spine3) carries
    /// spine3's frame, where HumanML3D restarts each chain from the root's heading. Element 0 of
    /// the result is `rootRotation`.
    public func boneRotations(positions p: [Vector3], rootRotation: UnitQuaternion) -> [UnitQuaternion] {
        precondition(p.count == jointCount)
        var frame = [UnitQuaternion](repeating: rootRotation, count: jointCount)
        var bone = frame
        for j in 1..<jointCount {
            let parentFrame = frame[parents[j]]
            // The swing in world axes, written in the parent's frame.
            let swing = UnitQuaternion(from: parentFrame.rotate(restOffsets[j]), to: p[j] - p[parents[j]])
            let b = (parentFrame.inverse * swing * parentFrame).canonical
            bone[j] = b
            frame[j] = parentFrame * b
        }
        return bone
    }

    /// Joint positions from the root position, the root's frame and per-bone rotations (the
    /// inverse of ``boneRotations(positions:rootRotation:)``; element 0 of `boneRotations` is
    /// ignored).
    public func positions(root: Vector3, rootRotation: UnitQuaternion, boneRotations: [UnitQuaternion]) -> [Vector3] {
        precondition(boneRotations.count == jointCount)
        var frame = [UnitQuaternion](repeating: rootRotation, count: jointCount)
        var p = [Vector3](repeating: root, count: jointCount)
        for j in 1..<jointCount {
            let parent = parents[j]
            frame[j] = frame[parent] * boneRotations[j]
            p[j] = p[parent] + frame[j].rotate(restOffsets[j])
        }
        return p
    }
}
