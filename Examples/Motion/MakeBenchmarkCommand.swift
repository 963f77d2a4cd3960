import ArgumentParser
import DiffuseMotion
import DiffuseTensor
import Foundation

/// `motion make-benchmark`: writes the procedural benchmark in HumanML3D's folder layout. The
/// manifest (`clips.csv`, splits, action labels, `Mean.npy`/`Std.npy`) is what `Datasets/motion`
/// ships; `--features` adds the per-clip `.npy` files and captions (about 100 MB, regenerated
/// rather than shipped).
struct MakeBenchmarkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "make-benchmark",
        abstract: "Write the procedural motion benchmark (manifest, splits, statistics; optionally every clip).")

    @Option(help: "Output folder.")
    var out: String = "Datasets/motion"

    @Flag(help: "Also write new_joint_vecs/<id>.npy (F−1 × 263), new_joints/<id>.npy (F × 22 × 3) and texts/<id>.txt.")
    var features = false

    func run() throws {
        let folder = URL(fileURLWithPath: out)
        try AtomicFile.createFolder(at: folder)
        if features {
            for sub in ["new_joint_vecs", "new_joints", "texts"] { try AtomicFile.createFolder(at: folder.appendingPathComponent(sub)) }
        }
        var csv = "id,action,split,seed,duration_s,speed_m_s,stride_m,turn_rate_rad_s,amplitude,rate_hz,body_scale,"
            + MotionBenchmark.summaryColumns.joined(separator: ",") + "\n"
        var trainRows = [[[Double]]]()
        var perAction = [MotionAction: [[Double]]]()
        let entries = MotionBenchmark.entries
        for (n, entry) in entries.enumerated() {
            let p = entry.parameters
            let clip = ProceduralMotion.generate(p)
            guard clip.unreachedFrames == 0 else { throw ValidationError("\(entry.id): a leg could not reach its foot in \(clip.unreachedFrames) frames") }
            let rows = try HumanML3DFeatures.encode(clip.positions, skeleton: clip.skeleton)
            if !entry.isTest { trainRows.append(rows) }
            let summary = MotionBenchmark.summary(clip, features: rows)
            perAction[p.action, default: []].append([p.duration, p.speed, MotionMetrics.rootSpeed(clip.positions), summary[3], summary[4], MotionMetrics.footSkatingRatio(clip.positions)])
            let values = [p.duration, p.speed, p.stride, p.turnRate, p.amplitude, p.rate, p.bodyScale].map { String(format: "%.6f", $0) }
            csv += "\(entry.id),\(p.action.rawValue),\(entry.isTest ? "test" : "train"),\(p.seed),\(values.joined(separator: ",")),"
                + summary.map { String(format: "%.6f", $0) }.joined(separator: ",") + "\n"
            if features {
                try HumanML3DFolder.writeFeatures(rows, to: folder.appendingPathComponent("new_joint_vecs/\(entry.id).npy"))
                try NumPyFile.write(Tensor<Float>(shape: [clip.positions.count, 22, 3], scalars: clip.positions.joined().flatMap { [Float($0.x), Float($0.y), Float($0.z)] }),
                                    to: folder.appendingPathComponent("new_joints/\(entry.id).npy"))
                try AtomicFile.write(caption(p) + "\n", to: folder.appendingPathComponent("texts/\(entry.id).txt"))
            }
            if (n + 1) % 110 == 0 { FileHandle.standardError.write(Data("\(n + 1)/\(entries.count) clips\n".utf8)) }
        }
        try AtomicFile.write(csv, to: folder.appendingPathComponent("clips.csv"))
        try AtomicFile.write(entries.map { "\($0.id) \($0.parameters.action.rawValue)" }.joined(separator: "\n") + "\n", to: folder.appendingPathComponent("actions.txt"))
        try AtomicFile.write(MotionBenchmark.entries(test: false).map(\.id).joined(separator: "\n") + "\n", to: folder.appendingPathComponent("train.txt"))
        try AtomicFile.write(MotionBenchmark.entries(test: true).map(\.id).joined(separator: "\n") + "\n", to: folder.appendingPathComponent("test.txt"))
        let normalization = try FeatureNormalization(clips: trainRows)
        try NumPyFile.write(Tensor<Float>(normalization.mean.map { Float($0) }), to: folder.appendingPathComponent("Mean.npy"))
        try NumPyFile.write(Tensor<Float>(normalization.standardDeviation.map { Float($0) }), to: folder.appendingPathComponent("Std.npy"))

        print("| action | clips | mean length (s) | asked speed (m/s) | measured speed (m/s) | turn rate (rad/s) | left-foot contact | foot skating |")
        print("|---|---|---|---|---|---|---|---|")
        for action in MotionAction.allCases {
            let r = perAction[action] ?? []
            func mean(_ k: Int) -> Double { r.map { $0[k] }.reduce(0, +) / Double(max(1, r.count)) }
            func range(_ k: Int) -> String {
                let v = r.map { $0[k] }
                return String(format: "%.2f–%.2f", v.min() ?? 0, v.max() ?? 0)
            }
            print("| \(action.rawValue) | \(r.count) | \(String(format: "%.1f", mean(0))) | \(range(1)) | \(range(2)) | \(range(3)) | \(String(format: "%.2f", mean(4))) | \(String(format: "%.3f", r.map { $0[5] }.max() ?? 0)) |")
        }
        print("wrote \(entries.count) clips' manifest to \(folder.path)\(features ? " with features, joints and captions" : "")")
    }

    /// A HumanML3D-style caption (`text#tokens#0.0#0.0`) naming the action and its main parameter.
    func caption(_ p: MotionParameters) -> String {
        let text: String
        switch p.action {
        case .walk: text = String(format: "a person walks forward at %.1f metres per second.", p.speed)
        case .jog: text = String(format: "a person jogs forward at %.1f metres per second.", p.speed)
        case .run: text = String(format: "a person runs forward at %.1f metres per second.", p.speed)
        case .sidestepLeft: text = "a person side steps to the left."
        case .sidestepRight: text = "a person side steps to the right."
        case .turnLeft: text = "a person walks in a curve to the left."
        case .turnRight: text = "a person walks in a curve to the right."
        case .jump: text = "a person jumps up and down in place."
        case .squat: text = "a person does squats."
        case .wave: text = "a person waves with the right hand."
        case .idle: text = "a person stands and sways."
        }
        let tokens = text.dropLast().split(separator: " ").map { "\($0)/X" }.joined(separator: " ")
        return "\(text)#\(tokens)#0.0#0.0"
    }
}
