import DiffuseCore
import DiffuseNN
import DiffuseTensor
import Foundation

/// The observation loss of self-guidance.
public enum GuidanceLoss: String, Codable, Sendable, CaseIterable {
    /// Σ (x̂₀ − y)² over observed entries (TSDiff-MS).
    case meanSquared
    /// The pinball loss with sample k of N at level (k + 1)/(N + 1) (TSDiff-Q).
    case quantile
}

/// How guided samples are drawn.
public enum ForecastSampler: Codable, Hashable, Sendable {
    /// The reference form: DDPM ancestral steps over all T steps, each followed by
    /// x ← x − s·σ̃²·∇E (TSDiff's `DDPMGuidance`).
    case ddpm
    /// DDPM ancestral steps on `steps` leading-spaced steps of the T (diffusers' `DDPMScheduler`
    /// with fewer inference steps: t = T − T/n, …, T/n, 0; `steps` must divide T), each jump
    /// sampling its exact posterior, with the same post-step guidance: σ̃² is the posterior
    /// variance of the whole jump, and the gradient is taken at the jump's end with the model
    /// time of its start (the reference's quirk, over a jump of T/n steps here). That the
    /// published scales still suit it is measured, not derived: on the CAISO validation week
    /// 25 steps with s = 2 or 4 scored as well as or better than the full chain.
    case stridedDDPM(steps: Int)
    /// Deterministic DDIM on `steps` trailing-spaced steps with ε̃ = ε + s·σ·∇E (TSDiff's
    /// `DDIMGuidance`, η = 0).
    case ddim(steps: Int)
}

extension ForecastSampler {
    /// The time grid of this sampler for a model with `diffusionSteps` discrete steps.
    public func grid(_ schedule: DiscreteVPSchedule, diffusionSteps: Int) -> TimeGrid {
        switch self {
        case .ddpm: return TimeGrid.diffusers(schedule, scheduler: .ddpm, steps: diffusionSteps)
        case .stridedDDPM(let steps): return TimeGrid.diffusers(schedule, scheduler: .ddpm, steps: steps, spacing: .leading)
        case .ddim(let steps): return TimeGrid.diffusers(schedule, scheduler: .ddim, steps: steps, spacing: .trailing)
        }
    }

    /// Throws ``TimeSeriesError/invalidOption(_:)`` unless the sampler fits a model with
    /// `diffusionSteps` steps: 1 ≤ steps ≤ T, and for the strided DDPM a divisor of T (leading
    /// spacing would otherwise start below the noisiest step while the initial noise is drawn
    /// for it).
    public func validate(diffusionSteps t: Int) throws {
        switch self {
        case .ddpm:
            return
        case .stridedDDPM(let n):
            guard n >= 1, n <= t, t % n == 0 else {
                throw TimeSeriesError.invalidOption("strided DDPM needs a step count that divides the model's \(t) diffusion steps (got \(n))")
            }
        case .ddim(let n):
            guard n >= 1, n <= t else { throw TimeSeriesError.invalidOption("DDIM needs 1 to \(t) steps (got \(n))") }
        }
    }

    /// Whether draws are DDPM ancestral steps (stochastic) rather than deterministic DDIM.
    public var isAncestral: Bool {
        if case .ddim = self { return false }
        return true
    }
}

/// Options of self-guided forecasting.
public struct ForecastOptions: Codable, Sendable {
    public var samples: Int
    public var loss: GuidanceLoss
    public var scale: Double
    public var sampler: ForecastSampler
    /// Where the ancestral (DDPM) forms take the guidance gradient: at the step's end with the
    /// model time of its start (the reference's form), or at its start, reusing the step's own
    /// model evaluation (one forward pass fewer per step). DDIM takes it at the step's start
    /// in either case.
    public var gradientPoint: GuidanceGradientPoint
    public var seed: UInt64
    /// Rows per model call (bounds memory). Every row has its own random stream, so the draws do
    /// not depend on it; the network's arithmetic agrees across chunk sizes to Float32 rounding
    /// only, because OpenBLAS picks kernels by matrix size.
    public var chunkSize: Int

