import ArgumentParser
import DiffuseCore
import DiffusePlot
import DiffuseSequences
import DiffuseTensor
import Foundation

/// `design-sequences design` (the default): reward-guided design of DNA with a trained masked
/// model, every method at the same number of model calls per returned sequence.
///
/// Budget: SVDD-PM with M candidates evaluates, per step and sequence, M candidate rows and M
/// clean estimates (2M rows); SMC and Feynman–Kac steering with M particles do the same (one
/// propagation and one estimate per particle); best-of-N gets N = 2M candidates. The table
/// reports the model and reward calls each method actually made.
struct DesignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "design",
        abstract: "Design DNA with a motif reward: every guidance method at equal model calls, with rewards, naturalness and diversity.")

    enum Method: String, ExpressibleByArgument, CaseIterable {
        case pretrained, bestOfN = "best-of-n", svddPM = "svdd-pm", smc, fkSteering = "fk-steering"
    }
    enum Reward: String, ExpressibleByArgument, CaseIterable {
        case tata, gc
    }

    @Option(help: "Task: dna (molecules are not bundled yet).")
    var task: String = "dna"
    @Option(name: .customLong("method"), help: "Methods to run (repeatable): \(Method.allCases.map(\.rawValue).joined(separator: ", ")). Default: all.")
    var methods: [Method] = []
    @Option(help: "Reward: tata (best TBP MA0108.3 log-odds score over both strands, bits) or gc (−|GC − 0.6|·100).")
    var reward: Reward = .tata
    @Option(help: "Candidates per step for SVDD-PM and particles per sequence for SMC and FK steering (M); best-of-N uses 2M.")
    var particles = 8
    @Option(help: "Sequences designed per method.")
    var samples = 64
    @Option(help: "Sampling steps.")
    var steps = 64
    @Option(help: "Temperature α of SMC and FK steering (their target is p(x)·exp(r/α)).")
    var temperature = 0.5
    @Option(help: "Checkpoint folder (default: the bundled dm3 model).")
    var model: String?
    @Option(help: "FASTA the model was trained on, for naturalness and 3-mer statistics (default: the bundled dm3 windows).")
    var data: String?
    @Option(help: "Seed of every draw.")
    var seed: UInt64 = 0
    @Option(help: "Output folder: designs per method (FASTA), results.json, reward_distributions.svg, reward_vs_naturalness.svg.")
    var out: String = "design-output"
    @Flag(help: "Print the table as JSON.")
    var json = false

    struct Row: Codable {
        var method: String
        var modelCallsPerSequence: Double
        var rewardCallsPerSequence: Double
        var medianReward: Double
        var top10PercentReward: Double
        /// Mean log₂-likelihood per base under the 6-mer Markov model of the training split.
        var naturalness: Double
        var threeMerCorrelation: Double
        var diversity: Double
        var seconds: Double
    }

    func validate() throws {
        guard task == "dna" else { throw ValidationError("--task \(task): only dna has a bundled model and data so far") }
        guard (1...256).contains(particles) else { throw ValidationError("--particles must be in 1…256") }
        guard (1...100_000).contains(samples) else { throw ValidationError("--samples must be in 1…100 000") }
        guard (1...10_000).contains(steps) else { throw ValidationError("--steps must be in 1…10 000") }
        guard temperature > 0 && temperature.isFinite else { throw ValidationError("--temperature must be positive") }
    }

    func rewardFunction() throws -> (TokenBatch) -> [Double] {
        switch reward {
        case .tata:
            guard let tbp = try JASPARFile.read(SequenceData.bundledMotifs).first(where: { $0.identifier == "MA0108.3" }) else {
                throw ValidationFailure("\(SequenceData.bundledMotifs.path): no MA0108.3 (TBP)")
            }
            let motif = MotifReward(motifs: [PositionWeightMatrix(tbp)])
            return { motif($0) }
        case .gc:
            return { batch in (0..<batch.sampleCount).map { -Swift.abs(gcContent(Array(batch[sample: $0])) - 0.6) * 100 } }
        }
    }

    func run() throws {
        let folder = URL(fileURLWithPath: out)
        try AtomicFile.createFolder(at: folder)
        let trained = try SequenceModel.load(from: model.map { URL(fileURLWithPath: $0) } ?? SequenceData.bundledDNAModel)
        guard trained.configuration.process == .masked else { throw ValidationFailure("design needs a masked-diffusion model; this one is \(trained.configuration.process.rawValue)") }
        let (train, heldOut) = SequenceData.split(try SequenceData.dna(data.map { URL(fileURLWithPath: $0) } ?? SequenceData.bundledDNA))
        let markov = KmerMarkovModel(order: 6, fittedOn: train)
        let score = try rewardFunction()
        let length = trained.configuration.length
        let sampler = MaskedDiffusionSampler(model: trained.denoiser, schedule: LogLinearMasking(), steps: steps)
        let kernel = MaskedDiffusionKernel(sampler: sampler)
        let start = TokenBatch.masked(count: samples, length: length, vocabularySize: DNAVocabulary.size)
        let key = RandomKey(seed: seed)
        let m = particles
        var rows: [Row] = []
        var designs: [(Method, [[Int]], [Double], [Double])] = []
        for method in (methods.isEmpty ? Method.allCases : methods) {
            FileHandle.standardError.write(Data("\(method.rawValue)…\n".utf8))
            var progress = ProgressLine(label: "  step")
            let observer: SamplingObserver<TokenBatch> = { event in progress.update(event.index + 1, of: steps) }
            let t0 = Date()
            let result: SampleResult<TokenBatch>
            switch method {
            case .pretrained:
                result = DiffuseCore.sample(sampler, from: start, key: key, observer: observer)
            case .bestOfN:
                result = ParticleGuidance.bestOfN(kernel, from: start, candidates: 2 * m, key: key, observer: observer, reward: score)
            case .svddPM:
                result = ParticleGuidance.svdd(kernel, from: start, candidates: m, key: key, observer: observer, reward: score)
            case .smc:
                result = ParticleGuidance.smc(kernel, from: start, particles: m, temperature: temperature, key: key, observer: observer, reward: score)
            case .fkSteering:
                result = ParticleGuidance.feynmanKac(kernel, from: start, particles: m, temperature: temperature, potential: .max,
                                                     trigger: .every(max(1, steps / 16)), key: key, observer: observer, reward: score)
            }
            let seconds = Date().timeIntervalSince(t0)
            let sequences = (0..<result.samples.sampleCount).map { Array(result.samples[sample: $0]) }
            let rewards = score(result.samples)
            let naturalness = sequences.map { markov.logLikelihood($0) / Double(length) }
            rows.append(Row(method: method.rawValue, modelCallsPerSequence: result.statistics.sampleEvaluations,
                            rewardCallsPerSequence: result.statistics.rewardEvaluations,
                            medianReward: SequenceMetrics.quantile(rewards, 0.5), top10PercentReward: SequenceMetrics.quantile(rewards, 0.9),
                            naturalness: naturalness.reduce(0, +) / Double(naturalness.count),
                            threeMerCorrelation: SequenceMetrics.threeMerCorrelation(sequences, heldOut),
                            diversity: SequenceMetrics.meanPairwiseHamming(sequences), seconds: seconds))
            designs.append((method, sequences, rewards, naturalness))
            try FASTAFile.write(sequences.enumerated().map { FASTAFile.Record(name: "\(method.rawValue)_\($0.offset)_reward_\(fixed(rewards[$0.offset], 2))", tokens: $0.element) },
                                to: folder.appendingPathComponent("\(method.rawValue).fa"))
        }
        let realRewards = score(DNAVocabulary.batch(heldOut))
        let realNaturalness = heldOut.map { markov.logLikelihood($0) / Double(length) }
        try writePlots(designs, realRewards: realRewards, realNaturalness: realNaturalness, to: folder)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let text = String(decoding: try encoder.encode(rows), as: UTF8.self)
        try AtomicFile.write(text, to: folder.appendingPathComponent("results.json"))
        if json { print(text); return }
        print("\(samples) designs of \(length) bases per method, \(steps) steps, M = \(m), reward \(reward.rawValue); held-back real sequences: median reward \(fixed(SequenceMetrics.quantile(realRewards, 0.5), 2)), naturalness \(fixed(realNaturalness.reduce(0, +) / Double(realNaturalness.count), 4)) bits/base")
        print("method        model calls  reward calls  median  top 10%  naturalness  3-mer r  diversity  seconds")
        for r in rows {
            print(r.method.padding(toLength: 13, withPad: " ", startingAt: 0)
                  + String(format: " %11.0f  %12.0f  %6.2f  %7.2f  %11.4f  %7.3f  %9.3f  %7.1f", r.modelCallsPerSequence, r.rewardCallsPerSequence,
                           r.medianReward, r.top10PercentReward, r.naturalness, r.threeMerCorrelation, r.diversity, r.seconds))
        }
        print("Wrote \(folder.path): one FASTA per method, results.json, reward_distributions.svg, reward_vs_naturalness.svg")
    }

    static let colors = ["#7f7f7f", "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]

    /// The empirical distribution of the rewards per method, and reward against naturalness.
    func writePlots(_ designs: [(Method, [[Int]], [Double], [Double])], realRewards: [Double], realNaturalness: [Double], to folder: URL) throws {
        var cdf = SVGPlot(title: "Reward distribution per method (\(reward.rawValue))", xLabel: "reward", yLabel: "fraction of designs ≤ reward")
        var scatter = SVGPlot(title: "Reward against naturalness (6-mer Markov log₂-likelihood per base)", xLabel: "naturalness (bits/base)", yLabel: "reward")
        func curve(_ values: [Double]) -> (x: [Double], y: [Double]) {
            let sorted = values.sorted()
            return (sorted, sorted.indices.map { Double($0 + 1) / Double(sorted.count) })
        }
        let real = curve(realRewards)
        cdf.line(x: real.x, y: real.y, color: "#000000", label: "held-back real", dashed: true)
        scatter.scatter(x: realNaturalness, y: realRewards, color: "#bbbbbb", radius: 1, label: "held-back real")
        for (i, (method, _, rewards, naturalness)) in designs.enumerated() {
            let color = Self.colors[(i + 1) % Self.colors.count]
            let c = curve(rewards)
            cdf.line(x: c.x, y: c.y, color: color, label: method.rawValue)
            scatter.scatter(x: naturalness, y: rewards, color: color, radius: 2, label: method.rawValue)
        }
        try AtomicFile.write(cdf.render(), to: folder.appendingPathComponent("reward_distributions.svg"))
        try AtomicFile.write(scatter.render(), to: folder.appendingPathComponent("reward_vs_naturalness.svg"))
    }
}
