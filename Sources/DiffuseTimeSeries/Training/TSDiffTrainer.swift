import DiffuseCore
import DiffuseNN
import DiffuseTensor
import Foundation

/// Options of TSDiff training (the paper: Adam 1e-3, gradient clip 0.5, batches of 64, no EMA).
public struct TSDiffTrainingOptions: Codable, Sendable {
    public var steps: Int
    public var batchSize: Int
    public var learningRate: Double
    public var gradientClip: Double
    /// EMA decay of the weights used for validation and returned at the end (nil: none). The
    /// decay warms up as min(decay, (1 + n)/(10 + n)) so early averages do not remember the
    /// initialisation.
    public var emaDecay: Double?
    /// Run guided validation forecasts every this many steps (0: never) and keep the best.
    public var validationInterval: Int
    public var validationSamples: Int
    public var seed: UInt64

    public init(steps: Int = 2000, batchSize: Int = 64, learningRate: Double = 1e-3, gradientClip: Double = 0.5, emaDecay: Double? = nil,
                validationInterval: Int = 0, validationSamples: Int = 16, seed: UInt64 = 0) {
        self.steps = steps
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.gradientClip = gradientClip
        self.emaDecay = emaDecay
        self.validationInterval = validationInterval
        self.validationSamples = validationSamples
        self.seed = seed
    }
}

/// Progress of a training run, reported to the caller's display.
public struct TrainingProgress: Sendable {
    public var step: Int
    public var totalSteps: Int
    public var loss: Double
    public var secondsElapsed: Double
    public var validationCRPS: Double?

    /// Estimated seconds left at the current rate.
    public var secondsRemaining: Double { step > 0 ? secondsElapsed / Double(step) * Double(totalSteps - step) : .nan }
}

/// What a training run produced.
public struct TrainingReport: Sendable {
    public var losses: [Double]
    public var validations: [(step: Int, crps: Double)]
    public var bestStep: Int
    public var seconds: Double
    /// The parameters at the last step (the EMA average when EMA is on), whatever validation chose.
    public var lastParameters: ParameterSet<Float>
}

/// Trains TSDiff with denoising score matching on random windows of training series.
public struct TSDiffTrainer {
    public var options: TSDiffTrainingOptions

    public init(options: TSDiffTrainingOptions) {
        self.options = options
    }

    /// Training windows and, for a conditional layout, their conditioning.
    public struct Batch: Sendable {
        /// The windows `[B, L, C]`.
        public var windows: Tensor<Float>
        /// Their conditioning `[B, L, F]` (nil without conditioning).
        public var conditioning: Tensor<Float>?

        /// The batch of `windows`' inputs (stacked per row when a row holds several series:
        /// `channels` per step) and their conditioning, nil without conditioning channels.
        init(inputs: [Float], conditioning: [Float], count: Int, layout: WindowLayout, channels: Int) {
            let f = layout.conditioning.channels
            windows = Tensor(shape: [count, layout.length, channels], scalars: inputs)
            self.conditioning = f > 0 ? Tensor(shape: [count, layout.length, f], scalars: conditioning) : nil
        }

        init(windows: Tensor<Float>, conditioning: Tensor<Float>?) {
            self.windows = windows
            self.conditioning = conditioning
        }

        /// Rows `range` of the batch.
        public subscript(rows: Range<Int>) -> Batch {
            Batch(windows: windows[rows], conditioning: conditioning.map { $0[rows] })
        }
    }

    /// A batch of random training windows `[B, L, C]` (the future revealed) from `series`,
    /// each ending at or before `trainingEnd[i]` of series i, with their conditioning.
    ///
    /// - Throws: ``TimeSeriesError/tooShort(series:needed:available:)`` (naming the longest
    ///   series) when no series holds a whole window before its training end, and
    ///   ``TimeSeriesError/invalidOption(_:)`` when a series lacks a covariate of the layout's
    ///   conditioning.
    ///
    /// With `jointSeries` K > 1 (a joint model), `series` must be K aligned series (the same
    /// start, frequency and length); each window is then the K series' windows at one start
    /// stacked along the channels (``WindowLayout/stacked(_:channels:)``), `[B, L, K·C]`, ending
    /// before the earliest training end, with the first series' conditioning.
    public static func trainingBatch(_ series: [TimeSeries], trainingEnd: [Int], layout: WindowLayout, jointSeries: Int = 1, count: Int,
                                     key: RandomKey) throws -> Batch {
        for s in series { try layout.conditioning.check(s) }
        if jointSeries > 1 {
            return try jointTrainingBatch(series, trainingEnd: trainingEnd, layout: layout, jointSeries: jointSeries, count: count, key: key)
        }
        var stream = RandomStream(key: key)
        // Series weighted by their number of possible windows.
        let spans = zip(series, trainingEnd).map { Swift.max(0, $1 - layout.predictionLength - layout.history + 1) }
        guard spans.contains(where: { $0 > 0 }) else {
            guard let (s, end) = zip(series, trainingEnd).max(by: { $0.1 < $1.1 }) else { throw TimeSeriesError.invalidOption("no series to draw training windows from") }
            throw TimeSeriesError.tooShort(series: s.name, needed: layout.history + layout.predictionLength, available: end)
        }
        var values: [Float] = [], conditioning: [Float] = []
        values.reserveCapacity(count * layout.length * layout.channels)
        conditioning.reserveCapacity(count * layout.length * layout.conditioning.channels)
        for _ in 0..<count {
            let s = stream.categorical(weights: spans.map(Double.init))
            let start = layout.history + stream.integer(below: spans[s])
            let window = layout.window(series[s], forecastStart: start, revealFuture: true)
            values += window.input
            conditioning += window.conditioning
        }
        return Batch(inputs: values, conditioning: conditioning, count: count, layout: layout, channels: layout.channels)
    }

