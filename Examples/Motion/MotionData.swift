import DiffuseNN
import DiffuseTensor
import DiffuseCore
import DiffuseMotion
import Foundation

/// Training data and checkpoint configurations shared by the `motion` commands.
enum MotionData {
    /// Windows of the training split and the action names (the benchmark, or a HumanML3D folder
    /// whose `actions.txt` labels the clips).
    static func training(frames: Int, folder: String?) throws -> (MotionWindows, [String]) {
        guard let folder else {
            return (try MotionWindows.benchmark(frames: frames, test: false), MotionAction.allCases.map(\.rawValue))
        }
        let dataset = HumanML3DFolder(URL(fileURLWithPath: folder))
        let clips = try dataset.clips(split: "train")
        let actions = Array(Set(clips.compactMap(\.action))).sorted()
        guard !actions.isEmpty else { throw MotionFileError(path: folder, reason: "no clip of the train split has an action in actions.txt") }
        let labelled = clips.filter { $0.action != nil }
        let rows = labelled.map(\.features)
        return (try MotionWindows(clips: rows, labels: labelled.map { actions.firstIndex(of: $0.action!)! }, frames: frames,
                                  normalization: FeatureNormalization(clips: rows)), actions)
    }
}

/// The baseline's samplers over the shared engine: DDPM and DDIM on diffusers' trailing grids,
/// DPM-Solver++(2M) on its default grid.
enum BaselineSolver: String, CaseIterable {
    case ddpm, ddim, dpmpp

    func sample(_ model: MotionDenoiserModel, schedule: DiscreteVPSchedule, steps: Int, labels: [Int], frames: Int, guidance: Double, key: RandomKey) -> Tensor<Float> {
        switch self {
        case .ddpm: return model.sample(labels: labels, frames: frames, grid: .diffusers(schedule, scheduler: .ddpm, steps: steps, spacing: .trailing), sampler: DDPMSampler<Tensor<Float>>(), guidance: guidance, key: key).samples
        case .ddim: return model.sample(labels: labels, frames: frames, grid: .diffusers(schedule, scheduler: .ddim, steps: steps, spacing: .trailing), sampler: DDIMSampler<Tensor<Float>>(), guidance: guidance, key: key).samples
        case .dpmpp: return model.sample(labels: labels, frames: frames, grid: .diffusers(schedule, scheduler: .dpmSolver, steps: steps), sampler: DPMSolverPlusPlus<Tensor<Float>>(), guidance: guidance, key: key).samples
        }
    }
}

struct EvaluatorCheckpoint: Codable { var classifier: MotionClassifier; var actions: [String]; var frames: Int; var normalization: FeatureNormalization }
struct BaselineCheckpoint: Codable { var configuration: MotionDiffusionConfiguration; var actions: [String] }
struct EMDMCheckpoint: Codable { var configuration: DenoisingGANConfiguration; var actions: [String] }

/// A one-line progress display on standard error, redrawn at most 4 times a second.
final class ProgressLine {
    let total: Int
    let start = Date()
    var last = Date.distantPast

    init(total: Int) { self.total = total }

    func update(_ done: Int, _ detail: String) {
        let now = Date()
        guard done == total || now.timeIntervalSince(last) > 0.25 else { return }
        last = now
        let elapsed = now.timeIntervalSince(start)
        let remaining = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
        FileHandle.standardError.write(Data(String(format: "\r%d/%d  %@  %.0f s, %.0f s left   ", done, total, detail, elapsed, remaining).utf8))
    }

    func finish() { FileHandle.standardError.write(Data("\n".utf8)) }
}

/// A configuration field out of its range, named.
struct ConfigurationFieldError: Error, CustomStringConvertible {
    var field: String
    var value: String
    var expected: String
    var description: String { "configuration field '\(field)' is \(value); expected \(expected)" }
}

func fieldError(_ field: String, _ value: Any, _ expected: String) -> Error { ConfigurationFieldError(field: field, value: "\(value)", expected: expected) }

/// Loads a checkpoint folder, checks its configuration's sizes before anything is built, and checks
/// that the weights are exactly the ones the network expects (names and shapes).
func loadChecked<C: Decodable & Sendable>(_ path: String, as type: C.Type, check: (C) throws -> Void, expected: (C) -> ParameterSet<Float>) throws -> (ParameterSet<Float>, C) {
    let folder = URL(fileURLWithPath: path)
    let (parameters, configuration) = try Checkpoint.load(from: folder, as: Float.self, configuration: C.self, validate: check)
    if let mismatch = parameters.firstMismatch(against: expected(configuration)) {
        throw MotionFileError(path: folder.path, reason: "the weights do not fit the configured network: \(mismatch)")
    }
    return (parameters, configuration)
}

extension EvaluatorCheckpoint {
    static func load(_ path: String) throws -> (ParameterSet<Float>, EvaluatorCheckpoint) {
        try loadChecked(path, as: EvaluatorCheckpoint.self, check: { c in
            guard (1...1024).contains(c.classifier.actionCount), c.classifier.actionCount == c.actions.count else { throw fieldError("classifier.actionCount", c.classifier.actionCount, "1…1024 and one per action name") }
            guard (1...4096).contains(c.classifier.channels), (1...4096).contains(c.classifier.embeddingSize), c.classifier.features == HumanML3DFeatures.width else {
                throw fieldError("classifier", c.classifier.channels, "channels and embedding in 1…4096 over 263 features")
            }
            guard (2...196).contains(c.frames) else { throw fieldError("frames", c.frames, "2…196") }
            guard c.normalization.mean.count == HumanML3DFeatures.width, c.normalization.standardDeviation.count == HumanML3DFeatures.width else { throw fieldError("normalization", c.normalization.mean.count, "263 means and deviations") }
        }, expected: { $0.classifier.makeParameters(as: Float.self, key: RandomKey(seed: 0)) })
    }
}

extension EMDMCheckpoint {
    static func load(_ path: String) throws -> (ParameterSet<Float>, EMDMCheckpoint) {
        try loadChecked(path, as: EMDMCheckpoint.self, check: { c in
            try c.configuration.generator.check { fieldError("configuration.generator.\($0)", $1, $2) }
            try c.configuration.discriminator.check { fieldError("configuration.discriminator.\($0)", $1, $2) }
            guard (1...1000).contains(c.configuration.steps) else { throw fieldError("configuration.steps", c.configuration.steps, "1…1000") }
            guard c.configuration.generator.latentSize > 0 else { throw fieldError("configuration.generator.latentSize", 0, "positive for EMDM") }
            guard c.configuration.normalization.mean.count == c.configuration.generator.features else { throw fieldError("configuration.normalization", c.configuration.normalization.mean.count, "one mean per feature") }
        }, expected: { $0.configuration.generator.makeParameters(as: Float.self, key: RandomKey(seed: 0)) })
    }
}

extension BaselineCheckpoint {
    static func load(_ path: String) throws -> (ParameterSet<Float>, BaselineCheckpoint) {
        try loadChecked(path, as: BaselineCheckpoint.self, check: { c in
            try c.configuration.network.check { fieldError("configuration.network.\($0)", $1, $2) }
            guard (2...100_000).contains(c.configuration.trainingTimesteps) else { throw fieldError("configuration.trainingTimesteps", c.configuration.trainingTimesteps, "2…100000") }
            guard c.configuration.normalization.mean.count == c.configuration.network.features else { throw fieldError("configuration.normalization", c.configuration.normalization.mean.count, "one mean per feature") }
        }, expected: { $0.configuration.network.makeParameters(as: Float.self, key: RandomKey(seed: 0)) })
    }
}
