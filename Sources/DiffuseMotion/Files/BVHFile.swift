import DiffuseTensor
import Foundation

/// Biovision hierarchy (BVH) motion files: a joint hierarchy with rest offsets and channel lists,
/// then one line of channel values per frame (the format Blender, MotionBuilder and most mocap
/// tools import). Rotations are in degrees and compose in the listed order: "Zrotation Yrotation
/// Xrotation" is the matrix `Rz · Ry · Rx`. A joint's rotation turns the offsets of its children.
public enum BVHFile {
    /// One channel of a joint.
    public enum Channel: String, CaseIterable, Sendable {
        case xPosition = "Xposition", yPosition = "Yposition", zPosition = "Zposition"
        case xRotation = "Xrotation", yRotation = "Yrotation", zRotation = "Zrotation"
    }

    /// A parsed file: the hierarchy and the frames.
    public struct Motion: Equatable, Sendable {
        /// Joint names in file order (End Sites are not joints).
        public var jointNames: [String]
        /// The parent of each joint; -1 for the root.
        public var parents: [Int]
        /// Each joint's OFFSET.
        public var offsets: [Vector3]
        /// Each joint's channels, in file order.
        public var channels: [[Channel]]
        /// Seconds per frame.
        public var frameTime: Double
        /// One row of channel values per frame, joints in file order.
        public var frames: [[Double]]

        /// World positions of every joint in every frame, by forward kinematics.
        public func positions() -> [[Vector3]] {
            frames.map { row in
                var column = 0
                var global = [UnitQuaternion](repeating: .identity, count: jointNames.count)
                var p = [Vector3](repeating: .zero, count: jointNames.count)
                for j in jointNames.indices {
                    var translation = offsets[j]
                    var rotation = UnitQuaternion.identity
                    for c in channels[j] {
                        let v = row[column]
                        column += 1
                        switch c {
                        case .xPosition: translation.x += v
                        case .yPosition: translation.y += v
                        case .zPosition: translation.z += v
                        case .xRotation: rotation = rotation * UnitQuaternion(axis: Vector3(1, 0, 0), angle: v * .pi / 180)
                        case .yRotation: rotation = rotation * UnitQuaternion(axis: Vector3(0, 1, 0), angle: v * .pi / 180)
                        case .zRotation: rotation = rotation * UnitQuaternion(axis: Vector3(0, 0, 1), angle: v * .pi / 180)
                        }
                    }
                    if parents[j] < 0 {
                        p[j] = translation
                        global[j] = rotation
                    } else {
                        p[j] = p[parents[j]] + global[parents[j]].rotate(translation)
                        global[j] = global[parents[j]] * rotation
                    }
                }
                return p
            }
        }
    }

    /// Largest accepted numbers of joints, frames and values.
    public static let maximumJoints = 1024
    public static let maximumFrames = 1_000_000
    public static let maximumValues = 1 << 28
    /// Largest accepted magnitude of any number (offsets, positions in any unit, angles in degrees),
    /// so forward kinematics over the deepest accepted tree stays finite.
    public static let maximumMagnitude = 1e7

    // MARK: Writing

    /// The BVH text of a clip: the skeleton's hierarchy and rest offsets, the root's position and
    /// every joint's local rotation (``Skeleton/localRotations(positions:)``) as Z, Y, X Euler
    /// angles. Re-importing gives the positions back exactly when their bone lengths are the
    /// skeleton's (for generated clips, pass ``Skeleton/fitted(to:)``).
    public static func encode(_ positions: [[Vector3]], skeleton: Skeleton, frameTime: Double = 1 / HumanML3DFeatures.framesPerSecond) throws -> String {
        guard frameTime.isFinite, frameTime > 0 else {
            throw MotionFileError(path: "<bvh>", reason: "frame time must be positive, got \(frameTime)")
        }
        try skeleton.validate(positions, path: "<bvh>")
        func number(_ v: Double) -> String { String(format: "%.6f", v == 0 ? 0 : v) }
        func vector(_ v: Vector3) -> String { "\(number(v.x)) \(number(v.y)) \(number(v.z))" }
        let children = skeleton.children
        var text = "HIERARCHY\n"
        func write(_ j: Int, depth: Int) {
            let pad = String(repeating: "  ", count: depth)
            text += j == 0 ? "ROOT \(skeleton.jointNames[j])\n" : "\(pad)JOINT \(skeleton.jointNames[j])\n"
            text += "\(pad){\n\(pad)  OFFSET \(vector(skeleton.restOffsets[j]))\n"
            text += j == 0 ? "\(pad)  CHANNELS 6 Xposition Yposition Zposition Zrotation Yrotation Xrotation\n"
                           : "\(pad)  CHANNELS 3 Zrotation Yrotation Xrotation\n"
            if children[j].isEmpty {
                let tip = skeleton.restOffsets[j].normalized * (skeleton.restOffsets[j].length / 2)
                text += "\(pad)  End Site\n\(pad)  {\n\(pad)    OFFSET \(vector(tip))\n\(pad)  }\n"
            }
            for c in children[j] { write(c, depth: depth + 1) }
            text += "\(pad)}\n"
        }
        write(0, depth: 0)
        // Joints are written depth first; the frame values must follow the same order.
        var order = [Int]()
        func visit(_ j: Int) { order.append(j); children[j].forEach(visit) }
        visit(0)
        text += "MOTION\nFrames: \(positions.count)\nFrame Time: \(String(format: "%.8f", frameTime))\n"
        for frame in positions {
            let local = skeleton.localRotations(positions: frame)
            var values = [frame[0].x, frame[0].y, frame[0].z]
            values.reserveCapacity(3 + 3 * skeleton.jointCount)
            for j in order {
                let e = local[j].eulerZYX
                values += [e.z * 180 / .pi, e.y * 180 / .pi, e.x * 180 / .pi]
            }
            text += values.map(number).joined(separator: " ") + "\n"
        }
        return text
    }

