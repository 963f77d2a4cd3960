import DiffuseNN
import DiffuseTensor
import Foundation

/// A trained motion model on disk: a `Checkpoint` folder (`model.safetensors` and `config.json`)
/// whose configuration names the network, its training settings and the action names.
///
/// ``load(from:)`` checks every configured size against its limits before anything is built
/// (a hand-edited `config.json` cannot make the program allocate without bound) and then that the
/// weights are exactly those the configured network expects, by name and shape; each failure
/// names the file and the field or tensor.
public protocol MotionCheckpoint: Codable, Sendable {
    /// Throws a `TrainingConfigurationError` naming the first field outside its limits.
    func validate() throws
    /// The weights the configured network expects (their values do not matter).
    func expectedParameters() -> ParameterSet<Float>
}

extension MotionCheckpoint {
    /// The weights and the checkpoint in `folder`, checked as described on ``MotionCheckpoint``.
    public static func load(from folder: URL) throws -> (parameters: ParameterSet<Float>, checkpoint: Self) {
        let (parameters, checkpoint) = try Checkpoint.load(from: folder, as: Float.self, configuration: Self.self, validate: { try $0.validate() })
        if let mismatch = parameters.firstMismatch(against: checkpoint.expectedParameters()) {
            throw MotionFileError(path: folder.appendingPathComponent("model.safetensors").path, reason: "the weights do not fit the configured network: \(mismatch)")
        }
        return (parameters, checkpoint)
    }

    /// Writes `parameters` and this checkpoint's configuration into `folder` (atomically, as `Checkpoint.save`).
    public func save(parameters: ParameterSet<Float>, to folder: URL) throws {
        try Checkpoint.save(parameters: parameters, configuration: self, to: folder)
    }
}

/// A field check's error, for the networks' `check(_:)`.
private func field(_ prefix: String) -> (String, Any, String) -> Error {
    { name, value, rule in TrainingConfigurationError(field: prefix + name, value: "\(value)", rule: rule) }
}

private func require(_ condition: Bool, _ name: String, _ value: Any, _ rule: String) throws {
    if !condition { throw TrainingConfigurationError(field: name, value: "\(value)", rule: rule) }
}

private func checkNormalization(_ normalization: FeatureNormalization, features: Int, field name: String) throws {
    try require(normalization.mean.count == features && normalization.standardDeviation.count == features, name, normalization.mean.count, "one mean and one deviation per feature (\(features))")
}

private func checkActions(_ actions: [String], count: Int) throws {
    try require(actions.count == count, "actions", actions.count, "one name per action of the network (\(count))")
}

/// EMDM: a ``DenoisingGANConfiguration`` (generator, discriminator, schedule) and the action names.
public struct EMDMCheckpoint: MotionCheckpoint {
    public var configuration: DenoisingGANConfiguration
    public var actions: [String]

    public init(configuration: DenoisingGANConfiguration, actions: [String]) {
        self.configuration = configuration
        self.actions = actions
    }

    public func validate() throws {
        let c = configuration
        try c.generator.check(field("configuration.generator."))
        try c.discriminator.check(field("configuration.discriminator."))
        try require((1...1000).contains(c.steps), "configuration.steps", c.steps, "in 1…1000")
        try require(c.generator.latentSize > 0, "configuration.generator.latentSize", c.generator.latentSize, "positive for EMDM")
        try checkNormalization(c.normalization, features: c.generator.features, field: "configuration.normalization")
        try checkActions(actions, count: c.generator.actionCount)
    }

    public func expectedParameters() -> ParameterSet<Float> { configuration.generator.makeParameters(as: Float.self, key: RandomKey(seed: 0)) }
}

/// The many-step diffusion baseline: a ``MotionDiffusionConfiguration`` and the action names.
public struct BaselineCheckpoint: MotionCheckpoint {
    public var configuration: MotionDiffusionConfiguration
    public var actions: [String]

    public init(configuration: MotionDiffusionConfiguration, actions: [String]) {
        self.configuration = configuration
        self.actions = actions
    }

    public func validate() throws {
        let c = configuration
        try c.network.check(field("configuration.network."))
        try require((2...100_000).contains(c.trainingTimesteps), "configuration.trainingTimesteps", c.trainingTimesteps, "in 2…100000")
        try checkNormalization(c.normalization, features: c.network.features, field: "configuration.normalization")
        try checkActions(actions, count: c.network.actionCount)
    }

    public func expectedParameters() -> ParameterSet<Float> { configuration.network.makeParameters(as: Float.self, key: RandomKey(seed: 0)) }
}

/// The evaluator: a ``MotionClassifier``, the action names, the window length and the
/// normalisation it was trained with.
public struct EvaluatorCheckpoint: MotionCheckpoint {
    public var classifier: MotionClassifier
    public var actions: [String]
    public var frames: Int
    public var normalization: FeatureNormalization

    public init(classifier: MotionClassifier, actions: [String], frames: Int, normalization: FeatureNormalization) {
        self.classifier = classifier
        self.actions = actions
        self.frames = frames
        self.normalization = normalization
    }

    public func validate() throws {
        try require((1...1024).contains(classifier.actionCount), "classifier.actionCount", classifier.actionCount, "in 1…1024")
        try require((1...4096).contains(classifier.channels), "classifier.channels", classifier.channels, "in 1…4096")
        try require((1...4096).contains(classifier.embeddingSize), "classifier.embeddingSize", classifier.embeddingSize, "in 1…4096")
        try require(classifier.features == HumanML3DFeatures.width, "classifier.features", classifier.features, "\(HumanML3DFeatures.width) (HumanML3D)")
        try require((2...196).contains(frames), "frames", frames, "in 2…196")
        try checkNormalization(normalization, features: HumanML3DFeatures.width, field: "normalization")
        try checkActions(actions, count: classifier.actionCount)
    }

    public func expectedParameters() -> ParameterSet<Float> { classifier.makeParameters(as: Float.self, key: RandomKey(seed: 0)) }
}