    /// ``trainingBatch(_:trainingEnd:layout:jointSeries:count:key:)`` for a joint model.
    static func jointTrainingBatch(_ series: [TimeSeries], trainingEnd: [Int], layout: WindowLayout, jointSeries k: Int, count: Int,
                                   key: RandomKey) throws -> Batch {
        try checkAligned(series, jointSeries: k)
        let end = trainingEnd.min() ?? 0
        let span = end - layout.predictionLength - layout.history + 1
        guard span > 0 else { throw TimeSeriesError.tooShort(series: series[0].name, needed: layout.history + layout.predictionLength, available: end) }
        var stream = RandomStream(key: key)
        var values: [Float] = [], conditioning: [Float] = []
        for _ in 0..<count {
            let start = layout.history + stream.integer(below: span)
            let windows = series.map { layout.window($0, forecastStart: start, revealFuture: true) }
            values += WindowLayout.stacked(windows, channels: layout.channels).input
            conditioning += windows[0].conditioning
        }
        return Batch(inputs: values, conditioning: conditioning, count: count, layout: layout, channels: k * layout.channels)
    }

    /// Throws ``TimeSeriesError/invalidOption(_:)`` unless `series` are `jointSeries` series with
    /// the same start, frequency and length, as a joint model's windows need.
    public static func checkAligned(_ series: [TimeSeries], jointSeries k: Int) throws {
        guard series.count == k else {
            throw TimeSeriesError.invalidOption("a joint model of \(k) series needs exactly \(k) series (got \(series.count))")
        }
        for s in series.dropFirst() where s.start != series[0].start || s.count != series[0].count || s.frequency != series[0].frequency {
            throw TimeSeriesError.invalidOption("series '\(s.name)' is not aligned with '\(series[0].name)' (start, length or frequency differ): a joint model needs series on the same steps")
        }
    }

