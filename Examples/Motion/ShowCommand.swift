import ArgumentParser
import DiffuseMotion
import DiffuseTensor
import Foundation

/// `motion show`: generates benchmark clips of one action and writes each as BVH, HumanML3D
/// features (`.npy`), a stick-figure strip and foot plots, printing the clip's measures.
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Write procedural clips of an action as BVH, .npy features and SVG plots.")

    @Option(help: "Action: \(MotionAction.allCases.map(\.rawValue).joined(separator: ", ")).")
    var action: String = "walk"

    @Option(help: "Number of clips (1–100).")
    var count: Int = 1

    @Option(help: "Seed of the first clip; clip i uses seed + i.")
    var seed: UInt64 = 1

    @Option(help: "Output folder (created; files are written atomically).")
    var out: String = "motion-out"

    @Flag(help: "Print the measures as JSON instead of a table.")
    var json = false

    func validate() throws {
        guard MotionAction(rawValue: action) != nil else {
            throw ValidationError("--action '\(action)' is not one of \(MotionAction.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard (1...100).contains(count) else { throw ValidationError("--count must be 1 to 100, got \(count)") }
        guard seed <= UInt64.max - 100 else { throw ValidationError("--seed is too large") }
    }

    func run() throws {
        let action = MotionAction(rawValue: action)!
        let folder = URL(fileURLWithPath: out)
        try AtomicFile.createFolder(at: folder)
        var records = [[String: Double]]()
        for i in 0..<count {
            let parameters = MotionParameters.sample(action: action, seed: seed + UInt64(i))
            let clip = ProceduralMotion.generate(parameters)
            let name = "\(action.rawValue)_\(seed + UInt64(i))"
            try BVHFile.write(clip.positions, skeleton: clip.skeleton, to: folder.appendingPathComponent("\(name).bvh"))
            let rows = try HumanML3DFeatures.encode(clip.positions, skeleton: clip.skeleton)
            try HumanML3DFolder.writeFeatures(rows, to: folder.appendingPathComponent("\(name).npy"))
            let title = String(format: "%@ — speed %.2f m/s, stride %.2f m, turn %.2f rad/s, amplitude %.2f, body %.2f",
                               action.rawValue, parameters.speed, parameters.stride, parameters.turnRate, parameters.amplitude, parameters.bodyScale)
            try AtomicFile.write(StickFigureStrip.svg(clip.positions, count: 10, title: title), to: folder.appendingPathComponent("\(name)_strip.svg"))
            try AtomicFile.write(FootTrajectoryPlot.groundTrack(clip.positions, title: "\(name): ground track"), to: folder.appendingPathComponent("\(name)_track.svg"))
            try AtomicFile.write(FootTrajectoryPlot.heights(clip.positions, title: "\(name): foot heights"), to: folder.appendingPathComponent("\(name)_feet.svg"))
            records.append([
                "seed": Double(seed + UInt64(i)), "frames": Double(clip.positions.count),
                "asked_speed": parameters.speed, "measured_speed": MotionMetrics.rootSpeed(clip.positions),
                "foot_skating": MotionMetrics.footSkatingRatio(clip.positions),
                "bone_length_spread": MotionMetrics.boneLengthSpread(clip.positions),
            ])
        }
        if json {
            let data = try JSONSerialization.data(withJSONObject: records, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("seed   frames  asked m/s  measured m/s  foot skating  bone spread (m)")
            for r in records {
                print(String(format: "%-6.0f %6.0f  %9.3f  %12.3f  %12.4f  %15.2e", r["seed"]!, r["frames"]!, r["asked_speed"]!, r["measured_speed"]!, r["foot_skating"]!, r["bone_length_spread"]!))
            }
            print("wrote \(count) clip(s) to \(folder.path): .bvh, .npy (HumanML3D features), _strip.svg, _track.svg, _feet.svg")
        }
    }
}
