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
    /// The series one window holds: 1 for TSDiff's model of each series on its own (the series
    /// share the model, not their windows); K > 1 for a joint model of a group of K aligned
    /// series, whose windows stack the K series' channels (series by series, each with its
    /// lags) so that the backbone mixes them (its input projection and head see all K).
    public var jointSeries: Int
    /// The names of a joint model's series in channel order, as it was trained (nil: not
    /// recorded, as in models of one series and joint models saved before the names were kept).
    /// ``orderedForJointModel(_:)`` puts a dataset's series in this order; the `forecast` command
    /// does so, ``TSDiff/evaluate(_:options:communicator:)`` checks it (``checkJointOrder(of:)``),
    /// and a caller of ``TSDiff/forecast(_:options:communicator:)``, whose windows carry no names,
    /// orders its windows itself.
    public var jointSeriesNames: [String]?

    public init(layout: WindowLayout, backbone: TSDiffBackboneConfiguration? = nil, diffusionSteps: Int = 100,
                betaStart: Double = 1e-4, betaEnd: Double = 0.1, frequency: Frequency, jointSeries: Int = 1) {
        precondition(jointSeries >= 1, "a window holds at least one series")
        self.layout = layout
        self.jointSeries = jointSeries
        self.backbone = backbone ?? TSDiffBackboneConfiguration(channels: jointSeries * layout.channels, conditioningChannels: layout.conditioning.channels)
        precondition(self.backbone.channels == jointSeries * layout.channels,
                     "backbone channels \(self.backbone.channels) ≠ \(jointSeries) series × \(layout.channels) window channels")
        precondition(self.backbone.conditioningChannels == layout.conditioning.channels,
                     "backbone conditioning channels \(self.backbone.conditioningChannels) ≠ the layout's \(layout.conditioning.channels)")
        self.diffusionSteps = diffusionSteps
        self.betaStart = betaStart
        self.betaEnd = betaEnd
        self.frequency = frequency
    }

    enum CodingKeys: String, CodingKey { case layout, backbone, diffusionSteps, betaStart, betaEnd, frequency, jointSeries, jointSeriesNames }

    /// Reads a configuration; one saved before joint models existed models each series alone.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        layout = try c.decode(WindowLayout.self, forKey: .layout)
        backbone = try c.decode(TSDiffBackboneConfiguration.self, forKey: .backbone)
        diffusionSteps = try c.decode(Int.self, forKey: .diffusionSteps)
        betaStart = try c.decode(Double.self, forKey: .betaStart)
        betaEnd = try c.decode(Double.self, forKey: .betaEnd)
        frequency = try c.decode(Frequency.self, forKey: .frequency)
        jointSeries = try c.decodeIfPresent(Int.self, forKey: .jointSeries) ?? 1
        jointSeriesNames = try c.decodeIfPresent([String].self, forKey: .jointSeriesNames)
    }

    /// `series` in the order of ``jointSeriesNames`` (unchanged when the names are not
    /// recorded), so that each series meets the channels it was trained on.
    ///
    /// - Throws: ``TimeSeriesError/invalidOption(_:)`` naming the series the model was trained on
    ///   and the ones given when they are not the same set.
    public func orderedForJointModel(_ series: [TimeSeries]) throws -> [TimeSeries] {
        guard jointSeries > 1, let names = jointSeriesNames else { return series }
        let byName = Dictionary(series.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        guard series.count == names.count, byName.count == names.count, names.allSatisfy({ byName[$0] != nil }) else {
            throw TimeSeriesError.invalidOption("a joint model of the series \(Self.quoted(names)) (in this order) cannot forecast the series \(Self.quoted(series.map(\.name)))")
        }
        return names.map { byName[$0]! }
    }

    /// Up to 8 names in quotes, for error messages.
    private static func quoted(_ names: [String]) -> String {
        names.prefix(8).map { "'\($0)'" }.joined(separator: ", ") + (names.count > 8 ? ", …" : "")
    }

    /// Throws ``TimeSeriesError/invalidOption(_:)`` when a joint model with recorded
    /// ``jointSeriesNames`` is given series `names` that are not those names in that order (the
    /// windows would meet channels trained on other series); ``orderedForJointModel(_:)`` orders
    /// them. Models of one series, and joint models without recorded names, accept any names.
    public func checkJointOrder(of names: [String]) throws {
        guard jointSeries > 1, let expected = jointSeriesNames, names != expected else { return }
        throw TimeSeriesError.invalidOption("a joint model of the series \(Self.quoted(expected)) (in this order) was given the series \(Self.quoted(names)); "
                                            + "orderedForJointModel(_:) puts them in the model's order")
    }

    /// The channels of the model's windows: `jointSeries` × the layout's channels.
    public var channels: Int { jointSeries * layout.channels }

    /// The documented limits of a configuration's fields, checked by ``validate()`` when a
    /// configuration is loaded (a hand-edited `config.json` must not make the program allocate
    /// without bound): window lengths and lags up to 100 000 steps and 64 lags; hidden size,
    /// state size (even) and step embedding (even) up to 4 096; up to 64 blocks; at most
    /// `Checkpoint.maximumConfiguredWeights` weights in all; window length × hidden at most 2²⁰
    /// (activation memory); up to 100 000 diffusion steps; up to 1 024 series in a joint window
    /// and 4 096 window channels.
    public static let limits = (length: 100_000, lags: 64, width: 4096, blocks: 64, diffusionSteps: 100_000, jointSeries: 1024)

    /// Throws ``TimeSeriesError/invalidOption(_:)`` naming the field and its value for a
    /// configuration no model can have or one outside ``limits`` — what a hand-edited
    /// `config.json` can hold although the initialisers rule it out.
    public func validate() throws {
        func check(_ field: String, _ value: Int, _ range: ClosedRange<Int>) throws {
            guard range.contains(value) else {
                throw TimeSeriesError.invalidOption("model configuration: field '\(field)' = \(value) must be in \(range.lowerBound)…\(range.upperBound)")
            }
        }
        func fail(_ text: String) -> TimeSeriesError { .invalidOption("model configuration: \(text)") }
        let l = Self.limits
        try check("layout.contextLength", layout.contextLength, 1...l.length)
        try check("layout.predictionLength", layout.predictionLength, 1...l.length)
        try check("layout.lags (count)", layout.lags.count, 0...l.lags)
        for lag in layout.lags { try check("layout.lags", lag, 1...l.length) }
        try check("jointSeries", jointSeries, 1...l.jointSeries)
        if let names = jointSeriesNames {
            guard jointSeries > 1 else { throw fail("field 'jointSeriesNames' is for joint models (jointSeries = 1)") }
            try check("jointSeriesNames (count)", names.count, jointSeries...jointSeries)
            guard Set(names).count == names.count else { throw fail("field 'jointSeriesNames' repeats a name") }
        }
        try check("backbone.channels", backbone.channels, channels...channels)
        try check("backbone.channels", backbone.channels, 1...l.width)
        try layout.conditioning.validate()
        try check("backbone.conditioningChannels", backbone.conditioningChannels, layout.conditioning.channels...layout.conditioning.channels)
        try check("backbone.conditioningChannels", backbone.conditioningChannels, 0...l.width)
        guard jointSeries == 1 || layout.conditioning.attributes.isEmpty else {
            throw fail("field 'layout.conditioning.attributes' names static attributes, which tell the series of one model apart; a joint model's channels are its series (jointSeries = \(jointSeries))")
        }
        try check("backbone.hidden", backbone.hidden, 1...l.width)
        try check("backbone.blocks", backbone.blocks, 1...l.blocks)
        try check("backbone.stepEmbedding", backbone.stepEmbedding, 2...l.width)
        guard backbone.stepEmbedding % 2 == 0 else { throw fail("field 'backbone.stepEmbedding' = \(backbone.stepEmbedding) must be even") }
        try check("backbone.stateSize", backbone.stateSize, 2...l.width)
        guard backbone.stateSize % 2 == 0 else { throw fail("field 'backbone.stateSize' = \(backbone.stateSize) must be even") }
        // Each block holds about 4·hidden² + 4·hidden·stateSize weights; bound the whole before any allocation.
        let weights = backbone.estimatedWeights
        guard weights <= Checkpoint.maximumConfiguredWeights else {
            throw fail("fields 'backbone.blocks' = \(backbone.blocks), 'backbone.hidden' = \(backbone.hidden), 'backbone.stateSize' = \(backbone.stateSize) describe about \(weights) weights, more than \(Checkpoint.maximumConfiguredWeights)")
        }
        // Activations: each layer holds window length × hidden values per window, and a batch
        // of windows is evaluated at once; 2²⁰ per window (4 MB per layer) keeps a batch of 256
        // windows within a few GB.
        let perWindow = layout.length * backbone.hidden
        guard perWindow <= 1 << 20 else {
            throw fail("fields 'layout' (window length \(layout.length)) and 'backbone.hidden' = \(backbone.hidden): length × hidden = \(perWindow) exceeds \(1 << 20) (activation memory per window)")
        }
        guard (0..<1).contains(backbone.dropout) else { throw fail("field 'backbone.dropout' = \(backbone.dropout) must be in [0, 1)") }
        try check("diffusionSteps", diffusionSteps, 1...l.diffusionSteps)
        guard betaStart > 0, betaStart <= betaEnd, betaEnd < 1 else { throw fail("fields 'betaStart' = \(betaStart), 'betaEnd' = \(betaEnd): need 0 < betaStart ≤ betaEnd < 1") }
        try check("frequency (seconds)", frequency.seconds, 1...Frequency.maximumSeconds)
    }

    /// The paper's setting for a frequency: context 336 and horizon 24 for hourly data, TSDiff's
    /// lags, hidden 64 × 3 S4 blocks, T = 100. Other intervals that divide a day get a day's
    /// horizon and 14 days of context in their own steps (half-hourly: 48 and 672; at most a
    /// 16 384-step window, so 1-minute data gets 14 944), with the
    /// same days of lags; daily data horizon 30 and context 360 (TSDiff's daily setting);
    /// weekly data a quarter's horizon (13, the M4 competition's) and two years of context
    /// (104), no lags; monthly data a year's horizon (12) and four years of context (48), no lags.
    public static func standard(frequency: Frequency, contextLength: Int? = nil, predictionLength: Int? = nil) -> TSDiffConfiguration {
        if frequency.isCalendarMonths {
            return TSDiffConfiguration(layout: WindowLayout(contextLength: contextLength ?? 48, predictionLength: predictionLength ?? 12, lags: []), frequency: frequency)
        }
        if frequency == .weekly {
            return TSDiffConfiguration(layout: WindowLayout(contextLength: contextLength ?? 104, predictionLength: predictionLength ?? 13, lags: []), frequency: frequency)
        }
        // Intervals of a minute or more that divide a day (a day of at most 1 440 steps).
        let day = frequency != .hourly && frequency.seconds < 86_400 && frequency.seasons.count == 2 && frequency.seasons[0] <= 1440 ? frequency.seasons[0] : nil
        // 14 days, within the activation limit for the default width (window ≤ 16 384 steps).
        let ctx = contextLength ?? (frequency == .hourly ? 336 : day.map { Swift.min(14 * $0, (1 << 20) / 64 - $0) } ?? 360)
        let pred = predictionLength ?? (frequency == .hourly ? 24 : day ?? 30)
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

    /// Windows per chunk when the noise model evaluates a batch (`NetworkModel.batchChunkSize`;
    /// 16 windows of 360 steps keep a chunk's activations within a few megabytes).
    public static let evaluationChunkSize = 16

    /// Whether the model reads conditioning channels (``WindowLayout/conditioning``).
    public var isConditional: Bool { configuration.backbone.conditioningChannels > 0 }

    /// The noise-prediction network as a `NetworkModel` (for samplers and gradient guidance).
    ///
    /// - Parameters:
    ///   - p: the parameters (default: the model's).
    ///   - conditioning: for a conditional model, the conditioning `[B, L, F]` of the batch rows
    ///     the model will be asked about (row r of a batch reads row r); ignored otherwise.
    public func noiseModel(parameters p: ParameterSet<Float>? = nil, conditioning: Tensor<Float>? = nil) -> NetworkModel<Float> {
        noiseModels(parameters: p)(conditioning)
    }

    /// ``noiseModel(parameters:conditioning:)`` for one batch's conditioning after another, with
    /// the parameters bound and the S4 kernels computed once for all of them: for the chunks of
    /// a conditional model's forecasts or syntheses, which share the parameters and not the
    /// conditioning.
    public func noiseModels(parameters p: ParameterSet<Float>? = nil) -> (_ conditioning: Tensor<Float>?) -> NetworkModel<Float> {
        let bound = (p ?? parameters).constants
        let backbone = self.backbone
        // The S4 kernels depend on the parameters only: computed once for the window length.
        let length = configuration.layout.length
        let kernels = backbone.circularKernels(length: length, bound).map { Variable($0.value) }
        let isConditional = self.isConditional, schedule = self.schedule
        return { conditioning in
            precondition(!isConditional || conditioning != nil, "a conditional TSDiff model needs the conditioning of its batch")
            let rowsConditioning = isConditional ? conditioning : nil
            return NetworkModel(type: .noise, schedule: schedule, batchChunkSize: Self.evaluationChunkSize) { x, point, rows in
                precondition(rowsConditioning.map { rows.upperBound <= $0.shape[0] } ?? true, "rows \(rows) of a batch with conditioning for \(rowsConditioning?.shape.first ?? 0) rows")
                return backbone(x, conditioning: rowsConditioning.map { Variable($0.slice(axis: 0, rows)) }, steps: [Double](repeating: point.time, count: x.shape[0]),
                                bound, kernels: x.shape[1] == length ? kernels : nil)
            }
        }
    }

    /// The conditioning `[windows.count, L, F]` of windows (nil for an unconditional model).
    public func conditioning(of windows: [WindowLayout.Window]) -> Tensor<Float>? {
        guard isConditional else { return nil }
        let layout = configuration.layout
        return Tensor(shape: [windows.count, layout.length, layout.conditioning.channels], scalars: windows.flatMap(\.conditioning))
    }

    /// Saves `model.safetensors` and `config.json` into a folder.
    public func save(to folder: URL) throws {
        try Checkpoint.save(parameters: parameters, configuration: configuration, to: folder, metadata: ["model": "TSDiff"])
    }

    /// Loads a model saved by ``save(to:)``.
    public static func load(from folder: URL) throws -> TSDiff {
        let (parameters, configuration) = try Checkpoint.load(from: folder, as: Float.self, configuration: TSDiffConfiguration.self) { try $0.validate() }
        // Building the configured model allocates and initialises its weights before they are
        // compared with the file's: refuse at once a configuration far larger than the file.
        let described = configuration.backbone.estimatedWeights
        guard described <= 4 * parameters.scalarCount + 65_536 else {
            throw SafeTensorsError(path: folder.path, reason: "config.json describes about \(described) weights, model.safetensors holds \(parameters.scalarCount)")
        }
        return try TSDiff(configuration: configuration, parameters: parameters)
    }
}