    public init(samples: Int = 100, loss: GuidanceLoss = .quantile, scale: Double = 4, sampler: ForecastSampler = .ddpm,
                gradientPoint: GuidanceGradientPoint = .stepEnd, seed: UInt64 = 0, chunkSize: Int = 256) {
        self.samples = samples
        self.loss = loss
        self.scale = scale
        self.sampler = sampler
        self.gradientPoint = gradientPoint
        self.seed = seed
        self.chunkSize = chunkSize
    }

    /// Throws ``TimeSeriesError/invalidOption(_:)`` for options no run can use: fewer than one
    /// sample or chunk row, a negative or non-finite scale, or a sampler whose steps do not fit
    /// `diffusionSteps`.
    public func validate(diffusionSteps: Int) throws {
        guard samples >= 1 else { throw TimeSeriesError.invalidOption("samples must be at least 1 (got \(samples))") }
        guard chunkSize >= 1 else { throw TimeSeriesError.invalidOption("chunk size must be at least 1 (got \(chunkSize))") }
        guard scale.isFinite, scale >= 0 else { throw TimeSeriesError.invalidOption("guidance scale must be finite and non-negative (got \(scale))") }
        try sampler.validate(diffusionSteps: diffusionSteps)
    }
}

extension TSDiff {
    /// Guided draws of a batch from initial noise `[B, L, C]`: self-guidance toward the observed
    /// entries (`mask` 1) of `observed`, with the loss and sampler of `options` (the quantile
    /// loss with row b at `levels[b]`). The DDPM forms draw their step noise from `key` by row
    /// (global row index `sampleOffset + b`); DDIM is deterministic given the noise.
    func guidedSamples(_ model: NetworkModel<Float>, observed: Tensor<Float>, mask: Tensor<Float>, levels: [Double], from noise: Tensor<Float>,
                       options: ForecastOptions, key: RandomKey, sampleOffset: Int) -> Tensor<Float> {
        let energy = ObservationEnergy(observed: observed, mask: mask, loss: options.loss == .quantile ? .quantile(levels: levels) : .squared)
        let grid = options.sampler.grid(schedule, diffusionSteps: configuration.diffusionSteps)
        if options.sampler.isAncestral {
            return sample(PostStepGuidance(model, energy: energy, rule: .tsdiff(scale: options.scale, at: options.gradientPoint)), from: noise, grid: grid,
                          using: DDPMSampler(), key: key, sampleOffset: sampleOffset).samples
        }
        return sample(GradientGuidedModel(model, source: .throughDenoiser(energy), scale: options.scale), from: noise, grid: grid,
                      using: DDIMSampler(), key: key, sampleOffset: sampleOffset).samples
    }

    /// The windows forecast together, as indices into a list of `windowCount` windows: each
    /// window alone for a model of one series, and for a joint model of K series window w of
    /// every series, the list holding K × W windows series by series (as
    /// ``WindowLayout/windows(for:missing:key:)`` returns them for K targets with the same starts).
    ///
    /// - Throws: ``TimeSeriesError/invalidOption(_:)`` when the windows are not K × W.
    public func jointGroups(windowCount: Int) throws -> [[Int]] {
        try Self.groups(windowCount: windowCount, series: configuration.jointSeries)
    }

    /// Window w of each of `k` series, as indices into `windowCount` = k × W windows listed
    /// series by series; throws ``TimeSeriesError/invalidOption(_:)`` when they are not k × W.
    public static func groups(windowCount: Int, series k: Int) throws -> [[Int]] {
        guard k >= 1, windowCount % k == 0 else {
            throw TimeSeriesError.invalidOption("a joint model of \(k) series forecasts \(k) × W windows, series by series; got \(windowCount) windows")
        }
        let perSeries = windowCount / k
        return (0..<perSeries).map { w in (0..<k).map { $0 * perSeries + w } }
    }

    /// Median forecasts beyond this multiple of the largest magnitude in the context count as
    /// diverged guidance.
    public static let divergenceLimit = 3.0

