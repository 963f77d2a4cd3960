import DiffuseCore
import DiffuseNN
import DiffusePlot
import DiffuseTensor
import Foundation

/// Hallucination by mode interpolation (Aithal, Maini, Lipton & Kolter, "Understanding
/// hallucinations in diffusion models through mode interpolation", 2024): a network trained on a
/// mixture of well-separated Gaussians (linear β 0.001 → 0.2, T = 1000, ε-prediction; DDPM with
/// fixed-large variance) produces samples between modes, which the exact score does not; such
/// samples have a high variance of the predicted clean sample x̂₀ over the last 10 reverse steps,
/// so a variance filter removes them.
///
/// Two layouts of the paper: 1-D modes 1, 2, 3 with σ = 0.05 (unnormalised, 20k training
/// samples) and the 2-D 25-mode grid 2·(i, j), i, j ∈ −2…2, σ = 0.05, everything divided by
/// √(0.05² + 8) (100k training samples). Training samples are assigned to modes round-robin.
///
/// A sample is a hallucination when its distance to the nearest mode exceeds 6σ (the exact score
/// puts no sample there: the probability is below 10⁻⁸). The filter is evaluated at the paper's
/// in-support retention (96%): the threshold keeps 96% of in-support samples and the check
/// reports the share of hallucinations above it. In 2-D the variance is the mean of the
/// per-coordinate variances, as in the reference.
///
/// The full checks train as the paper (10,000 epochs at batch 10,000, Adam at a constant 10⁻³:
/// 20,000 steps in 1-D, 100,000 in 2-D, about 1.5 hours on 2 cores); quick checks train 8,000
/// cosine-decayed steps of 512. The 2-D check is left out of the quick suite: short trainings do
/// not resolve the grid's narrow modes (σ = 0.0177, below the noise of the last DDPM steps).
///
/// Limitation: in 2-D the filter does not reach the paper's figure here, even at the paper's
/// training budget (72–83% of hallucinations removed at 96% retention over four sampling seeds;
/// 81–89% after 20,000 further cosine-decayed steps; in docs/Theory.md): about 4% of in-support
/// samples, under the exact score too, still choose between neighbouring modes in the last steps
/// and have x̂₀ variances like the hallucinations'.
public struct HallucinationCheck: TheoryCheck {
    /// Where the mixture's modes lie.
    public enum Layout: Sendable, Equatable {
        /// 1-D modes at the given positions, per-mode standard deviation σ, not normalised.
        case line([Double])
        /// The 5 × 5 grid 2·(i, j), i, j ∈ −2…2, per-mode σ, divided by √(σ² + 8).
        case grid
    }

    /// The learning-rate schedules the check offers.
    public enum LearningRateDecay: String, CaseIterable, Sendable {
        /// The rate of ``learningRate`` at every step (the reference's training).
        case constant
        /// A half-cosine decay from ``learningRate`` to 0 at the last step.
        case cosine
    }

    public var layout: Layout
    public var standardDeviation = 0.05
    public var trainingSamples: Int
    /// Training steps, batch size, Adam learning rate and its schedule; nil takes the default of
    /// the effort and layout (``trainingPlan(effort:)``).
    public var trainingSteps: Int? = nil
    public var trainingBatchSize: Int? = nil
    public var learningRate: Double? = nil
    public var learningRateDecay: LearningRateDecay? = nil
    /// Called after every training step with the steps done, the steps in all and the mean loss
    /// of the last 100 steps (for a progress display; training at the paper's budget takes hours).
    public var trainingProgress: ((_ stepsDone: Int, _ totalSteps: Int, _ runningLoss: Double) -> Void)? = nil
    /// How training draws the step: uniformly, as the paper. For short 2-D trainings ⌊T·u³⌋
    /// (`.powerSteps(exponent: 3)`) spends the budget on the low-noise steps where the grid's
    /// narrow modes are resolved (with T = 1000 and β up to 0.2, only the first ~20 steps have
    /// noise below the mode spacing): at 4 000 steps of 512, 3.5% of samples lie beyond 6σ
    /// instead of 66%.
    public var timeSampling: TimeSampling = .uniformSteps
    /// Where to save the trained network (a `Checkpoint` folder with a ``SavedNetwork``
    /// configuration); nil saves nothing.
    public var modelFolder: URL? = nil
    /// A network saved by an earlier run of this check (``modelFolder``) to evaluate instead of
    /// training one; the setup column then states how that network was trained.
    public var trainedModel: URL? = nil
    /// A network saved by an earlier run to continue training from, by the plan of the effort
    /// (a fresh Adam state), instead of a new initialisation; ignored when ``trainedModel`` is set.
    public var initialModel: URL? = nil

