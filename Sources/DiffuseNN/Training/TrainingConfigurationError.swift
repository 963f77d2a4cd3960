/// A configuration value outside its documented range: a training option, or a field of a
/// checkpoint's `config.json` checked before the model is built. `field` is the value's path
/// (e.g. `configuration.generator.layers`).
public struct TrainingConfigurationError: Error, CustomStringConvertible, Equatable {
    public var field: String
    public var value: String
    public var rule: String

    public init(field: String, value: String, rule: String) {
        self.field = field
        self.value = value
        self.rule = rule
    }

    public var description: String { "training configuration: \(field) = \(value) must be \(rule)" }
}