    /// Self-guided forecasts for windows (future masked): `samples` paths per window, unscaled,
    /// `[windows][samples][horizon]`. A joint model forecasts window w of its K series together
    /// (``jointGroups(windowCount:)``): one path of the group is a draw of all K series at once,
    /// guided by the observations of all of them, and path s of every series of the group comes
    /// from the same draw.
    ///
    /// Observation self-guidance (Kollovieh et al. 2023, §3.1): the model (unconditional, or given
    /// its conditioning channels) is steered
    /// by the gradient of an energy of its clean estimate on the observed entries — the context and
    /// the lagged copies of observed values. Missing context values are simply unobserved.
    ///
    /// Throws ``TimeSeriesError/guidanceDiverged(loss:scale:largest:)`` when, at some step, the
    /// median magnitude over a window's sample paths is not finite or exceeds
    /// ``divergenceLimit`` times the largest magnitude in its context: too large a guidance scale
    /// makes the guided update unstable (measured: mean-squared guidance at the DDPM form's scale
    /// 0.5 on the solar data gave forecasts 500 times too large, at the DDIM form's 0.2 on
    /// electricity 40 times), and such samples are garbage.
    ///
    /// With a `communicator` of several processes, each forecasts its share of the chunks of
    /// `chunkSize` rows (`Communicator.shard(_:)`; row g·samples + s is sample s of window group g,
    /// a group being one window, or window w of every series for a joint model) and the paths
    /// are gathered on every process. Every row draws from streams keyed by its global
    /// index and the chunks are the same as one process's (a batch's arithmetic can depend on
    /// its size, e.g. FFT plans), so the result is one process's result bit for bit.
    public func forecast(_ windows: [WindowLayout.Window], options: ForecastOptions, communicator: any Communicator = SingleProcess()) throws -> [[[Double]]] {
        let layout = configuration.layout
        let l = layout.length, perSeries = layout.channels, c = configuration.channels, n = options.samples, horizon = layout.predictionLength
        try options.validate(diffusionSteps: configuration.diffusionSteps)
        let groups = try jointGroups(windowCount: windows.count)
        let k = configuration.jointSeries
        let rowCount = groups.count * n
        let chunks = communicator.shard((rowCount + options.chunkSize - 1) / options.chunkSize)
        let rows = Swift.min(chunks.lowerBound * options.chunkSize, rowCount)..<Swift.min(chunks.upperBound * options.chunkSize, rowCount)
        let models = noiseModels()
        // This process's rows, each the K paths of its group (series by series) end to end.
        var rowPaths: [[Double]] = []
        let key = RandomKey(seed: options.seed)
        var stackedCache: (group: Int, input: [Float], observed: [Float])? = nil
        for start in stride(from: rows.lowerBound, to: rows.upperBound, by: options.chunkSize) {
            let end = Swift.min(start + options.chunkSize, rows.upperBound)
            let members = Array(start..<end)
            var observed: [Float] = [], mask: [Float] = []
            var levels: [Double] = []
            for r in members {
                let g = r / n
                if stackedCache?.group != g {
                    let (input, stackedMask) = WindowLayout.stacked(groups[g].map { windows[$0] }, channels: perSeries)
                    stackedCache = (g, input, stackedMask)
                }
                observed += stackedCache!.input
                mask += stackedCache!.observed
                levels.append(Double(r % n + 1) / Double(n + 1))
            }
            let shape = [members.count, l, c]
            // A joint window's series share their timestamps: the first one's conditioning.
            let model = models(conditioning(of: members.map { windows[groups[$0 / n][0]] }))
            let noise = Tensor<Float>.randomNormal(shape: shape, key: key.folding(in: 0), sampleOffset: start)
            let samples = guidedSamples(model, observed: Tensor<Float>(shape: shape, scalars: observed), mask: Tensor<Float>(shape: shape, scalars: mask),
                                        levels: levels, from: noise, options: options, key: key.folding(in: 1), sampleOffset: start)
            // Channel 0 of each series over the horizon, scaled back.
            let values = samples.scalars
            for (i, r) in members.enumerated() {
                let group = groups[r / n]
                rowPaths.append((0..<k).flatMap { m in
                    (layout.contextLength..<l).map { Double(values[(i * l + $0) * c + m * perSeries]) * windows[group[m]].scale }
                })
            }
        }
        if communicator.size > 1 {
            // Every process's rows, in row order (the shards are contiguous and in rank order).
            let parts = try communicator.allGather(rowPaths.flatMap { $0 })
            let all = parts.flatMap { $0 }
            let width = k * horizon
            guard all.count == rowCount * width else {
                throw CollectiveError(call: "forecast", reason: "gathered \(all.count / Swift.max(width, 1)) rows of paths, expected \(rowCount)")
            }
            rowPaths = (0..<rowCount).map { r in Array(all[(r * width)..<((r + 1) * width)]) }
        }
        var result = [[[Double]]](repeating: [], count: windows.count)
        let first = communicator.size > 1 ? 0 : rows.lowerBound
        for (i, paths) in rowPaths.enumerated() {
            let group = groups[(first + i) / n]
            for m in 0..<k { result[group[m]].append(Array(paths[(m * horizon)..<((m + 1) * horizon)])) }
        }
        var largest = 0.0
        for (w, paths) in result.enumerated() where !paths.isEmpty {
            let scale = Swift.max(windows[w].context.lazy.filter(\.isFinite).map(Swift.abs).max() ?? 0, windows[w].scale, 1e-10)
            for step in paths[0].indices {
                // The median magnitude over the sample paths: single wild paths are the sampler's
                // tails, a wild median is divergence.
                let magnitudes = paths.map { $0[step].isFinite ? Swift.abs($0[step]) : .infinity }.sorted()
                if paths.allSatisfy({ !$0[step].isFinite }) {
                    throw TimeSeriesError.nonFiniteForecast(window: w, step: step)
                }
                largest = Swift.max(largest, magnitudes[magnitudes.count / 2] / scale)
            }
        }
        if largest > Self.divergenceLimit {
            throw TimeSeriesError.guidanceDiverged(loss: options.loss == .quantile ? "quantile" : "mean-squared", scale: options.scale, largest: largest)
        }
        return result
    }

