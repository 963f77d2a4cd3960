import DiffuseMotion
import DiffuseTensor
import Foundation

/// The motion readers as fuzz targets: BVH files, HumanML3D feature files and caption files.
extension FuzzTarget {
    static let bvh: FuzzTarget = {
        let skeleton = (try? Skeleton.humanML3D()) ?? { fatalError("the default skeleton is valid") }()
        let clip = ProceduralMotion.generate(.sample(action: .walk, seed: 1))
        let written = (try? BVHFile.encode(Array(clip.positions.prefix(3)), skeleton: skeleton)) ?? ""
        let small = "HIERARCHY\nROOT a\n{\n OFFSET 0 0 0\n CHANNELS 3 Xposition Yposition Zposition\n JOINT b\n {\n  OFFSET 0 1 0\n  CHANNELS 1 Zrotation\n  End Site\n  {\n   OFFSET 0 1 0\n  }\n }\n}\nMOTION\nFrames: 2\nFrame Time: 0.1\n0 0 0 90\n1 0 0 -90\n"
        return FuzzTarget(name: "bvh", seeds: [Data(written.utf8), Data(small.utf8)], read: { data in try BVHFile.decode(data, path: "fuzz.bvh") }) { data, motion in
            // Independently, from the words: joints are ROOT/JOINT lines, the channel total is the sum
            // of CHANNELS counts, and the frame lines follow 'Frame Time:' with that many numbers each.
            let text = String(decoding: data, as: UTF8.self)
            let lines = text.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }).map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }) }
            let joints = lines.filter { $0.first == "ROOT" || $0.first == "JOINT" }.count
            let width = lines.filter { $0.first == "CHANNELS" }.reduce(0) { $0 + (Int($1[1]) ?? -1_000_000) }
            guard motion.jointNames.count == joints else { return "\(motion.jointNames.count) joints read, \(joints) ROOT/JOINT lines" }
            guard motion.channels.reduce(0, { $0 + $1.count }) == width else { return "channel total differs from the CHANNELS counts (\(width))" }
            guard let timeLine = lines.firstIndex(where: { $0.count == 3 && $0[0] == "Frame" && $0[1] == "Time:" }) else { return "accepted without 'Frame Time:'" }
            let frameLines = lines[(timeLine + 1)...].filter { !$0.isEmpty }
            guard frameLines.count == motion.frames.count else { return "\(motion.frames.count) frames read, \(frameLines.count) frame lines" }
            for (line, frame) in zip(frameLines, motion.frames) {
                let values = line.map { Double($0) }
                guard values.count == frame.count, zip(values, frame).allSatisfy({ $0 == $1 }) else { return "a frame's values differ from its line" }
            }
            guard motion.positions().allSatisfy({ $0.allSatisfy { $0.x.isFinite && $0.y.isFinite && $0.z.isFinite } }) else {
                return "finite values gave non-finite positions"
            }
            return nil
        }
    }()

    static let humanML3DFeatures: FuzzTarget = {
        let clip = ProceduralMotion.generate(.sample(action: .jump, seed: 2))
        let rows = (try? HumanML3DFeatures.encode(Array(clip.positions.prefix(4)), skeleton: clip.skeleton)) ?? []
        let seed = NumPyFile.encode(Tensor<Float>(shape: [rows.count, 263], scalars: rows.joined().map { Float($0) }))
        return FuzzTarget(name: "humanml3d-features", seeds: [seed, NumPyFile.encode(Tensor<Double>(zeros: [1, 263]))], read: { data in
            try HumanML3DFolder.decodeFeatures(try NumPyFile.decode(data, path: "fuzz.npy"), path: "fuzz.npy")
        }) { data, rows in
            // Independently: the array's own shape and values, through the generic tensor view.
            let array = try NumPyFile.decode(data, path: "fuzz.npy")
            let values = array.tensor(as: Double.self).scalars
            guard array.shape == [rows.count, 263] else { return "shape \(array.shape) accepted as \(rows.count) rows" }
            guard values.allSatisfy({ $0.isFinite }) else { return "non-finite values accepted" }
            guard rows.joined().elementsEqual(values) else { return "values differ from the array's" }
            return nil
        }
    }()

    static let humanML3DCaptions = FuzzTarget(
        name: "humanml3d-captions",
        seeds: [Data("a person walks.#a/DET person/NOUN walk/VERB#0.0#0.0\nsomeone jumps#someone/PRON jump/VERB#1.5#3.0\n".utf8), Data("x#y#nan#nan\r\n".utf8)],
        read: { data -> [HumanML3DFolder.Caption] in
            guard let text = String(data: data, encoding: .utf8) else { throw CocoaError(.fileReadInapplicableStringEncoding) }
            return try HumanML3DFolder.parseCaptions(text, path: "fuzz.txt")
        }) { data, captions in
            // Independently: non-blank lines, each split at '#' into exactly four parts.
            // Bytes: CR LF, LF and a lone CR each end a line.
            var lineBytes: [[UInt8]] = [[]]
            let bytes = [UInt8](data)
            var i = 0
            while i < bytes.count {
                if bytes[i] == 0x0D || bytes[i] == 0x0A {
                    if bytes[i] == 0x0D, i + 1 < bytes.count, bytes[i + 1] == 0x0A { i += 1 }
                    lineBytes.append([])
                } else {
                    lineBytes[lineBytes.count - 1].append(bytes[i])
                }
                i += 1
            }
            let lines = lineBytes.map { String(decoding: $0, as: UTF8.self) }.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            guard lines.count == captions.count else { return "\(captions.count) captions from \(lines.count) lines" }
            for (line, caption) in zip(lines, captions) {
                let parts = line.components(separatedBy: "#")
                guard parts.count == 4, parts[0] == caption.text else { return "caption '\(caption.text.prefix(20))' from line '\(line.prefix(40))'" }
                if let span = caption.span, !(span.lowerBound >= 0 && span.lowerBound <= span.upperBound) { return "span \(span) accepted" }
            }
            return nil
        }
}