    /// Trains `model` in place and returns the report. The best parameters by validation CRPS
    /// (or the final/EMA parameters without validation) end up in `model`.
    ///
    /// - Parameters:
    ///   - model: the model to train in place.
    ///   - series: the training series.
    ///   - trainingEnd: per series, the first index not used for training (default: all).
    ///   - validation: series and forecast starts evaluated with guided forecasts (a validation
    ///     whose guidance diverges scores CRPS +∞).
    ///   - forecastOptions: the options of the validation forecasts (default: ``ForecastOptions``'s
    ///     defaults), with the sample count replaced by the training options' `validationSamples`.
    ///   - progress: called after every step (for a progress display).
    ///   - onNewBest: called with the parameters whenever the validation CRPS improves (to save a
    ///     checkpoint, so an interrupted run keeps its best model).
    ///   - communicator: the processes training together (data parallel; default: this one).
    ///     Rank 0's parameters are broadcast first; every step, every process draws the same
    ///     batch of windows and computes the loss and gradients of its share of the rows
    ///     (`Communicator.shard(_:)`, with the noise and times of those rows, drawn by global
    ///     row index), and the gradients and loss are averaged with one all-reduce, so that the
    ///     processes take the same step as one process with the whole batch (up to the order of
    ///     floating-point sums). The batch size must be divisible by the number of processes;
    ///     dropout masks are drawn per process, so with dropout the runs are equivalent in
    ///     distribution only. At each validation the processes' parameters are checked identical
    ///     and the validation windows are shared among the processes.
    ///     Callbacks run on every process: write files from rank 0 only.
    public func train(_ model: inout TSDiff, series: [TimeSeries], trainingEnd: [Int]? = nil,
                      validation: [(series: TimeSeries, starts: [Int])] = [], forecastOptions: ForecastOptions? = nil,
                      communicator: any Communicator = SingleProcess(),
                      progress: ((TrainingProgress) -> Void)? = nil,
                      onNewBest: ((_ parameters: ParameterSet<Float>, _ step: Int, _ crps: Double) throws -> Void)? = nil) throws -> TrainingReport {
        let layout = model.configuration.layout
        let ends = trainingEnd ?? series.map(\.count)
        if model.configuration.jointSeries > 1 { try Self.checkAligned(series, jointSeries: model.configuration.jointSeries) }
        for (s, end) in zip(series, ends) where end < layout.history + layout.predictionLength {
            throw TimeSeriesError.tooShort(series: s.name, needed: layout.history + layout.predictionLength, available: end)
        }
        // Validation windows that cannot be forecast fail now, not at the first validation.
        if options.validationInterval > 0 {
            for (s, starts) in validation { try layout.validate(s, forecastStarts: starts) }
        }
        guard options.batchSize % communicator.size == 0 else {
            throw TimeSeriesError.invalidOption("batch size \(options.batchSize) is not divisible by the \(communicator.size) processes")
        }
        try communicator.broadcast(&model.parameters, from: 0)
        let rows = communicator.shard(options.batchSize)
        let objective = DenoisingObjective(schedule: model.schedule, prediction: .noise, timeSampling: .uniformSteps)
        let optimizer = Adam<Float>()
        var state = optimizer.makeState(for: model.parameters)
        var ema = options.emaDecay.map { _ in model.parameters }
        let averager = options.emaDecay.map { ExponentialMovingAverage(decay: $0, warmup: true) }
        let key = RandomKey(seed: options.seed)
        var losses: [Double] = []
        var validations: [(Int, Double)] = []
        var best = (step: 0, crps: Double.infinity, parameters: model.parameters)
        let started = Date()
        for step in 0..<options.steps {
            let stepKey = key.folding(in: step)
            let batch = try Self.trainingBatch(series, trainingEnd: ends, layout: layout, jointSeries: model.configuration.jointSeries,
                                               count: options.batchSize, key: stepKey.folding(in: 0))
            let local = communicator.size == 1 ? batch : batch[rows]
            let example = objective.example(for: local.windows, key: stepKey.folding(in: 1), sampleOffset: rows.lowerBound, batchCount: options.batchSize)
            // Each process its own dropout masks (one process keeps the key it always had).
            let dropoutKey = communicator.size == 1 ? stepKey.folding(in: 2) : stepKey.folding(in: 2).folding(in: -1 - communicator.rank)
            var (loss, gradients) = model.trainingLossAndGradient(example, conditioning: local.conditioning, objective: objective, dropoutKey: dropoutKey)
            if communicator.size > 1 {
                var shared = [loss]
                try communicator.allReduceMean(&gradients, extra: &shared)
                loss = shared[0]
            }
            try TrainingError.check(loss: loss, gradients: gradients, step: step)
            gradients.clipByGlobalNorm(Float(options.gradientClip))
            optimizer.update(&model.parameters, gradients: gradients, state: &state, learningRate: options.learningRate)
            if let averager { averager.update(&ema!, toward: model.parameters, step: step) }
            losses.append(Double(loss))
            var crps: Double? = nil
            if options.validationInterval > 0 && !validation.isEmpty && ((step + 1) % options.validationInterval == 0 || step + 1 == options.steps) {
                try communicator.checkIdentical(model.parameters)
                var candidate = model
                if let ema { candidate.parameters = ema }
                var fo = forecastOptions ?? ForecastOptions()
                fo.samples = options.validationSamples
                do {
                    crps = try candidate.evaluate(validation, options: fo, communicator: communicator).tsdiff.crps
                } catch TimeSeriesError.guidanceDiverged {
                    // An unstable guided forecast scores as infinitely bad; training goes on.
                    crps = .infinity
                }
                validations.append((step + 1, crps!))
                if crps! < best.crps {
                    best = (step + 1, crps!, candidate.parameters)
                    try onNewBest?(candidate.parameters, step + 1, crps!)
                }
            }
            let recent = losses.suffix(50)
            progress?(TrainingProgress(step: step + 1, totalSteps: options.steps, loss: recent.reduce(0, +) / Double(recent.count),
                                       secondsElapsed: Date().timeIntervalSince(started), validationCRPS: crps))
        }
        let last = ema ?? model.parameters
        if best.crps.isFinite {
            model.parameters = best.parameters
        } else if let ema {
            model.parameters = ema
            best.step = options.steps
        } else {
            best.step = options.steps
        }
        return TrainingReport(losses: losses, validations: validations, bestStep: best.step, seconds: Date().timeIntervalSince(started), lastParameters: last)
    }
}
