import ArgumentParser
import DiffuseCore
import DiffuseMotion
import DiffuseNN
import DiffuseTensor
import Foundation

/// `motion generate`: samples motions of one action with EMDM or the baseline and writes them as
/// BVH, HumanML3D features (`.npy`) and stick-figure strips, printing each sample's measures.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Sample motions of an action with EMDM or the many-step baseline; write BVH, .npy and SVG.")

    @Option(help: "Action: \(MotionAction.allCases.map(\.rawValue).joined(separator: ", ")).") var action: String = "walk"
    @Option(help: "Samples (1–256).") var count: Int = 4
    @Option(help: "emdm, or a baseline sampler: ddpm, ddim, dpmpp.") var sampler: String = "emdm"
    @Option(help: "Steps of a baseline sampler (EMDM uses its trained steps).") var steps: Int = 20
    @Option(help: "Classifier-free guidance scale (1: conditional only).") var guidance: Double = 1
    @Option(help: "Seed.") var seed: UInt64 = 1
    @Option(help: "EMDM checkpoint folder.") var emdm: String = "Examples/Motion/Checkpoints/emdm"
    @Option(help: "Baseline checkpoint folder.") var baseline: String = "Examples/Motion/Checkpoints/mdm"
    @Option(help: "Output folder.") var out: String = "motion-out"
    @Flag(help: "Print the measures as JSON.") var json = false

    func validate() throws {
        guard MotionAction(rawValue: action) != nil else { throw ValidationError("--action '\(action)' is not one of \(MotionAction.allCases.map(\.rawValue).joined(separator: ", "))") }
        guard (1...256).contains(count) else { throw ValidationError("--count must be 1 to 256, got \(count)") }
        guard sampler == "emdm" || BaselineSolver(rawValue: sampler) != nil else { throw ValidationError("--sampler must be emdm, ddpm, ddim or dpmpp, got '\(sampler)'") }
        guard (1...1000).contains(steps) else { throw ValidationError("--steps must be 1 to 1000, got \(steps)") }
        guard guidance.isFinite, (0...20).contains(guidance) else { throw ValidationError("--guidance must be in 0…20") }
    }

    func run() throws {
        let action = MotionAction(rawValue: action)!
        let labels = Array(repeating: MotionAction.allCases.firstIndex(of: action)!, count: count)
        let key = RandomKey(seed: seed)
        let start = Date()
        let samples: Tensor<Float>, normalization: FeatureNormalization, frames: Int, actions: [String]
        if sampler == "emdm" {
            let (parameters, checkpoint) = try EMDMCheckpoint.load(from: URL(fileURLWithPath: emdm))
            let c = checkpoint.configuration
            (normalization, frames, actions) = (c.normalization, c.generator.frames, checkpoint.actions)
            samples = MotionDenoiserModel(network: c.generator, parameters: parameters)
                .sample(labels: labels, frames: frames, grid: .discrete(c.schedule, steps: c.steps, spacing: .linspace), sampler: DDPMSampler<Tensor<Float>>(), guidance: guidance, key: key).samples
        } else {
            let (parameters, checkpoint) = try BaselineCheckpoint.load(from: URL(fileURLWithPath: baseline))
            let c = checkpoint.configuration
            (normalization, frames, actions) = (c.normalization, c.network.frames, checkpoint.actions)
            guard steps <= c.trainingTimesteps else { throw ValidationError("--steps must be at most the baseline's \(c.trainingTimesteps) timesteps") }
            samples = BaselineSolver(rawValue: sampler)!.sample(MotionDenoiserModel(network: c.network, parameters: parameters), schedule: c.schedule,
                                                                 steps: steps, labels: labels, frames: frames, guidance: guidance, key: key)
        }
        let seconds = Date().timeIntervalSince(start)
        guard actions == MotionAction.allCases.map(\.rawValue) else { throw ValidationError("the checkpoint was trained on other actions (\(actions.joined(separator: ", ")))") }
        let folder = URL(fileURLWithPath: out)
        try AtomicFile.createFolder(at: folder)
        let skeleton = try Skeleton.humanML3D()
        var records = [[String: Double]]()
        for (i, rows) in normalization.denormalize(windows: samples).enumerated() {
            let positions = try HumanML3DFeatures.positions(rows)
            let name = "\(action.rawValue)_\(sampler)_\(i)"
            try BVHFile.write(positions, skeleton: skeleton.fitted(to: positions), to: folder.appendingPathComponent("\(name).bvh"))
            try HumanML3DFolder.writeFeatures(rows, to: folder.appendingPathComponent("\(name).npy"))
            try AtomicFile.write(StickFigureStrip.svg(positions, count: 8, title: "\(action.rawValue), \(sampler), sample \(i)"), to: folder.appendingPathComponent("\(name)_strip.svg"))
            records.append(["sample": Double(i), "speed": MotionMetrics.rootSpeed(positions), "foot_skating": MotionMetrics.footSkatingRatio(positions), "bone_length_spread": MotionMetrics.boneLengthSpread(positions)])
        }
        if json {
            let data = try JSONSerialization.data(withJSONObject: ["seconds": seconds, "samples": records], options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("sample  speed m/s  foot skating  bone spread (m)")
        for r in records { print(String(format: "%6.0f  %9.3f  %12.4f  %15.4f", r["sample"]!, r["speed"]!, r["foot_skating"]!, r["bone_length_spread"]!)) }
        print(String(format: "%d samples of %d frames in %.3f s (%.1f ms per sequence); wrote .bvh, .npy and _strip.svg files to %@", count, frames, seconds, 1000 * seconds / Double(count), folder.path))
    }
}