    /// The configuration saved next to a trained network's weights: its shape and how it was
    /// trained.
    public struct SavedNetwork: Codable, Equatable, Sendable {
        /// The check that trained it (``name``): a network of one layout cannot serve another.
        public var check: String
        /// The network's width, depth and data dimension.
        public var network: ToyDenoiser.Configuration
        /// The training as the setup column states it.
        public var training: String
        /// The seed of the run that trained it (data, initialisation and batches).
        public var seed: UInt64
    }
    /// Samples drawn from the exact score and from the network (default: 20 000 quick, enough for
    /// about 6–20 hallucinations of the quick 1-D network to filter; full
    /// 100 000, about the reference's size + 2 500 in 2-D).
    public var samples: Int? = nil

    /// How the network is trained.
    public struct TrainingPlan: Equatable, Sendable {
        public var steps: Int
        public var batchSize: Int
        public var learningRate: Double
        public var decay: LearningRateDecay

        /// The rate at every step: ``learningRate`` throughout, or decaying to 0 at ``steps``.
        public var learningRateSchedule: LearningRateSchedule {
            decay == .constant ? .constant(learningRate) : .cosine(rate: learningRate, totalSteps: steps)
        }
    }

    /// The training with every unset option at its default. The full checks train as the
    /// reference's `run.sh` does: 10 000 epochs at batch 10 000 with Adam at a constant 10⁻³, which
    /// is 20 000 steps for the 20 000 1-D samples and 100 000 steps for the 100 000 2-D samples
    /// (about 1.5 hours on 2 cores). Quick checks train 8 000 steps of 512 at 3·10⁻³ decaying
    /// along a half cosine, which settles the network within that budget. Half as many steps
    /// leave a 1-D network whose hallucinations the filter separates badly: with 10 000 samples,
    /// seeds 0–3 removed 91%, 88%, 83% and 71% at 4 000 steps, against 97.7–100% at 8 000 steps
    /// with 100 000 samples (2026-11-28).
    public func trainingPlan(effort: CheckEffort) -> TrainingPlan {
        let reference = effort == .full
        return TrainingPlan(steps: trainingSteps ?? (reference ? (layout == .grid ? 100_000 : 20_000) : 8000),
                            batchSize: trainingBatchSize ?? (reference ? 10_000 : 512),
                            learningRate: learningRate ?? (reference ? 1e-3 : 3e-3),
                            decay: learningRateDecay ?? (reference ? .constant : .cosine))
    }

    public var name: String { layout == .grid ? "hallucination-2d" : "hallucination" }
    public var runsInQuickSuite: Bool { layout != .grid }
    public var summary: String {
        "mode interpolation of a trained \(layout == .grid ? "2-D (25-mode grid)" : "1-D") diffusion model against the exact score; the trajectory-variance filter"
    }

    /// The paper's 1-D setup (modes 1, 2, 3; 20k training samples) or 2-D grid (100k).
    public init(layout: Layout = .line([1, 2, 3])) {
        self.layout = layout
        trainingSamples = layout == .grid ? 100_000 : 20_000
    }

    var timeSamplingText: String {
        switch timeSampling {
        case .powerSteps(let p): return "steps ⌊T·u^\(format(p, 1))⌋"
        default: return "uniform steps"
        }
    }

    /// The modes `[K, d]` and the per-mode standard deviation after normalisation.
    var modes: (means: Tensor<Double>, standardDeviation: Double) {
        switch layout {
        case .line(let positions):
            return (Tensor(shape: [positions.count, 1], scalars: positions), standardDeviation)
        case .grid:
            let scale = (standardDeviation * standardDeviation + 8).squareRoot()
            var points: [Double] = []
            for i in -2...2 {
                for j in -2...2 { points += [2 * Double(i) / scale, 2 * Double(j) / scale] }
            }
            return (Tensor(shape: [25, 2], scalars: points), standardDeviation / scale)
        }
    }

