import ArgumentParser
import DiffuseCore
import DiffuseDistributed
import DiffuseNN
import DiffusePlot
import DiffuseTensor
import DiffuseTimeSeries
import Foundation

/// `forecast`: probabilistic forecasting with TSDiff on a CSV of time series.
///
/// With no arguments it evaluates the bundled CAISO checkpoint on the last 7 days of the bundled
/// CAISO load data (5 series, 7 windows × 24 h), next to seasonal-naive baselines.
@main
struct ForecastCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forecast",
        abstract: "Forecast time series with TSDiff (observation self-guidance) and score against seasonal-naive baselines.",
        discussion: """
        Default run: the bundled CAISO hourly load (Datasets/timeseries/caiso_hourly_load_2018.csv) and the bundled \
        checkpoint (Examples/Forecast/Checkpoints/caiso). The last --windows × --horizon steps of every series are \
        the test period; each window is forecast from all history before it (the GluonTS protocol).

        Your own data: --data file.csv (wide: a timestamp column and one column per series; or --format long with \
        --id-column/--timestamp-column/--value-column) and --train to fit a model on the part before the test period.
        """)

    // MARK: Data
    @Option(help: "CSV file (default: the bundled CAISO hourly load).")
    var data: String?
    @Option(help: "CSV layout: wide (timestamp + one column per series) or long (id, timestamp, value).")
    var format: DataFormat = .wide
    @Option(help: "Timestamp column (wide default: the first column).")
    var timestampColumn: String?
    @Flag(help: "The wide CSV has no timestamp column: every column is a series and row k is step k (needs --frequency).")
    var noTimestamps = false
    @Option(help: "Comma-separated series columns (wide form; default: all but the timestamp).")
    var columns: String?
    @Option(help: "Series-id column (long form).")
    var idColumn: String = "id"
    @Option(help: "Value column (long form).")
    var valueColumn: String = "value"
    @Option(help: "Sampling frequency: H, D, W, M (calendar months on a day 1-28), ME (month ends), Nmin (30min, 15min), NT, or a number of seconds; 1 s to 366 days (default: inferred from the timestamps; needed for step-index timestamps 0, 1, 2, …).")
    var frequency: String?
    @Option(help: "Comma-separated covariate columns (wide form): dynamic inputs the model reads beside the series, standardised on the training part; default: none for a new model, the checkpoint's otherwise.")
    var covariates: String?
    @Option(help: "Comma-separated covariates among --covariates that are known over the forecast horizon too (calendar flags, weather forecasts); the others are read over the context only.")
    var knownFuture: String?

    // MARK: Conditioning
    @Option(help: "Calendar features of a new model's conditioning: none (the default: TSDiff's unconditional model), auto (those of the frequency, as GluonTS: hourly data hour of day, day of week, day of month, day of year), or a comma-separated list of hour-of-day, day-of-week, day-of-month, day-of-year, month-of-year, week-of-year, minute-of-hour, second-of-minute.")
    var calendar: String?
    @Option(help: "File of holiday dates (YYYY-MM-DD per line, optionally ',name'; '#' comments): a holiday indicator channel for a new model, or new dates for a checkpoint that has one.")
    var holidays: String?
    @Option(help: "CSV of static attributes, one row per series: the first column names the series (column names of a wide file, ids of a long one), every other column is an attribute (numeric, or categorical when any value is not a number). A new model reads every attribute as channels constant over the window; a checkpoint with attributes needs the file again.")
    var staticAttributes: String?

    // MARK: Protocol
    @Option(help: "Context length of a new model (default: 14 days hourly and sub-hourly, 360 daily, 104 weekly, 48 monthly).")
    var context: Int?
    @Option(help: "Forecast horizon of a new model (default: a day hourly and sub-hourly, 30 daily, 13 weekly, 12 monthly).")
    var horizon: Int?
    @Option(help: "Dropout rate in the S4 blocks of a new model during training (default: 0, as the paper).")
    var dropout: Double?

    @Option(help: "Hidden width of a new model's network (default: 64, the paper's; for a joint model the smallest multiple of 64 that is at least twice its channels).")
    var hidden: Int?

    @Option(help: "S4 blocks of a new model's network (default: 3, the paper's).")
    var blocks: Int?
    @Option(help: "Number of rolling test windows at the end of each series.")
    var windows: Int = 7
    @Option(help: "Number of validation windows just before the test period, held out of training and used for the choice on validation (default: --windows).")
    var validationWindows: Int?

    /// The validation windows: --validation-windows, else --windows.
    var validationWindowCount: Int { validationWindows ?? windows }

    // MARK: Model
    @Option(help: "Checkpoint folder (model.safetensors + config.json); default: the bundled CAISO model when --data is not given.")
    var checkpoint: String?
    @Flag(help: "Train a model on the data before the test period (from --checkpoint if given, else from scratch).")
    var train = false
    @Option(name: .customLong("model"), help: "A new model of several series: independent (TSDiff: one model shared by the series, each window one series) or joint (each window all the series, their channels mixed inside the network and guided together; the series must share their timestamps).")
    var modelKind: ModelChoice = .independent
    @Option(help: "Training steps (batches of --batch-size windows; default 1500: under 5 minutes for an hourly series on 2 cores; 3000 for --model joint).")
    var trainSteps: Int?
    @Option(help: "Training budget in epochs of --batches-per-epoch batches (the reference trains 1000 epochs of 128); instead of --train-steps.")
    var trainEpochs: Int?
    @Option(help: "Batches per epoch for --train-epochs (the reference's 128).")
    var batchesPerEpoch: Int = 128
    @Option(help: "Training batch size.")
    var batchSize: Int = 64
    @Option(help: "Validate (guided forecasts on the last windows before the test period) every this many steps; 0: never.")
    var validationInterval: Int = 500
    @Option(help: "Sample paths per validation window.")
    var validationSamples: Int = 16
    @Option(help: "Exponential-moving-average decay of the weights used for validation and saving; 0: none, as the paper.")
    var emaDecay: Double = 0.999

    // MARK: Sampling
    @Option(help: "Guidance losses to run: quantile (TSDiff-Q), mean-squared (TSDiff-MS), or both.")
    var guidance: GuidanceChoice = .both
    @Option(help: "Guidance scale of TSDiff-Q (default: 4 with ddpm, the paper's; 0.5 with ddim; both divided by the number of series of a joint model).")
    var scale: Double?
    @Option(help: "Guidance scale of TSDiff-MS (default: 0.5 with ddpm, 0.2 with ddim; both divided by the number of series of a joint model).")
    var msScale: Double?
    @Option(help: "Sample paths per window of TSDiff-Q and of refinement (the paper: 100).")
    var samples: Int = 32
    @Option(help: "Sample paths per window of TSDiff-MS.")
    var msSamples: Int = 16
    @Option(help: "Sampler for both guidance losses: ddpm (ancestral with post-step guidance, the paper's form) or ddim (deterministic). Default: ddpm on 50 steps for TSDiff-Q, ddim on 20 steps for TSDiff-MS, whose unbounded gradient makes the DDPM form's larger strided steps diverge.")
    var sampler: SamplerChoice?
    @Option(help: "Sampling steps (default: 50 for the default TSDiff-Q sampler, 20 with ddim, all T with an explicit --sampler ddpm).")
    var steps: Int?
    @Option(help: "Where the DDPM form takes the guidance gradient: step-end (the state a step reached, with the model time of its start: the reference's form) or step-start (the state it started from, reusing the step's own model evaluation: one forward pass fewer per step).")
    var gradientPoint: GradientPointChoice = .stepEnd
    @Option(help: "Choose on the windows before the test period (never on the test period) among TSDiff-Q at half, once and twice its scale (the given --scale alone when set), every baseline and TSDiff refining the best baseline; the test row of TSDiff-Q is drawn at the best scale and the choice is printed under the table: when-training, always or never.")
    var chooseOnValidation: ChoiceMode = .whenTraining
    @Option(help: "Random seed (forecasts and training).")
    var seed: UInt64 = 0

    // MARK: Missing values
    @Option(help: "Hide part of every test window's context from TSDiff, as in the paper's missing-value experiments: random (RM), block-start (BM-B) or block-end (BM-E). The baselines keep the complete data.")
    var missing: MissingChoice?
    @Option(help: "Fraction of the context that --missing hides (the paper: 0.5).")
    var missingFraction: Double = 0.5

    // MARK: Refinement and synthesis
    @Option(help: "Refine a base forecaster's samples with the model as prior: ml (gradient descent) or lmc (Langevin).")
    var refine: RefineChoice?
    @Option(help: "Base forecaster to refine: seasonal-naive, bootstrap (bootstrapped seasonal naive) or linear (ridge).")
    var refineBase: BaseChoice = .seasonalNaive
    @Option(help: "Regulariser of refinement: quantile or mean-squared.")
    var refineLoss: GuidanceChoice = .quantile
    @Option(help: "Diffusion step τ of refinement (default: the step whose training loss is closest to the mean).")
    var refineStep: Int?
    @Option(help: "Draw this many unconditional windows (with the TSDiff-Q sampler, unguided) and report the linear predictive score (ridge trained on synthetic windows) next to real windows.")
    var synthesize: Int?

    // MARK: Output
    @Option(help: "Output folder for fan charts, results.json, forecasts.csv (truth, mean and quantiles of every method per step) and a trained checkpoint.")
    var out: String = "forecast-output"
    @Flag(help: "Print the results table as JSON.")
    var json = false

    enum DataFormat: String, ExpressibleByArgument { case wide, long }
    enum GuidanceChoice: String, ExpressibleByArgument { case quantile, meanSquared = "mean-squared", both }
    enum SamplerChoice: String, ExpressibleByArgument { case ddpm, ddim }
    enum GradientPointChoice: String, ExpressibleByArgument {
        case stepStart = "step-start", stepEnd = "step-end"
        var point: GuidanceGradientPoint { self == .stepStart ? .stepStart : .stepEnd }
    }
    enum RefineChoice: String, ExpressibleByArgument { case ml, lmc }
    enum ChoiceMode: String, ExpressibleByArgument { case whenTraining = "when-training", always, never }
    enum ModelChoice: String, ExpressibleByArgument { case independent, joint }
    enum BaseChoice: String, ExpressibleByArgument { case seasonalNaive = "seasonal-naive", bootstrap, linear }
    enum MissingChoice: String, ExpressibleByArgument { case random, blockStart = "block-start", blockEnd = "block-end" }

    /// The scenario of --missing and --missing-fraction.
    var missingScenario: MissingValueScenario? {
        switch missing {
        case nil: return nil
        case .random: return .random(fraction: missingFraction)
        case .blockStart: return .blockAtBeginning(fraction: missingFraction)
        case .blockEnd: return .blockAtEnd(fraction: missingFraction)
        }
    }

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Whether training stops before the validation windows (they are validated or chosen on).
    var holdsOutValidation: Bool { train && (validationInterval > 0 || chooseOnValidation != .never) }

    /// The training budget in steps: --train-epochs × --batches-per-epoch, else --train-steps,
    /// else 1500, or 3000 for a joint model, whose windows are 1/K as many as K series give alone
    /// (measured on CAISO's 5 series, 2026-12-07: validation CRPS still falling at 3000 steps,
    /// 0.0284 at 1500 and 0.0212 at 3000 at the same scale; test 0.0427 and 0.0419).
    var trainingSteps: Int { trainEpochs.map { $0 * batchesPerEpoch } ?? trainSteps ?? (modelKind == .joint ? 3000 : 1500) }

    /// A checkpoint fits the data only with the same frequency (its lags and scaling depend on
    /// it) and the requested context and horizon.
    func checkCompatibility(_ model: TSDiff, _ dataset: TimeSeriesDataset) throws {
        let c = model.configuration
        if c.frequency.seconds != dataset.frequency.seconds {
            throw TimeSeriesError.invalidOption("the checkpoint was trained on \(c.frequency) data, the data are \(dataset.frequency); train a new model (--train without --checkpoint)")
        }
        if let context, context != c.layout.contextLength {
            throw TimeSeriesError.invalidOption("--context \(context) differs from the checkpoint's \(c.layout.contextLength)")
        }
        if let horizon, horizon != c.layout.predictionLength {
            throw TimeSeriesError.invalidOption("--horizon \(horizon) differs from the checkpoint's \(c.layout.predictionLength)")
        }
    }

    func validate() throws {
        /// Each count has a documented range: beyond it a run would not fit in memory or time.
        func check(_ option: String, _ value: Int?, _ range: ClosedRange<Int>) throws {
            if let value, !range.contains(value) {
                throw ValidationError("\(option) must be in \(range.lowerBound)…\(range.upperBound) (got \(value))")
            }
        }
        try check("--samples", samples, 1...10_000)
        try check("--ms-samples", msSamples, 1...10_000)
        try check("--steps", steps, 1...TSDiffConfiguration.limits.diffusionSteps)
        try check("--windows", windows, 1...10_000)
        try check("--validation-windows", validationWindows, 1...10_000)
        try check("--train-steps", trainSteps, 1...10_000_000)
        try check("--train-epochs", trainEpochs, 1...10_000_000)
        try check("--batches-per-epoch", batchesPerEpoch, 1...10_000_000)
        if let trainEpochs, trainEpochs * batchesPerEpoch > 10_000_000 {
            throw ValidationError("--train-epochs × --batches-per-epoch must be at most 10000000 steps (got \(trainEpochs) × \(batchesPerEpoch))")
        }
        try check("--context", context, 1...TSDiffConfiguration.limits.length)
        try check("--horizon", horizon, 1...TSDiffConfiguration.limits.length)
        if trainSteps != nil && trainEpochs != nil { throw ValidationError("give --train-steps or --train-epochs, not both") }
        try check("--validation-samples", validationSamples, 1...10_000)
        try check("--refine-step", refineStep, 0...TSDiffConfiguration.limits.diffusionSteps)
        try check("--batch-size", batchSize, 1...65_536)
        guard (scale ?? 0) >= 0, (msScale ?? 0) >= 0, (scale ?? 0).isFinite, (msScale ?? 0).isFinite else {
            throw ValidationError("guidance scales must be finite and non-negative")
        }
        _ = try calendarFeatures(for: .hourly)
        if covariates != nil && format == .long { throw ValidationError("--covariates needs the wide format (covariates are columns beside the series)") }
        if knownFuture != nil && covariates == nil { throw ValidationError("--known-future names covariates: give --covariates too") }
        if staticAttributes != nil && modelKind == .joint {
            throw ValidationError("--static-attributes tell the series of one model apart; a joint model's channels already are its series (--model independent)")
        }
        if let frequency, Frequency(code: frequency) == nil {
            throw ValidationError("--frequency '\(frequency)' is not a frequency (H, D, W, M, ME, 15min, 30T or a number of seconds; 1 s to 366 days)")
        }
        if refineLoss == .both { throw ValidationError("--refine-loss must be quantile or mean-squared") }
        if noTimestamps && (frequency == nil || format != .wide || timestampColumn != nil) {
            throw ValidationError("--no-timestamps needs --frequency, the wide format and no --timestamp-column")
        }
        try check("--synthesize", synthesize, 2...1_000_000)
        if !(0..<1).contains(emaDecay) { throw ValidationError("--ema-decay must be in [0, 1) (got \(emaDecay))") }
        if let dropout, !(0..<1).contains(dropout) { throw ValidationError("--dropout must be in [0, 1) (got \(dropout))") }
        if modelKind == .joint && (!train || checkpoint != nil) {
            throw ValidationError("--model joint sets up a new model: use it with --train and without --checkpoint (a checkpoint knows whether it is joint)")
        }
        if modelKind == .joint && (refine != nil || synthesize != nil) {
            throw ValidationError("--refine and --synthesize work on models of one series, not with --model joint")
        }
        try check("--hidden", hidden, 1...TSDiffConfiguration.limits.width)
        try check("--blocks", blocks, 1...TSDiffConfiguration.limits.blocks)
        for (name, given) in [("--dropout", dropout != nil), ("--hidden", hidden != nil), ("--blocks", blocks != nil)] where given && (!train || checkpoint != nil) {
            throw ValidationError("\(name) sets up a new model: use it with --train and without --checkpoint")
        }
        guard (0..<1).contains(missingFraction) else {
            throw ValidationError("--missing-fraction must be in [0, 1): some of the context must stay observed (got \(missingFraction))")
        }
    }

    /// A comma-separated option as a list (nil when not given).
    static func list(_ option: String?) -> [String]? {
        option.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
    }

    /// The calendar features of --calendar for data of `frequency` (none when not given).
    func calendarFeatures(for frequency: Frequency) throws -> [CalendarFeature] {
        guard let calendar else { return [] }
        switch calendar {
        case "none": return []
        case "auto": return CalendarFeature.defaults(for: frequency)
        default:
            // hour-of-day, hourOfDay and hour_of_day name the same feature.
            func key(_ text: String) -> String { text.lowercased().filter { $0.isLetter } }
            return try Self.list(calendar)!.map { name in
                guard let feature = CalendarFeature.allCases.first(where: { key($0.rawValue) == key(name) }) else {
                    throw ValidationError("--calendar: '\(name)' is not a calendar feature (none, auto, or a list of hour-of-day, day-of-week, day-of-month, day-of-year, month-of-year, week-of-year, minute-of-hour, second-of-minute)")
                }
                return feature
            }
        }
    }

    /// The covariate columns to read: --covariates, else the checkpoint's. A checkpoint reads its
    /// own covariates only, and the known-future ones are the new model's choice.
    func covariateColumns(checkpoint loaded: TSDiff?) throws -> [String] {
        guard let loaded else { return Self.list(covariates) ?? [] }
        let own = loaded.configuration.layout.conditioning.covariates
        if let given = Self.list(covariates), given != own.map(\.name) {
            throw TimeSeriesError.invalidOption("--covariates \(given.joined(separator: ",")) differs from the checkpoint's covariates (\(own.isEmpty ? "none" : own.map(\.name).joined(separator: ",")))")
        }
        if let given = Self.list(knownFuture), Set(given) != Set(own.filter(\.knownFuture).map(\.name)) {
            throw TimeSeriesError.invalidOption("--known-future \(given.joined(separator: ",")) differs from the checkpoint's (\(own.filter(\.knownFuture).map(\.name).joined(separator: ",")))")
        }
        if let calendar, try calendarFeatures(for: loaded.configuration.frequency) != loaded.configuration.layout.conditioning.calendar {
            throw TimeSeriesError.invalidOption("--calendar \(calendar) differs from the checkpoint's calendar features (\(loaded.configuration.layout.conditioning.calendar.map(\.rawValue).joined(separator: ",")))")
        }
        return own.map(\.name)
    }

    /// One line saying what the model reads beside the series.
    static func describe(_ conditioning: SeriesConditioning) -> String {
        guard conditioning.channels > 0 else { return "conditioning: none (TSDiff's unconditional model)" }
        var parts: [String] = []
        if !conditioning.calendar.isEmpty { parts.append("calendar " + conditioning.calendar.map(\.rawValue).joined(separator: ", ")) }
        if let days = conditioning.holidays { parts.append("holidays (\(days.count) dates)") }
        for c in conditioning.covariates { parts.append("\(c.name) (\(c.knownFuture ? "known in the future" : "past only"))") }
        for a in conditioning.attributes {
            switch a.encoding {
            case .numeric: parts.append("\(a.name) (static, numeric)")
            case .categorical(let categories): parts.append("\(a.name) (static, \(categories.count) categor\(categories.count == 1 ? "y" : "ies"))")
            }
        }
        return "conditioning: " + parts.joined(separator: "; ")
    }

    /// The season after the main one, as a naive baseline's period: a week for hourly and
    /// sub-hourly data (the main season is a day); none for daily data and longer.
    static func longerSeason(of frequency: Frequency) -> (name: String, period: Int)? {
        frequency.seconds <= 3600 && 604_800 % frequency.seconds == 0 ? ("weekly", 604_800 / frequency.seconds) : nil
    }

    /// A baseline row: its name, the forecaster and the sample paths it draws.
    typealias Baseline = (name: String, forecaster: BaseForecaster, samples: Int)

    /// Baselines: seasonal naive with the main season and, where the frequency has one, the next
    /// (a week of hourly or sub-hourly data), the bootstrapped version of each (errors from the
    /// last 28 seasons, or the last 4 weeks), and additive Holt–Winters on the main season; with
    /// the sample paths each draws.
    static func baselines(for frequency: Frequency) -> [Baseline] {
        var baselines: [Baseline] = [("seasonal-naive", .seasonalNaive, 1)]
        let longer = longerSeason(of: frequency)
        if let longer {
            baselines.append(("seasonal-naive-\(longer.name)", .periodicNaive(period: longer.period), 1))
        }
        baselines.append(("bootstrap-seasonal-naive", .bootstrappedSeasonalNaive(seasons: 28), 100))
        if let longer {
            baselines.append(("bootstrap-seasonal-naive-\(longer.name)", .bootstrappedPeriodicNaive(period: longer.period, seasons: 4), 100))
        }
        baselines.append(("holt-winters", .holtWinters(seasons: 56), 100))
        return baselines
    }

    /// The sampler and guidance scale for `loss`, for a model with `diffusionSteps` steps that
    /// holds `jointSeries` series in a window. The default scales are the paper's (TSDiff-Q 4 with
    /// DDPM, 0.5 with DDIM; TSDiff-MS 0.5 and 0.2) divided by the number of series: a joint
    /// window's gradient gathers the observations of all its series through channels the
    /// network mixes (measured on CAISO's 5 series, width 128: TSDiff-Q diverged at 8 and
    /// scored 0.23–0.43 on the validation week at 4, 0.041 at 2, 0.027 at 1 and 0.032 at 0.5;
    /// TSDiff-MS diverged at 0.2 and held at 0.05).
    func samplerSettings(for loss: GuidanceLoss, diffusionSteps: Int, jointSeries: Int = 1) throws -> (sampler: ForecastSampler, scale: Double) {
        let choice = sampler ?? (loss == .quantile ? .ddpm : .ddim)
        let k = Double(jointSeries)
        let scale = loss == .quantile ? (scale ?? (choice == .ddpm ? 4 : 0.5) / k) : (msScale ?? (choice == .ddpm ? 0.5 : 0.2) / k)
        let chosen: ForecastSampler
        switch choice {
        case .ddim:
            chosen = .ddim(steps: steps ?? Swift.min(20, diffusionSteps))
        case .ddpm:
            // Default: the largest divisor of T up to 50 (50 for T = 100; chosen on the CAISO
            // validation week: 25 steps 0.0189, 50 steps 0.0173, within the time budget).
            let n = steps ?? (sampler == nil ? (1...Swift.min(50, diffusionSteps)).last { diffusionSteps % $0 == 0 }! : diffusionSteps)
            chosen = n == diffusionSteps ? .ddpm : .stridedDDPM(steps: n)
        }
        do {
            try chosen.validate(diffusionSteps: diffusionSteps)
        } catch TimeSeriesError.invalidOption(let text) {
            throw TimeSeriesError.invalidOption("--steps: \(text)")
        }
        return (chosen, scale)
    }

    /// "DDPM, 50 of 100 steps" and the like.
    static func describe(_ sampler: ForecastSampler, diffusionSteps: Int) -> String {
        switch sampler {
        case .ddpm: return "DDPM, all \(diffusionSteps) steps"
        case .stridedDDPM(let n): return "DDPM, \(n) of \(diffusionSteps) steps"
        case .ddim(let n): return "DDIM, \(n) steps"
        }
    }

    func run() throws {
        // Under mpirun the processes train and forecast together; rank 0 writes and prints.
        let communicator: any Communicator = MPICommunicator.isLaunched ? try MPICommunicator() : SingleProcess()
        logging = communicator.isRoot
        do {
            try run(communicator: communicator)
        } catch where communicator.size > 1 {
            // An error some processes meet and others do not: end them all now, with the message.
            FileHandle.standardError.write(Data("Error (rank \(communicator.rank)): \(error)\n".utf8))
            communicator.abort(exitCode: 1)
        }
    }

    func run(communicator: any Communicator) throws {
        let started = Date()
        let root = Self.repositoryRoot
        let dataURL = data.map { URL(fileURLWithPath: $0) } ?? root.appendingPathComponent("Datasets/timeseries/caiso_hourly_load_2018.csv")
        let freq = frequency.flatMap(Frequency.init(code:))
        // The checkpoint first: its covariates are the columns to read.
        let checkpointFolder: URL?
        if train {
            checkpointFolder = checkpoint.map { URL(fileURLWithPath: $0) }
        } else {
            guard let folder = checkpoint.map({ URL(fileURLWithPath: $0) }) ?? (data == nil ? root.appendingPathComponent("Examples/Forecast/Checkpoints/caiso") : nil) else {
                throw TimeSeriesError.invalidOption("no checkpoint for your data: pass --train to fit a model, or --checkpoint FOLDER")
            }
            checkpointFolder = folder
        }
        let loaded = try checkpointFolder.map { try TSDiff.load(from: $0) }
        let covariateNames = try covariateColumns(checkpoint: loaded)
        let holidayCalendar = try holidays.map { try HolidayCalendar(contentsOf: URL(fileURLWithPath: $0)) }
        var dataset: TimeSeriesDataset
        var attributeNames: [String] = []
        switch format {
        case .wide where noTimestamps:
            dataset = try TimeSeriesDataset.loadWide(untimed: dataURL, columns: Self.list(columns), covariates: covariateNames, frequency: freq!)
        case .wide:
            dataset = try TimeSeriesDataset.loadWide(dataURL, timestampColumn: timestampColumn, columns: Self.list(columns), covariates: covariateNames, frequency: freq)
        case .long:
            dataset = try TimeSeriesDataset.loadLong(dataURL, idColumn: idColumn, timestampColumn: timestampColumn ?? "timestamp",
                                                     valueColumn: valueColumn, frequency: freq)
        }
        if let staticAttributes {
            let attributes = try StaticAttributes(contentsOf: URL(fileURLWithPath: staticAttributes))
            if let loaded, loaded.configuration.layout.conditioning.attributes.isEmpty {
                throw TimeSeriesError.invalidOption("--static-attributes: the checkpoint reads no static attributes (it was trained without --static-attributes)")
            }
            dataset.series = try attributes.attached(to: dataset.series)
            attributeNames = attributes.names
        }
        let outURL = URL(fileURLWithPath: out)
        try AtomicFile.createFolder(at: outURL)

        if let loaded {
            try checkCompatibility(loaded, dataset)
            // A joint model's series meet the channels they were trained on.
            dataset.series = try loaded.configuration.orderedForJointModel(dataset.series)
        }
        // The protocol needs only the horizon and the history, which conditioning does not change.
        var configuration = loaded?.configuration ?? TSDiffConfiguration.standard(frequency: dataset.frequency, contextLength: context, predictionLength: horizon)
        let protocolLayout = configuration.layout
        log("\(dataset.series.count) series, \(dataset.frequency) (\(freq == nil ? "inferred from the timestamps" : "--frequency")); seasons \(dataset.frequency.seasons.map(String.init).joined(separator: ", ")) steps; "
            + "context \(protocolLayout.contextLength), horizon \(protocolLayout.predictionLength), lags \(protocolLayout.lags.isEmpty ? "none" : protocolLayout.lags.map(String.init).joined(separator: ", "))")
        let backtest = try Backtest(series: dataset.series, predictionLength: protocolLayout.predictionLength, windows: windows,
                                    history: protocolLayout.history, seasonality: dataset.frequency.seasonality)
        // Where training stops: before the validation windows when they are validated or chosen
        // on, so that the checkpoint and (below) the method are chosen on windows the model has
        // not been trained on; else at the test period.
        let trainingEnd = holdsOutValidation ? backtest.trainingEnd(holdingOutValidation: validationWindowCount, history: protocolLayout.history) : backtest.trainingEnd

        var model: TSDiff
        if var checkpointModel = loaded {
            // Forecast with a checkpoint, or continue training it (fresh optimiser state).
            let joint = configuration.jointSeries
            if joint > 1 { try TSDiffTrainer.checkAligned(dataset.series, jointSeries: joint) }
            if let holidayCalendar {
                guard configuration.layout.conditioning.holidays != nil else {
                    throw TimeSeriesError.invalidOption("--holidays: the checkpoint has no holiday channel (it was trained without --holidays)")
                }
                configuration.layout.conditioning.holidays = holidayCalendar.days.sorted()
                try configuration.validate()
            }
            if joint > 1 && (refine != nil || synthesize != nil) {
                throw TimeSeriesError.invalidOption("--refine and --synthesize work on models of one series; the checkpoint is a joint model of \(joint) series")
            }
            checkpointModel.configuration = configuration
            model = checkpointModel
        } else {
            configuration.backbone.dropout = dropout ?? 0
            if let blocks { configuration.backbone.blocks = blocks }
            // Covariates are standardised on the part the model trains on.
            configuration.layout.conditioning = try SeriesConditioning.fitted(
                calendar: calendarFeatures(for: dataset.frequency), holidays: holidayCalendar, covariates: covariateNames,
                knownFuture: Set(Self.list(knownFuture) ?? []), attributes: attributeNames, series: dataset.series, trainingEnd: trainingEnd)
            configuration.backbone.conditioningChannels = configuration.layout.conditioning.channels
            if modelKind == .joint {
                try TSDiffTrainer.checkAligned(dataset.series, jointSeries: dataset.series.count)
                configuration.jointSeries = dataset.series.count
                if dataset.series.count > 1 { configuration.jointSeriesNames = dataset.series.map(\.name) }
                configuration.backbone.channels = configuration.channels
            }
            // The paper's width, or a joint model's, unless --hidden sets it.
            configuration.backbone.hidden = hidden ?? (modelKind == .joint ? TSDiffBackboneConfiguration.jointHidden(channels: configuration.channels)
                                                                             : configuration.backbone.hidden)
            // Options can describe a model no checkpoint may hold (too many series, covariates or
            // dates): refuse it now, not after training.
            try configuration.validate()
            model = TSDiff(configuration: configuration, seed: seed)
        }
        let layout = model.configuration.layout
        log(Self.describe(layout.conditioning) + (model.configuration.jointSeries > 1 ? "; a joint model of the \(model.configuration.jointSeries) series" : ""))
        let backbone = model.configuration.backbone
        log("network: hidden \(backbone.hidden), \(backbone.blocks) S4 blocks, \(model.configuration.diffusionSteps) diffusion steps, \(model.parameters.scalarCount) weights")
        let diffusionSteps = model.configuration.diffusionSteps
        var quantileSettings = try samplerSettings(for: .quantile, diffusionSteps: diffusionSteps, jointSeries: model.configuration.jointSeries)
        let meanSquaredSettings = try samplerSettings(for: .meanSquared, diffusionSteps: diffusionSteps, jointSeries: model.configuration.jointSeries)
        var forecastOptions = ForecastOptions(samples: samples, loss: .quantile, scale: quantileSettings.scale, sampler: quantileSettings.sampler,
                                             gradientPoint: gradientPoint.point, seed: seed)

        // The training's validation: its windows, its forecast options and the best score, which
        // is the kept parameters' score.
        var trainingValidation: (starts: [[Int]], options: ForecastOptions, crps: Double)?
        if train {
            let checkpointURL = outURL.appendingPathComponent("checkpoint")
            let trainer = TSDiffTrainer(options: TSDiffTrainingOptions(steps: trainingSteps, batchSize: batchSize, emaDecay: emaDecay > 0 ? emaDecay : nil,
                                                                       validationInterval: validationInterval,
                                                                       validationSamples: validationSamples, seed: seed))
            // The validation windows of the series that can be validated (the choice below uses the same).
            let validation = backtest.validation(windows: validationWindowCount, history: layout.history)?.testTargets ?? []
            // Few DDIM steps make poor guided forecasts (measured on CAISO: 10 steps 0.077,
            // 20 steps 0.028 on the validation weeks), so validation uses at least 20.
            var validationOptions = forecastOptions
            if case .ddim(let s) = forecastOptions.sampler { validationOptions.sampler = .ddim(steps: Swift.max(s, 20)) }
            var display = ProgressDisplay(label: communicator.size > 1 ? "training on \(communicator.size) processes" : "training")
            let report = try trainer.train(&model, series: dataset.series, trainingEnd: trainingEnd, validation: validation,
                                           forecastOptions: validationOptions, communicator: communicator,
                                           progress: { if communicator.isRoot { display.update($0) } },
                                           onNewBest: { [configuration = model.configuration] parameters, _, _ in
                                               if communicator.isRoot { try TSDiff(configuration: configuration, parameters: parameters).save(to: checkpointURL) }
                                           })
            if communicator.isRoot { display.finish() }
            if communicator.isRoot {
                try model.save(to: checkpointURL)
                try TSDiff(configuration: model.configuration, parameters: report.lastParameters).save(to: outURL.appendingPathComponent("checkpoint-last"))
                try TrainingLog(report: report).write(to: outURL)
            }
            log("trained \(trainingSteps) steps in \(ProgressLine.duration(report.seconds))\(communicator.size > 1 ? " on \(communicator.size) processes" : ""); best step \(report.bestStep); checkpoint: \(checkpointURL.path)")
            if let crps = report.validations.map(\.crps).min() {
                trainingValidation = (validation.map(\.starts), validationOptions, crps)
            }
            if !report.validations.isEmpty {
                log("validation CRPS by step: " + report.validations.map { "\($0.step): \(String(format: "%.5f", $0.crps))" }.joined(separator: ", "))
            }
            try communicator.barrier()
        }

        // The refinement step τ, computed once when first needed.
        let key = RandomKey(seed: seed)
        var representativeStep: Int?
        func refinementStep() throws -> Int {
            if let step = refineStep ?? representativeStep { return step }
            let batch = try TSDiffTrainer.trainingBatch(dataset.series, trainingEnd: backtest.trainingEnd, layout: layout, jointSeries: model.configuration.jointSeries,
                                                        count: 64, key: key.folding(in: 9))
            let step = model.representativeStep(windows: batch.windows, conditioning: batch.conditioning, key: key.folding(in: 10))
            representativeStep = step
            return step
        }

        // The choice on validation windows.
        var selection: ValidationSelection?
        if chooseOnValidation == .always || (chooseOnValidation == .whenTraining && train) {
            let joint = model.configuration.jointSeries
            if let validation = backtest.validation(windows: validationWindowCount, history: layout.history), joint == 1 || validation.series.count == joint {
                let t0 = Date()
                let options: ForecastOptions? = guidance == .meanSquared ? nil : {
                    var o = forecastOptions
                    o.loss = .quantile
                    return o
                }()
                // The training's score of the kept parameters stands for TSDiff-Q at the default
                // scale when it was drawn on the same windows with the same sampler.
                var known: [Double: Double] = [:]
                if let trained = trainingValidation, let o = options, trained.starts == validation.testTargets.map(\.starts),
                   trained.options.sampler == o.sampler, trained.options.scale == o.scale {
                    known[o.scale] = trained.crps
                }
                let chosen = try selectOnValidation(validation, model: model, quantileOptions: options, known: known, baselines: Self.baselines(for: dataset.frequency),
                                                    refinementStep: refinementStep, key: key.folding(in: 13))
                selection = chosen
                log("validation (\(validation.series.count) series × \(validationWindowCount) windows before the test period, \(ProgressLine.duration(Date().timeIntervalSince(t0)))): "
                    + chosen.choice.summary)
            } else {
                log(joint > 1 ? "not every series of the joint model holds \(validationWindowCount) validation windows before its test period: no choice on validation"
                    : "no series holds \(validationWindowCount) validation windows before its test period: no choice on validation")
            }
        }

        if let best = selection?.bestQuantileScale { quantileSettings.scale = best }
        let synthesisSampler = quantileSettings.sampler
        if let best = selection?.bestQuantileSampler {
            quantileSettings.sampler = best
            log("tsdiff-q: \(Self.describe(best, diffusionSteps: diffusionSteps)), the better sampler on the validation windows")
        }

        // Forecasts.
        let testWindows = try layout.windows(for: backtest.testTargets, missing: missingScenario, key: key.folding(in: 12))
        var results: [(name: String, metrics: ForecastMetrics, samples: [[[Double]]])] = []
        let losses: [GuidanceLoss] = guidance == .both ? [.quantile, .meanSquared] : guidance == .quantile ? [.quantile] : [.meanSquared]
        var usedScales: [GuidanceLoss: Double] = [:]
        var guidedSettings: [ResultsTable.GuidedSettings] = []
        for loss in losses {
            let settings = loss == .quantile ? quantileSettings : meanSquaredSettings
            forecastOptions.loss = loss
            forecastOptions.samples = loss == .quantile ? samples : msSamples
            forecastOptions.scale = settings.scale
            forecastOptions.sampler = settings.sampler
            let t0 = Date()
            let name = loss == .quantile ? "tsdiff-q" : "tsdiff-ms"
            let paths: [[[Double]]]
            do {
                // A diverging scale is halved (up to 3 times) rather than the row dropped.
                let (drawn, scale) = try model.forecastHalvingScaleOnDivergence(testWindows, options: forecastOptions, communicator: communicator)
                paths = drawn
                if scale != settings.scale {
                    log("\(name): guidance diverged at scale \(settings.scale); drawn at scale \(scale) (option \(loss == .quantile ? "--scale" : "--ms-scale"))")
                    usedScales[loss] = scale
                }
            } catch let error as TimeSeriesError {
                // A scale that diverged after 3 halvings, or a model that produced no numbers, loses this row, not the others.
                switch error {
                case .guidanceDiverged, .nonFiniteForecast: break
                default: throw error
                }
                log("\(name): \(error) (option \(loss == .quantile ? "--scale" : "--ms-scale")); row left out")
                continue
            }
            results.append((name, backtest.score(paths), paths))
            let usedScale = usedScales[loss] ?? settings.scale
            guidedSettings.append(.init(name: name, samples: forecastOptions.samples, sampler: settings.sampler, diffusionSteps: diffusionSteps, scale: usedScale))
            log("\(name): \(backtest.series.count * windows) windows × \(forecastOptions.samples) samples (\(Self.describe(settings.sampler, diffusionSteps: diffusionSteps))"
                + (settings.sampler.isAncestral && gradientPoint == .stepStart ? ", gradient at the step start" : "") + ", "
                + "scale \(usedScale)) in \(ProgressLine.duration(Date().timeIntervalSince(t0)))")
        }
        // The other processes' part ends with the TSDiff forecasts; rank 0 scores and writes.
        guard communicator.isRoot else { return }
        let baselines = Self.baselines(for: dataset.frequency)
        for (name, base, count) in baselines {
            do {
                let paths = try backtest.forecast(base, samples: count, key: key.folding(in: 7))
                results.append((name, backtest.score(paths), paths))
            } catch let error as TimeSeriesError {
                log("\(name): \(error); row left out")
            }
        }
        // The refinement that validation chose, on the test windows.
        if let selection, let base = selection.refinedBase, selection.chosenRow == base.name + ValidationSelection.refinementSuffix {
            let t0 = Date()
            let paths = try refined(base.forecaster, backtest: backtest, windows: testWindows, model: model, step: try refinementStep(), key: key)
            results.append((selection.chosenRow, backtest.score(paths), paths))
            log("\(selection.chosenRow): \(paths.count) windows × \(samples) samples in \(ProgressLine.duration(Date().timeIntervalSince(t0)))")
        }
        if let refine {
            let t0 = Date()
            let base: BaseForecaster
            switch refineBase {
            case .seasonalNaive: base = .seasonalNaive
            case .bootstrap: base = .bootstrappedSeasonalNaive(seasons: 28)
            case .linear: base = .linear(contextLength: layout.contextLength, ridge: 1)
            }
            let initial = try backtest.forecast(base, samples: samples, key: key.folding(in: 8))
            let tau = try refinementStep()
            let refined = try model.refine(testWindows, initial: initial, options: RefinementOptions(
                method: refine == .ml ? .maximumLikelihood : .langevin, loss: refineLoss == .quantile ? .quantile : .meanSquared,
                diffusionStep: tau, seed: seed))
            if refineBase != .seasonalNaive && refineBase != .bootstrap { results.append((refineBase.rawValue, backtest.score(initial), initial)) }
            results.append(("\(refineBase.rawValue)+\(refine.rawValue)", backtest.score(refined), refined))
            log("refinement (\(refine.rawValue), τ = \(tau)) of \(initial.count) windows × \(samples) samples in \(ProgressLine.duration(Date().timeIntervalSince(t0)))")
        }
        var lps: [(name: String, metrics: ForecastMetrics)] = []
        if let synthesize {
            let t0 = Date()
            let synthetic = try model.synthesize(count: synthesize, sampler: synthesisSampler, conditions: testWindows, seed: seed)
            let real = LinearPredictiveScore.realWindows(dataset.series, trainingEnd: backtest.trainingEnd, contextLength: layout.contextLength,
                                                         horizon: layout.predictionLength, count: synthesize, key: key.folding(in: 11))
            let test = dataset.series.map { $0.slice(0..<($0.count - (windows - 1) * layout.predictionLength)) }
            for (name, trainingWindows) in [("lps-synthetic", synthetic), ("lps-real", real)] {
                lps.append((name, try LinearPredictiveScore.evaluate(trainingWindows: trainingWindows, contextLength: layout.contextLength,
                                                                     horizon: layout.predictionLength, testSeries: test, seasonality: dataset.frequency.seasonality)))
            }
            try SyntheticPlot.write(synthetic.prefix(8).map { $0 }, to: outURL.appendingPathComponent("synthetic.svg"))
            log("\(synthesize) synthetic windows in \(ProgressLine.duration(Date().timeIntervalSince(t0)))")
        }
        let seconds = Date().timeIntervalSince(started)

        // Outputs.
        var multivariate: [(name: String, metrics: MultivariateMetrics)] = []
        // Only for series on the same steps, whose windows w fall on the same dates.
        if backtest.series.count > 1, (try? TSDiffTrainer.checkAligned(backtest.series, jointSeries: backtest.series.count)) != nil {
            // Window w of every series together (the joint model's groups for all the series).
            let groups = try TSDiff.groups(windowCount: backtest.series.count * windows, series: backtest.series.count)
            let truths = backtest.testTruths
            multivariate = results.map { ($0.name, MultivariateMetrics.score(samples: $0.samples, truths: truths, groups: groups, scales: testWindows.map(\.scale))) }
        }
        let table = ResultsTable(methods: results.map { ($0.name, $0.metrics) }, settings: guidedSettings, linearPredictiveScores: lps,
                                 choice: selection.map { ($0.chosenRow, $0.choice) }, multivariate: multivariate, seconds: seconds)
        try AtomicFile.write(Data(table.json().utf8), to: outURL.appendingPathComponent("results.json"))
        let forecasts = try ForecastTable(backtest: backtest, methods: results.map { ($0.name, $0.samples) })
        try AtomicFile.write(Data(forecasts.csv().utf8), to: outURL.appendingPathComponent("forecasts.csv"))
        var written = ["results.json", "forecasts.csv (quantiles per method and step)"]
        if let guided = results.first(where: { $0.name.hasPrefix("tsdiff") }) {
            let charts = FanChart.render(backtest: backtest, samples: guided.samples, method: guided.name, historySteps: 7 * dataset.frequency.seasonality)
            for ((_, svg), file) in zip(charts, FanChart.fileNames(charts.map(\.0))) {
                try AtomicFile.write(Data(svg.utf8), to: outURL.appendingPathComponent("\(file).svg"))
            }
            written.insert("\(charts.count) fan charts", at: 0)
        } else {
            log("no TSDiff row: no fan charts written")
        }
        if synthesize != nil { written.append("synthetic.svg") }
        if json {
            print(table.json())
        } else {
            let settings = losses.map { loss in
                let (name, chosen, count) = loss == .quantile ? ("TSDiff-Q", quantileSettings, samples) : ("TSDiff-MS", meanSquaredSettings, msSamples)
                return "; \(name): \(count) samples, \(Self.describe(chosen.sampler, diffusionSteps: diffusionSteps)), scale \(usedScales[loss] ?? chosen.scale)"
            }
            print("\(dataset.series.count) series from \(dataURL.lastPathComponent), \(windows) windows × \(layout.predictionLength) steps"
                  + settings.joined()
                  + (missing.map { "; TSDiff's context \(String(format: "%g", missingFraction * 100))% hidden (\($0.rawValue)), baselines on the complete data" } ?? ""))
            print(table.text())
            print(written.joined(separator: ", ") + " in \(outURL.path)")
        }
    }
}

/// Writes to standard error (progress and notes stay out of the table on stdout).
func log(_ text: String) {
    if logging { FileHandle.standardError.write(Data((text + "\n").utf8)) }
}

/// Whether this process prints progress and notes (rank 0 of an MPI run, or the only process).
nonisolated(unsafe) var logging = true