    /// Writes ``encode(_:skeleton:frameTime:)`` atomically.
    public static func write(_ positions: [[Vector3]], skeleton: Skeleton, to url: URL, frameTime: Double = 1 / HumanML3DFeatures.framesPerSecond) throws {
        try AtomicFile.write(encode(positions, skeleton: skeleton, frameTime: frameTime), to: url)
    }

    // MARK: Reading

    /// Reads a BVH file.
    public static func read(_ url: URL) throws -> Motion {
        let data = try InputFile.contents(of: url, maximumSize: 1 << 30).get()
        return try decode(data, path: url.path)
    }

    /// Parses BVH text. Errors name the line: unknown keywords or channels, a missing brace,
    /// counts that disagree (CHANNELS, Frames, values per frame), non-finite or malformed numbers.
    public static func decode(_ data: Data, path: String = "<bvh>") throws -> Motion {
        guard let text = String(data: data, encoding: .utf8) else {
            throw MotionFileError(path: path, reason: "not UTF-8 text")
        }
        // Lines end with LF, CRLF (one Character in Swift) or a lone CR.
        var lines = TextLines.split(text)
        if lines.last?.isEmpty == true { lines.removeLast() }
        func fail(_ line: Int, _ reason: String) -> MotionFileError {
            MotionFileError(path: path, reason: "line \(line + 1): \(reason)")
        }
        func words(_ i: Int) -> [Substring] { lines[i].split(whereSeparator: { $0 == " " || $0 == "\t" }) }
        func decimal(_ s: Substring, _ i: Int, _ what: String) throws -> Double {
            guard let v = DecimalNumber.parse(s), v.isFinite else { throw fail(i, "\(what) '\(s.prefix(40))' is not a finite decimal number") }
            guard abs(v) <= maximumMagnitude else { throw fail(i, "\(what) \(s.prefix(40)) is beyond ±\(Int(maximumMagnitude))") }
            return v
        }

        var i = 0
        func nextContentLine() -> Int? {
            while i < lines.count, words(i).isEmpty { i += 1 }
            return i < lines.count ? i : nil
        }
        guard let first = nextContentLine(), words(first) == ["HIERARCHY"] else {
            throw MotionFileError(path: path, reason: "line 1: a BVH file starts with HIERARCHY")
        }
        i += 1

        var names = [String](), parents = [Int](), offsets = [Vector3](), channels = [[Channel]]()
        // The open blocks: a joint index, or nil for an End Site.
        var stack = [Int?]()
        var expectBrace = false
        var pendingOffset = false, pendingChannels = false
        var sawRoot = false
        while true {
            guard let l = nextContentLine() else { throw fail(lines.count - 1, "the file ends inside the hierarchy") }
            let w = words(l)
            i += 1
            if expectBrace {
                guard w == ["{"] else { throw fail(l, "expected '{', found '\(w.joined(separator: " ").prefix(40))'") }
                expectBrace = false
                continue
            }
            switch w[0] {
            case "ROOT", "JOINT":
                guard w.count == 2 else { throw fail(l, "\(w[0]) needs exactly one name") }
                if w[0] == "ROOT" {
                    guard !sawRoot, stack.isEmpty else { throw fail(l, "only one ROOT, at the top level, is supported") }
                    sawRoot = true
                } else {
                    guard let top = stack.last, top != nil else { throw fail(l, "JOINT outside a joint block") }
                    guard !pendingOffset, !pendingChannels else { throw fail(l, "the parent joint lacks its OFFSET or CHANNELS") }
                }
                guard names.count < maximumJoints else { throw fail(l, "more than \(maximumJoints) joints") }
                guard !names.contains(String(w[1])) else { throw fail(l, "joint name '\(w[1])' is used twice") }
                parents.append(stack.last.flatMap { $0 } ?? -1)
                names.append(String(w[1]))
                offsets.append(.zero)
                channels.append([])
                stack.append(names.count - 1)
                expectBrace = true
                pendingOffset = true
                pendingChannels = true
            case "End":
                guard w.count == 2, w[1] == "Site" else { throw fail(l, "expected 'End Site'") }
                guard let top = stack.last, top != nil else { throw fail(l, "End Site outside a joint block") }
                guard !pendingOffset, !pendingChannels else { throw fail(l, "the joint lacks its OFFSET or CHANNELS") }
                stack.append(nil)
                expectBrace = true
                pendingOffset = true
            case "OFFSET":
                guard pendingOffset else { throw fail(l, "OFFSET out of place") }
                guard w.count == 4 else { throw fail(l, "OFFSET needs 3 numbers") }
                let v = Vector3(try decimal(w[1], l, "offset"), try decimal(w[2], l, "offset"), try decimal(w[3], l, "offset"))
                if let j = stack.last!, pendingChannels { offsets[j] = v }
                pendingOffset = false
            case "CHANNELS":
                guard let top = stack.last, let j = top, pendingChannels, !pendingOffset else { throw fail(l, "CHANNELS out of place") }
                guard w.count >= 2, let n = Int(w[1]), (0...6).contains(n) else { throw fail(l, "CHANNELS needs a count from 0 to 6") }
                guard w.count == 2 + n else { throw fail(l, "CHANNELS says \(n) but lists \(w.count - 2)") }
                var list = [Channel]()
                for name in w.dropFirst(2) {
                    guard let c = Channel(rawValue: String(name)) else {
                        throw fail(l, "unknown channel '\(name.prefix(40))' (known: \(Channel.allCases.map(\.rawValue).joined(separator: ", ")))")
                    }
                    guard !list.contains(c) else { throw fail(l, "channel \(c.rawValue) is listed twice") }
                    list.append(c)
                }
                channels[j] = list
                pendingChannels = false
            case "}":
                guard w.count == 1, !stack.isEmpty else { throw fail(l, "unmatched '}'") }
                guard !pendingOffset else { throw fail(l, "the block closes without an OFFSET") }
                if stack.last! != nil, pendingChannels { throw fail(l, "the joint closes without CHANNELS") }
                stack.removeLast()
            default:
                throw fail(l, "unknown keyword '\(w[0].prefix(40))'")
            }
            if sawRoot, stack.isEmpty, !expectBrace { break }
        }
        guard let motionLine = nextContentLine(), words(motionLine) == ["MOTION"] else {
            throw fail(min(i, lines.count - 1), "expected MOTION after the hierarchy")
        }
        i += 1
        guard let framesLine = nextContentLine() else { throw fail(lines.count - 1, "missing 'Frames:'") }
        let fw = words(framesLine)
        guard fw.count == 2, fw[0] == "Frames:", let frameCount = Int(fw[1]), frameCount >= 0 else {
            throw fail(framesLine, "expected 'Frames: <count>'")
        }
        guard frameCount <= maximumFrames else { throw fail(framesLine, "more than \(maximumFrames) frames") }
        i += 1
        guard let timeLine = nextContentLine() else { throw fail(lines.count - 1, "missing 'Frame Time:'") }
        let tw = words(timeLine)
        guard tw.count == 3, tw[0] == "Frame", tw[1] == "Time:" else { throw fail(timeLine, "expected 'Frame Time: <seconds>'") }
        let frameTime = try decimal(tw[2], timeLine, "frame time")
        guard frameTime > 0 else { throw fail(timeLine, "the frame time must be positive") }
        i += 1
        let width = channels.reduce(0) { $0 + $1.count }
        guard width * frameCount <= maximumValues else { throw fail(framesLine, "\(frameCount) frames of \(width) values is too many") }
        var frames = [[Double]]()
        frames.reserveCapacity(frameCount)
        while let l = nextContentLine() {
            i += 1
            guard frames.count < frameCount else { throw fail(l, "more frame lines than 'Frames: \(frameCount)'") }
            let w = words(l)
            guard w.count == width else { throw fail(l, "a frame has \(w.count) values; the channels need \(width)") }
            frames.append(try w.map { try decimal($0, l, "value") })
        }
        guard frames.count == frameCount else {
            throw MotionFileError(path: path, reason: "'Frames: \(frameCount)' but the file has \(frames.count) frame lines")
        }
        return Motion(jointNames: names, parents: parents, offsets: offsets, channels: channels, frameTime: frameTime, frames: frames)
    }
}