    /// ``forecast(_:options:communicator:)``, drawn again at half the guidance scale whenever the
    /// guidance diverges (``TimeSeriesError/guidanceDiverged(loss:scale:largest:)``), at most
    /// `retries` times; returns the paths and the scale that gave them. Other errors, and a
    /// divergence after the last retry, are thrown.
    public func forecastHalvingScaleOnDivergence(_ windows: [WindowLayout.Window], options: ForecastOptions, retries: Int = 3,
                                                 communicator: any Communicator = SingleProcess()) throws -> (paths: [[[Double]]], scale: Double) {
        precondition(retries >= 0, "retries must be non-negative")
        var attempt = options
        for remaining in stride(from: retries, through: 0, by: -1) {
            do {
                return (try forecast(windows, options: attempt, communicator: communicator), attempt.scale)
            } catch TimeSeriesError.guidanceDiverged where remaining > 0 {
                attempt.scale /= 2
            }
        }
        fatalError("unreachable: the last attempt returns or throws")
    }

    /// Forecasts and scores the windows starting at `starts` of each series, next to the
    /// seasonal-naive baselines, the windows shared among the `communicator`'s processes. Throws
    /// what ``forecast(_:options:communicator:)`` throws, and, for a joint model, what
    /// ``TSDiffConfiguration/checkJointOrder(of:)`` throws when the series are not the model's in
    /// its order.
    public func evaluate(_ targets: [(series: TimeSeries, starts: [Int])], options: ForecastOptions,
                         communicator: any Communicator = SingleProcess()) throws -> Evaluation {
        try configuration.checkJointOrder(of: targets.map(\.series.name))
        let windows = try configuration.layout.windows(for: targets)
        let series = targets.flatMap { target in target.starts.map { target.series.slice(0..<$0) } }
        let samples = try forecast(windows, options: options, communicator: communicator)
        let truths = windows.map { ($0.future, $0.futureObserved) }
        let metrics = ForecastMetrics.score(samples: samples, truths: truths, histories: series, seasonality: configuration.frequency.seasonality)
        return Evaluation(tsdiff: metrics, samples: samples, windows: windows)
    }
}

/// Forecasts and their scores.
public struct Evaluation {
    public var tsdiff: ForecastMetrics
    public var samples: [[[Double]]]
    public var windows: [WindowLayout.Window]
}
