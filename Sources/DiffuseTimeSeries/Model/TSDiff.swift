import DiffuseCore
import DiffuseNN
import DiffuseTensor
import Foundation

/// The configuration of a TSDiff model: windows, network and diffusion.
public struct TSDiffConfiguration: Codable, Hashable, Sendable {
    public var layout: WindowLayout
    public var backbone: TSDiffBackboneConfiguration
    /// Diffusion steps T (TSDiff: 100).
    public var diffusionSteps: Int
    /// Linear β from `betaStart` to `betaEnd` (TSDiff: 1e-4 → 0.1).
    public var betaStart: Double
    public var betaEnd: Double
    public var frequency: Frequency

    public init(layout: WindowLayout, backbone: TSDiffBackboneConfiguration? = nil, diffusionSteps: Int = 100,
                betaStart: Double = 1e-4, betaEnd: Double = 0.1, frequency: Frequency) {
        self.layout = layout
        self.backbone = backbone ?? TSDiffBackboneConfiguration(channels: layout.channels)
        precondition(self.backbone.channels == layout.channels, "backbone channels \(self.backbone.channels) ≠ window channels \(layout.channels)")
        self.diffusionSteps = diffusionSteps
        self.betaStart = betaStart
        self.betaEnd = betaEnd
        self.frequency = frequency
    }

    /// Throws ``TimeSeriesError/invalidOption(_:)`` for a configuration no model can have — what
    /// a hand-edited `config.json` can hold although the initialisers rule it out.
    public func validate() throws {
        func fail(_ text: String) -> TimeSeriesError { .invalidOption("model configuration: \(text)") }
        guard layout.contextLength > 0, layout.predictionLength > 0 else { throw fail("context and prediction lengths must be positive") }
        guard layout.lags.allSatisfy({ $0 > 0 }) else { throw fail("lags must be positive") }
        guard backbone.channels == layout.channels else { throw fail("backbone channels \(backbone.channels) ≠ window channels \(layout.channels)") }
        guard backbone.hidden > 0, backbone.blocks > 0, backbone.stepEmbedding > 0, backbone.stepEmbedding % 2 == 0, backbone.stateSize > 0 else {
            throw fail("hidden size, blocks, state size and an even step embedding must be positive")
        }
        guard (0..<1).contains(backbone.dropout) else { throw fail("dropout must be in [0, 1)") }
        guard diffusionSteps > 0 else { throw fail("diffusion steps must be positive") }
        guard betaStart > 0, betaStart <= betaEnd, betaEnd < 1 else { throw fail("need 0 < betaStart ≤ betaEnd < 1") }
    }

    /// The paper's setting for a frequency: context 336 and horizon 24 for hourly data, TSDiff's
    /// lags, hidden 64 × 3 S4 blocks, T = 100.
    public static func standard(frequency: Frequency, contextLength: Int? = nil, predictionLength: Int? = nil) -> TSDiffConfiguration {
        let ctx = contextLength ?? (frequency == .hourly ? 336 : 360)
        let pred = predictionLength ?? (frequency == .hourly ? 24 : 30)
        return TSDiffConfiguration(layout: WindowLayout(contextLength: ctx, predictionLength: pred, lags: frequency.tsdiffLags), frequency: frequency)
    }
}

/// TSDiff (Kollovieh, Ansari, Bohlke-Schneider, Zschiegner, Wang & Wang, "Predict, Refine,
/// Synthesize: Self-Guiding Diffusion Models for Probabilistic Time Series Forecasting",
/// NeurIPS 2023): an unconditional DDPM over windows of context + horizon with lag channels,
/// which forecasts by observation self-guidance, refines other forecasts, and synthesises data.
public struct TSDiff: Sendable {
    public var configuration: TSDiffConfiguration
    public var parameters: ParameterSet<Float>
    public let backbone: TSDiffBackbone
    public let schedule: DiscreteVPSchedule

    /// A freshly initialised model.
    public init(configuration: TSDiffConfiguration, seed: UInt64 = 0) {
        self.configuration = configuration
        backbone = TSDiffBackbone(configuration.backbone)
        parameters = backbone.makeParameters(key: RandomKey(seed: seed))
        schedule = DiscreteVPSchedule(trainingSteps: configuration.diffusionSteps,
                                      betaSchedule: .linear(start: configuration.betaStart, end: configuration.betaEnd))
    }

    /// A model with given parameters (names and shapes are checked).
    public init(configuration: TSDiffConfiguration, parameters: ParameterSet<Float>) throws {
        self.init(configuration: configuration)
        if let mismatch = parameters.firstMismatch(against: self.parameters) { throw TimeSeriesError.invalidOption("checkpoint \(mismatch)") }
        self.parameters = parameters
    }

    /// Windows per chunk when the noise model evaluates a batch (``NetworkModel/batchChunkSize``;
    /// 16 windows of 360 steps keep a chunk's activations within a few megabytes).
    public static let evaluationChunkSize = 16

    /// The noise-prediction network as a ``NetworkModel`` (for samplers and gradient guidance).
    public func noiseModel(parameters p: ParameterSet<Float>? = nil) -> NetworkModel<Float> {
        let bound = (p ?? parameters).constants
        let backbone = self.backbone
        // The S4 kernels depend on the parameters only: computed once for the window length.
        let length = configuration.layout.length
        let kernels = backbone.circularKernels(length: length, bound).map { Variable($0.value) }
        return NetworkModel(type: .noise, schedule: schedule, batchChunkSize: Self.evaluationChunkSize) { x, point in
            backbone(x, steps: [Double](repeating: point.time, count: x.shape[0]), bound, kernels: x.shape[1] == length ? kernels : nil)
        }
    }

    /// Saves `model.safetensors` and `config.json` into a folder.
    public func save(to folder: URL) throws {
        try Checkpoint.save(parameters: parameters, configuration: configuration, to: folder, metadata: ["model": "TSDiff"])
    }

    /// Loads a model saved by ``save(to:)``.
    public static func load(from folder: URL) throws -> TSDiff {
        let (parameters, configuration) = try Checkpoint.load(from: folder, as: Float.self, configuration: TSDiffConfiguration.self)
        try configuration.validate()
        return try TSDiff(configuration: configuration, parameters: parameters)
    }
}