    struct Sampled {
        /// Samples `[count, d]` row-major.
        var values: [Double]
        /// Mean per-coordinate variance of x̂₀ over the last 10 steps, per sample.
        var variances: [Double]
    }

    /// Samples with the DDPM sampler and the x̂₀ variance over the last 10 steps.
    static func draw<M: PredictionModel>(_ model: M, schedule: DiscreteVPSchedule, count: Int, dimension d: Int, key: RandomKey) -> Sampled
    where M.Value == Tensor<Float> {
        let grid = TimeGrid.diffusers(schedule, scheduler: .ddpm, steps: schedule.trainingSteps)
        var history: [[Float]] = []
        let noise = Tensor<Float>.randomNormal(shape: [count, d], key: key.folding(in: 0))
        let result = sample(model, from: noise, grid: grid, using: DDPMSampler(variance: .fixedLarge), key: key.folding(in: 1)) { event in
            if event.index >= event.stepCount - 10, let denoised = event.denoised { history.append(denoised.scalars) }
        }
        let variances = (0..<count).map { i -> Double in
            var total = 0.0
            for c in 0..<d {
                let v = history.map { Double($0[i * d + c]) }
                let m = v.reduce(0, +) / Double(v.count)
                total += v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count)
            }
            return total / Double(d)
        }
        return Sampled(values: result.samples.scalars.map(Double.init), variances: variances)
    }

    public func run(effort: CheckEffort, seed: UInt64) throws -> TheoryCheckReport {
        let key = RandomKey(seed: seed)
        let schedule = DiscreteVPSchedule(trainingSteps: 1000, betaSchedule: .linear(start: 0.001, end: 0.2))
        let (means, sigma) = modes
        let (k, d) = (means.shape[0], means.shape[1])
        let meanRows = (0..<k).map { Array(means.scalars[($0 * d)..<($0 * d + d)]) }
        let mixture = GaussianMixture(means: means, standardDeviation: sigma)
        let count = samples ?? (effort == .quick ? 20_000 : 100_000)
        func distances(_ values: [Double]) -> [Double] {
            (0..<(values.count / d)).map { i in
                meanRows.map { m in (0..<d).reduce(0.0) { $0 + (values[i * d + $1] - m[$1]) * (values[i * d + $1] - m[$1]) }.squareRoot() }.min()! / sigma
            }
        }
        let layoutText = layout == .grid ? "5×5 grid 2(i,j)/√(σ²+8), σ = \(format(sigma, 4))" : "modes \(meanRows.map { format($0[0], 0) }.joined(separator: ",")), σ = \(format(sigma, 2))"

        // Exact score.
        let (exact, exactSeconds) = timed { Self.draw(mixture.exactModel(as: Float.self), schedule: schedule, count: count, dimension: d, key: key.folding(in: 1)) }
        let exactDistances = distances(exact.values)
        let exactRate = Double(exactDistances.filter { $0 > 6 }.count) / Double(count)

        // Trained network on round-robin data (drawn only when the network is trained here).
        func trainingData() -> Tensor<Float> {
            Tensor<Float>(shape: [trainingSamples, d], scalars: (0..<trainingSamples).flatMap { i -> [Float] in
                var stream = RandomStream(key: key.folding(in: 2).folding(in: i))
                return meanRows[i % k].map { Float($0 + sigma * stream.normal(Double.self)) }
            })
        }
        let (network, parameters, trainingText, trainingSeconds) = try trainedNetwork(dimension: d, trainingData: trainingData, schedule: schedule, effort: effort,
                                                                                      key: key.folding(in: 3), seed: seed)
        let (trained, sampleSeconds) = timed { Self.draw(network.model(parameters, schedule: schedule), schedule: schedule, count: count, dimension: d, key: key.folding(in: 4)) }
        let trainedDistances = distances(trained.values)
        let flags = trainedDistances.map { $0 > 6 }
        let trainedRate = Double(flags.filter { $0 }.count) / Double(count)

        var results = [
            TheoryCheckResult(check: name, claim: "the exact score does not interpolate between modes", source: "Aithal et al. 2024, §4; exact mixture score",
                              setup: "\(layoutText), linear β 0.001→0.2, T = 1000, DDPM fixed-large, \(count) samples",
                              expected: "share beyond 6σ of every mode ≈ 0 (≤ 5e-4)", measured: format(exactRate, 5), pass: exactRate <= 5e-4, seconds: exactSeconds),
            TheoryCheckResult(check: name, claim: "a trained network hallucinates by interpolating between nearby modes", source: "Aithal et al. 2024, Figs. 1–3",
                              setup: "width-\(network.width) MLP, \(network.depth) shared residual blocks, \(trainingText)",
                              expected: "share beyond 6σ > exact score's", measured: format(trainedRate, 5), pass: trainedRate > exactRate, seconds: trainingSeconds + sampleSeconds),
        ]

        // The variance filter at 96% in-support retention.
        let inSupport = zip(trained.variances, flags).filter { !$0.1 }.map(\.0).sorted()
        let hallucinated = zip(trained.variances, flags).filter { $0.1 }.map(\.0)
        var threshold: Double?
        /// The variance below which 96% of `sorted` lies.
        func retentionCut(_ sorted: [Double]) -> Double { sorted[Swift.min(sorted.count - 1, Int(0.96 * Double(sorted.count)))] }
        if !inSupport.isEmpty && !hallucinated.isEmpty {
            let cut = retentionCut(inSupport)
            threshold = cut
            let removed = Double(hallucinated.filter { $0 > cut }.count) / Double(hallucinated.count)
            // The same percentile under the exact score: how much of the in-support tail the
            // schedule itself makes (samples still choosing a mode in the last steps).
            let exactCut = retentionCut(exact.variances.sorted())
            // The other way round: the in-support share kept by the threshold that removes 95% of
            // the hallucinations (the variance above which 95% of them lie).
            let sortedHallucinated = hallucinated.sorted()
            let cutFor95 = sortedHallucinated[Int(0.05 * Double(sortedHallucinated.count))]
            let keptFor95 = Double(inSupport.prefix { $0 < cutFor95 }.count) / Double(inSupport.count)
            results.append(TheoryCheckResult(
                check: name, claim: "the variance of x̂₀ over the last 10 steps separates hallucinations", source: "Aithal et al. 2024, §5 (>95% removed, 96% of in-support kept)",
                setup: "threshold \(format(cut, 6)) keeping 96% of the \(inSupport.count) in-support samples (median \(format(inSupport[inSupport.count / 2], 6))); \(hallucinated.count) hallucinations (median \(format(sortedHallucinated[sortedHallucinated.count / 2], 6))); exact score's 96th percentile \(format(exactCut, 6)); removing 95% of the hallucinations would keep \(format(100 * keptFor95, 1))% of in-support samples",
                expected: "≥ 90% of hallucinations removed (paper: > 95%)", measured: "\(format(100 * removed, 1))% removed",
                pass: removed >= 0.9, seconds: 0))
        } else {
            results.append(TheoryCheckResult(check: name, claim: "the variance of x̂₀ over the last 10 steps separates hallucinations", source: "Aithal et al. 2024, §5",
                                              setup: "\(hallucinated.count) hallucinations", expected: "some hallucinations to filter", measured: "none to filter", pass: false))
        }
        return TheoryCheckReport(results: results, figures: [
            samplesFigure(exact: exact.values, trained: trained.values, flags: flags, dimension: d),
            varianceFigure(distances: trainedDistances, variances: trained.variances, threshold: threshold),
        ], dataFiles: [
            samplesFile(exact: exact, trained: trained, distances: (exactDistances, trainedDistances), dimension: d),
        ])
    }

    /// Every sample of both samplers, one row each: `source` (exact or network), the
    /// coordinates, the distance to the nearest mode in σ, and the x̂₀ variance of the filter.
    func samplesFile(exact: Sampled, trained: Sampled, distances: (exact: [Double], trained: [Double]), dimension d: Int) -> TheoryDataFile {
        let coordinates = d == 1 ? "x" : (1...d).map { "x\($0)" }.joined(separator: ",")
        var lines = ["source,\(coordinates),distance_sigma,variance"]
        for (source, sampled, distance) in [("exact", exact, distances.exact), ("network", trained, distances.trained)] {
            for i in distance.indices {
                let point = (0..<d).map { String(format: "%.6g", sampled.values[i * d + $0]) }.joined(separator: ",")
                lines.append("\(source),\(point),\(String(format: "%.4f", distance[i])),\(String(format: "%.6g", sampled.variances[i]))")
            }
        }
        return TheoryDataFile(name: "\(name)-samples", csv: lines.joined(separator: "\n") + "\n")
    }

    /// The network to evaluate: loaded from ``trainedModel``, or trained by the plan of `effort`
    /// on `trainingData()`, from ``initialModel`` when set (and saved to ``modelFolder``); with a
    /// description of its training and the seconds spent.
    func trainedNetwork(dimension d: Int, trainingData: () -> Tensor<Float>, schedule: DiscreteVPSchedule, effort: CheckEffort, key: RandomKey,
                        seed: UInt64) throws -> (ToyDenoiser, ParameterSet<Float>, String, Double) {
        if let folder = trainedModel {
            let (network, parameters, saved) = try savedNetwork(at: folder, dimension: d, key: key)
            return (network, parameters, "loaded from \(folder.lastPathComponent): \(saved.training)", 0)
        }
        let start = try initialModel.map { try savedNetwork(at: $0, dimension: d, key: key) }
        let network = start?.network ?? ToyDenoiser(dimension: d)
        let plan = trainingPlan(effort: effort)
        let steps = plan.steps
        let progress = trainingProgress.map { report in { (done: Int, loss: Double) in report(done, steps, loss) } }
        let data = trainingData()
        let ((parameters, finalLoss), seconds) = try timed {
            try network.train(on: data, schedule: schedule, steps: steps, batchSize: plan.batchSize, learningRate: plan.learningRateSchedule,
                              timeSampling: timeSampling, key: key, from: start?.parameters, progress: progress)
        }
        var origin = ""
        if let folder = initialModel, let start { origin = "continued from \(folder.lastPathComponent) (\(start.saved.training)) for " }
        let training = origin + "\(trainingSamples) samples, \(steps) Adam steps of \(plan.batchSize) at lr \(plan.learningRate) (\(plan.decay == .cosine ? "cosine decay" : "constant")), \(timeSamplingText), seed \(seed) (final loss \(format(finalLoss)))"
        if let modelFolder {
            try Checkpoint.save(parameters: parameters, configuration: SavedNetwork(check: name, network: network.configuration, training: training, seed: seed),
                                to: modelFolder)
        }
        return (network, parameters, training, seconds)
    }

    /// The network saved in `folder` by an earlier run of this check, its parameters checked
    /// against the network's layout; throws ``SafeTensorsError`` naming the folder otherwise.
    func savedNetwork(at folder: URL, dimension d: Int, key: RandomKey) throws -> (network: ToyDenoiser, parameters: ParameterSet<Float>, saved: SavedNetwork) {
        let (parameters, saved) = try Checkpoint.load(from: folder, as: Float.self, configuration: SavedNetwork.self) { saved in
            guard saved.check == name && saved.network.dimension == d else {
                throw SafeTensorsError(path: folder.path, reason: "holds a network of '\(saved.check)' (dimension \(saved.network.dimension)), not of '\(name)' (dimension \(d))")
            }
            guard (2...4096).contains(saved.network.width), saved.network.width % 2 == 0 else {
                throw SafeTensorsError(path: folder.appendingPathComponent("config.json").path, reason: "field 'network.width' = \(saved.network.width) must be even, in 2…4096")
            }
            guard (1...64).contains(saved.network.depth) else {
                throw SafeTensorsError(path: folder.appendingPathComponent("config.json").path, reason: "field 'network.depth' = \(saved.network.depth) must be in 1…64")
            }
        }
        let network = ToyDenoiser(saved.network)
        if let mismatch = parameters.firstMismatch(against: network.makeParameters(key: key)) {
            throw SafeTensorsError(path: folder.path, reason: mismatch)
        }
        return (network, parameters, saved)
    }

    /// 1-D: histograms (log counts) of exact and trained samples; 2-D: the samples, with
    /// hallucinations marked.
    func samplesFigure(exact: [Double], trained: [Double], flags: [Bool], dimension d: Int) -> TheoryFigure {
        if d == 1 {
            var plot = SVGPlot(title: "Samples: trained network against exact score (counts per bin, log scale)", xLabel: "x", yLabel: "count + 1")
            plot.logY = true
            let low = (exact + trained).min()! - 0.1, high = (exact + trained).max()! + 0.1
            let width = (high - low) / 200
            let centers = (0..<200).map { low + (Double($0) + 0.5) * width }
            func counts(_ v: [Double]) -> [Double] {
                var c = [Double](repeating: 1, count: centers.count)
                for x in v { c[Swift.min(centers.count - 1, Swift.max(0, Int((x - low) / width)))] += 1 }
                return c
            }
            plot.line(x: centers, y: counts(exact), color: "#2ca02c", label: "exact score")
            plot.line(x: centers, y: counts(trained), color: "#d62728", label: "trained network")
            return TheoryFigure(name: "\(name)-histogram", svg: plot.render())
        }
        var plot = SVGPlot(title: "Samples of the trained network (red: beyond 6σ of every mode) and of the exact score", xLabel: "x₁", yLabel: "x₂", width: 560, height: 560)
        func scatter(_ v: [Double], rows: [Int], color: String, radius: Double, label: String) {
            plot.scatter(x: rows.map { v[$0 * d] }, y: rows.map { v[$0 * d + 1] }, color: color, radius: radius, label: label)
        }
        // The in-support series are thinned; every sample beyond 6σ is drawn.
        let exactShown = Self.thinned(Array(0..<(exact.count / d)))
        let inSupport = Self.thinned(flags.indices.filter { !flags[$0] })
        scatter(exact, rows: exactShown.indices, color: "#2ca02c", radius: 0.8, label: "exact score" + exactShown.legend)
        scatter(trained, rows: inSupport.indices, color: "#1f77b4", radius: 0.8, label: "trained, in support" + inSupport.legend)
        scatter(trained, rows: flags.indices.filter { flags[$0] }, color: "#d62728", radius: 1.5, label: "trained, hallucination")
        return TheoryFigure(name: "\(name)-samples", svg: plot.render())
    }

    /// Every k-th of `indices`, with k the smallest that leaves at most about 5 000 (a scatter of
    /// 100 000 points makes a 15 MB SVG); k and a legend suffix saying so.
    static func thinned(_ indices: [Int]) -> (indices: [Int], stride: Int, legend: String) {
        let k = Swift.max(1, indices.count / 5000)
        return (Swift.stride(from: 0, to: indices.count, by: k).map { indices[$0] }, k, k > 1 ? " (every \(ordinal(k)))" : "")
    }

    /// `2nd`, `11th`, `21st`…
    static func ordinal(_ k: Int) -> String {
        let suffix = k % 100 / 10 == 1 ? "th" : [1: "st", 2: "nd", 3: "rd"][k % 10] ?? "th"
        return "\(k)\(suffix)"
    }

    /// The x̂₀ variance of each trained sample against its distance to the nearest mode, with the
    /// filter's threshold.
    func varianceFigure(distances: [Double], variances: [Double], threshold: Double?) -> TheoryFigure {
        var plot = SVGPlot(title: "Variance of x̂₀ over the last 10 steps against the distance to the nearest mode", xLabel: "distance / σ", yLabel: "variance")
        plot.logY = true
        let floor = variances.filter { $0 > 0 }.min() ?? 1e-12
        // In-support points are thinned; every sample beyond 6σ is drawn.
        let inSupport = Self.thinned(distances.indices.filter { distances[$0] <= 6 })
        let shown = inSupport.indices + distances.indices.filter { distances[$0] > 6 }
        let label = inSupport.stride > 1 ? "samples (every \(Self.ordinal(inSupport.stride)) within 6σ)" : "samples"
        plot.scatter(x: shown.map { distances[$0] }, y: shown.map { Swift.max(variances[$0], floor) }, color: "#1f77b4", radius: 1, label: label)
        plot.verticalLine(at: 6)
        if let threshold, let maximum = distances.max() {
            plot.line(x: [0, maximum], y: [threshold, threshold], color: "#d62728", label: "filter threshold (96% in-support kept)", dashed: true)
        }
        return TheoryFigure(name: "\(name)-variance", svg: plot.render())
    }
}
