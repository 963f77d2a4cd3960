import ArgumentParser
import DiffuseCore
import DiffusePlot
import DiffuseSequences
import DiffuseTensor
import Foundation

/// `design-sequences design` (the default): reward-guided design of DNA or molecules with a
/// trained masked model, every method at about the same number of model calls per returned
/// sequence.
///
/// Budget: SVDD-PM with M candidates evaluates, per step and sequence, the M clean estimates of
/// its candidates; its M copies of the particle are one row, already evaluated as the estimate of
/// the chosen candidate (the network's rows are independent and the sampler caches row by row):
/// about M·T rows. SMC and Feynman–Kac steering with M particles evaluate one row per particle and
/// step (resampled particles are copies of estimated ones); best-of-N gets N = M candidates; beam
/// search keeps 2 beams of M/2 expansions each. The table reports the model and reward calls each
/// method actually made.
struct DesignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "design",
        abstract: "Design DNA with a motif reward: every guidance method at equal model calls, with rewards, naturalness and diversity.")

    enum Method: String, ExpressibleByArgument, CaseIterable {
        case pretrained, bestOfN = "best-of-n", svddPM = "svdd-pm", smc, fkSteering = "fk-steering", beamSearch = "beam-search", svddMC = "svdd-mc"
    }
    enum Reward: String, ExpressibleByArgument, CaseIterable {
        case tata, tataSummed = "tata-summed", gc, qed
    }
    enum Task: String, ExpressibleByArgument { case dna, molecules }
    enum Unmasking: String, ExpressibleByArgument, CaseIterable { case ancestral, confident }

    @Option(help: "dna (bundled dm3 model) or molecules (bundled MOSES model).")
    var task: Task = .dna
    @Option(name: .customLong("method"), help: "Methods to run (repeatable): \(Method.allCases.map(\.rawValue).joined(separator: ", ")). Default: all.")
    var methods: [Method] = []
    @Option(help: "Reward: tata (best TBP MA0108.3 log-odds score over both strands, bits; at most 11.86), tata-summed (log₂ of the summed likelihood ratios of all windows on both strands) or gc (−|GC − 0.6|·100) for DNA; qed (the five-term QED of MolecularDescriptors, 0 for an invalid molecule) for molecules. Default: tata or qed.")
    var reward: Reward?
    @Option(help: "Candidates per step for SVDD-PM, particles per sequence for SMC and FK steering, candidates of best-of-N (M).")
    var particles = 8
    @Option(help: "Sequences designed per method.")
    var samples = 64
    @Option(name: .customLong("steps"), help: "Sampling steps (default: 64 for DNA, 256 for molecules).")
    var sampleSteps: Int?
    @Option(help: "Which masked positions a step unmasks: ancestral (MDLM: uniformly at random, the reverse process) or confident (as many, those whose drawn token is most probable plus annealed Gumbel noise; MaskGIT's order). Default: ancestral for DNA, confident for molecules.")
    var unmasking: Unmasking?
    @Option(help: "Scale c of the Gumbel noise added to the confidences of --unmasking confident (c·t at time t; 0: none). Default: 0.6 for molecules, else 0.")
    var confidenceNoise: Double?
    @Option(help: "Temperature of the token draws: p(x₀ | x_t)^(1/τ); below 1 sharpens.")
    var tokenTemperature = 1.0
    @Option(help: "SVDD's selection temperature α: candidates drawn with probabilities softmax(v/α); 0 takes the best (the reference code's choice).")
    var svddTemperature = 0.0
    @Option(help: "Rollouts of the pretrained model on which SVDD-MC's value network is fitted.")
    var valueRollouts = 256
    @Option(help: "Temperature α of SMC and FK steering (their target is p(x)·exp(r/α)).")
    var temperature = 0.5
    @Option(help: "Checkpoint folder (default: the bundled dm3 model).")
    var model: String?
    @Option(help: "The data the model was trained on: FASTA for naturalness and 3-mer statistics, or SMILES for novelty (default: the bundled files).")
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
        /// DNA: mean log₂-likelihood per base under the 6-mer Markov model of the training split.
        var naturalness: Double?
        var threeMerCorrelation: Double?
        /// DNA: mean pairwise Hamming share; molecules: internal diversity (1 − mean Tanimoto).
        var diversity: Double
        /// Molecules: validity, uniqueness and novelty (MoleculeMetrics).
        var validity: Double?
        var uniqueness: Double?
        var novelty: Double?
        var seconds: Double
    }

    var chosenReward: Reward { reward ?? (task == .dna ? .tata : .qed) }
    var chosenUnmasking: Unmasking { unmasking ?? (task == .dna ? .ancestral : .confident) }
    var chosenConfidenceNoise: Double { confidenceNoise ?? (task == .dna ? 0 : 0.6) }
    var steps: Int { sampleSteps ?? (task == .dna ? 64 : 256) }

    func validate() throws {
        if let reward, (task == .dna) != (reward != .qed) { throw ValidationError("--reward \(reward.rawValue) does not apply to --task \(task.rawValue)") }
        guard (1...256).contains(particles) else { throw ValidationError("--particles must be in 1…256") }
        guard (1...100_000).contains(samples) else { throw ValidationError("--samples must be in 1…100 000") }
        guard (1...10_000).contains(steps) else { throw ValidationError("--steps must be in 1…10 000") }
        guard temperature > 0 && temperature.isFinite else { throw ValidationError("--temperature must be positive") }
        if confidenceNoise != nil && chosenUnmasking != .confident {
            throw ValidationError("--confidence-noise applies to --unmasking confident only (this run unmasks \(chosenUnmasking.rawValue))")
        }
        guard chosenConfidenceNoise >= 0 && chosenConfidenceNoise <= 1000 else { throw ValidationError("--confidence-noise must be in 0…1000") }
        guard tokenTemperature >= 0.01 && tokenTemperature <= 100 else { throw ValidationError("--token-temperature must be in 0.01…100") }
        guard svddTemperature >= 0 && svddTemperature.isFinite else { throw ValidationError("--svdd-temperature must be finite and non-negative") }
        guard (2...100_000).contains(valueRollouts) else { throw ValidationError("--value-rollouts must be in 2…100 000") }
        // Particles of every design are in memory at once: bound their number, not only each factor.
        guard samples * particles <= 1_000_000 else { throw ValidationError("--samples × --particles must be at most 1 000 000 (got \(samples) × \(particles))") }
        if methods.isEmpty || methods.contains(.beamSearch) {
            guard particles % 2 == 0 else { throw ValidationError("--particles must be even for beam-search (2 beams of M/2 expansions)") }
        }
    }

    func rewardFunction(vocabulary: SMILESVocabulary?) throws -> (TokenBatch) -> [Double] {
        switch chosenReward {
        case .tata, .tataSummed:
            guard let tbp = try JASPARFile.read(SequenceData.bundledMotifs).first(where: { $0.identifier == "MA0108.3" }) else {
                throw ValidationFailure("\(SequenceData.bundledMotifs.path): no MA0108.3 (TBP)")
            }
            let motif = MotifReward(motifs: [PositionWeightMatrix(tbp)], aggregate: chosenReward == .tata ? .best : .summed)
            return { motif($0) }
        case .gc:
            return { batch in (0..<batch.sampleCount).map { -Swift.abs(gcContent(Array(batch[sample: $0])) - 0.6) * 100 } }
        case .qed:
            guard let vocabulary else { throw ValidationFailure("the qed reward needs a molecule model with a SMILES vocabulary") }
            return { batch in
                (0..<batch.sampleCount).map { i in
                    vocabulary.decode(Array(batch[sample: i])).flatMap { try? Molecule(smiles: $0) }.map { MolecularDescriptors($0).quantitativeDrugLikeness } ?? 0
                }
            }
        }
    }

    func run() throws {
        let folder = URL(fileURLWithPath: out)
        try AtomicFile.createFolder(at: folder)
        let defaultModel = task == .dna ? SequenceData.bundledDNAModel : SequenceData.bundledMoleculeModel
        let trained = try SequenceModel.load(from: model.map { URL(fileURLWithPath: $0) } ?? defaultModel)
        guard trained.configuration.process == .masked else { throw ValidationFailure("design needs a masked-diffusion model; this one is \(trained.configuration.process.rawValue)") }
        let vocabulary = trained.configuration.vocabulary
        guard (task == .molecules) == (vocabulary != nil) else { throw ValidationFailure("--task \(task.rawValue) with a model \(vocabulary == nil ? "without" : "with") a SMILES vocabulary") }
        let dataURL = data.map { URL(fileURLWithPath: $0) } ?? (task == .dna ? SequenceData.bundledDNA : SequenceData.bundledMolecules)
        var dna: (train: [[Int]], heldOut: [[Int]], markov: KmerMarkovModel)? = nil
        var trainingSMILES = Set<String>()
        switch task {
        case .dna:
            let (train, heldOut) = try SequenceData.split(try SequenceData.dna(dataURL))
            dna = (train, heldOut, KmerMarkovModel(order: 6, fittedOn: train))
        case .molecules:
            let smiles = try SequenceData.molecules(dataURL).smiles
            trainingSMILES = Set(smiles.enumerated().filter { $0.offset % 10 != 9 }.map(\.element))
        }
        let score = try rewardFunction(vocabulary: vocabulary)
        let length = trained.configuration.length
        let sampler = MaskedDiffusionSampler(model: trained.denoiser, schedule: LogLinearMasking(), steps: steps,
                                             unmasking: chosenUnmasking == .confident ? .confident(noise: chosenConfidenceNoise) : .ancestral, temperature: tokenTemperature)
        let kernel = MaskedDiffusionKernel(sampler: sampler)
        let start = TokenBatch.masked(count: samples, length: length, vocabularySize: trained.configuration.network.vocabularySize)
        let key = RandomKey(seed: seed)
        let m = particles
        var rows: [Row] = []
        var designs: [(method: Method, rewards: [Double], naturalness: [Double])] = []
        var valueNote: String? = nil
        for method in (methods.isEmpty ? Method.allCases : methods) {
            FileHandle.standardError.write(Data("\(method.rawValue)…\n".utf8))
            let progress = ProgressLine(label: "  step")
            let observer: SamplingObserver<TokenBatch> = { event in progress.update(event.index + 1, of: steps) }
            let t0 = Date()
            let result: SampleResult<TokenBatch>
            switch method {
            case .pretrained:
                result = DiffuseCore.sample(sampler, from: start, key: key, observer: observer)
            case .bestOfN:
                result = ParticleGuidance.bestOfN(kernel, from: start, candidates: m, key: key, observer: observer, reward: score)
            case .svddPM:
                result = ParticleGuidance.svdd(kernel, from: start, candidates: m, temperature: svddTemperature, key: key, observer: observer, reward: score)
            case .smc:
                result = ParticleGuidance.smc(kernel, from: start, particles: m, temperature: temperature, key: key, observer: observer, reward: score)
            case .fkSteering:
                result = ParticleGuidance.feynmanKac(kernel, from: start, particles: m, temperature: temperature, potential: .max,
                                                     trigger: .every(max(1, steps / 16)), key: key, observer: observer, reward: score)
            case .svddMC:
                // The value network is fitted once on rollouts of the pretrained model (their
                // cost is printed, not added to the per-sequence calls).
                FileHandle.standardError.write(Data("  fitting the value network on \(valueRollouts) rollouts…\n".utf8))
                let fitted = ValueNetwork(vocabularySize: trained.configuration.network.vocabularySize)
                    .fit(sampler: sampler, length: length, reward: score, rollouts: valueRollouts, key: key.folding(in: 99))
                valueNote = "svdd-mc: value network fitted on \(fitted.rolloutCount) rollouts (\(fitted.rolloutCalls) network calls on their batch), final standardised squared error \(fixed(fitted.finalLoss, 3))"
                result = ParticleGuidance.svdd(kernel, from: start, candidates: m, temperature: svddTemperature, value: fitted.value, key: key, observer: observer, reward: score)
            case .beamSearch:
                result = ParticleGuidance.beamSearch(kernel, from: start, beams: 2, expansions: max(1, m / 2), key: key, observer: observer, reward: score)
            }
            let seconds = Date().timeIntervalSince(t0)
            let sequences = (0..<result.samples.sampleCount).map { Array(result.samples[sample: $0]) }
            let rewards = score(result.samples)
            var row = Row(method: method.rawValue, modelCallsPerSequence: result.statistics.sampleEvaluations,
                          rewardCallsPerSequence: result.statistics.rewardEvaluations,
                          medianReward: SequenceMetrics.quantile(rewards, 0.5), top10PercentReward: SequenceMetrics.quantile(rewards, 0.9),
                          diversity: 0, seconds: seconds)
            var naturalness: [Double] = []
            if let dna {
                naturalness = sequences.map { dna.markov.logLikelihood($0) / Double(length) }
                row.naturalness = naturalness.reduce(0, +) / Double(naturalness.count)
                row.threeMerCorrelation = SequenceMetrics.threeMerCorrelation(sequences, dna.heldOut)
                row.diversity = SequenceMetrics.meanPairwiseHamming(sequences)
                try FASTAFile.write(sequences.enumerated().map { FASTAFile.Record(name: "\(method.rawValue)_\($0.offset)_reward_\(fixed(rewards[$0.offset], 2))", tokens: $0.element) },
                                    to: folder.appendingPathComponent("\(method.rawValue).fa"))
            } else if let vocabulary {
                // A sequence with tokens after padding is no molecule ("" is invalid).
                let smiles = sequences.map { vocabulary.decode($0) ?? "" }
                let metrics = MoleculeMetrics(smiles, training: trainingSMILES)
                row.validity = metrics.validity
                row.uniqueness = metrics.uniqueness
                row.novelty = metrics.novelty
                row.diversity = metrics.internalDiversity
                let lines = zip(smiles, rewards).map { "\($0.0.isEmpty ? "<empty>" : $0.0)\t\(fixed($0.1, 4))" }
                try AtomicFile.write(lines.joined(separator: "\n") + "\n", to: folder.appendingPathComponent("\(method.rawValue).smi"))
            }
            rows.append(row)
            designs.append((method, rewards, naturalness))
        }
        var realRewards: [Double] = [], realNaturalness: [Double] = []
        if let dna {
            realRewards = score(DNAVocabulary.batch(dna.heldOut))
            realNaturalness = dna.heldOut.map { dna.markov.logLikelihood($0) / Double(length) }
        }
        try writePlots(designs, realRewards: realRewards, realNaturalness: realNaturalness, to: folder)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let text = String(decoding: try encoder.encode(rows), as: UTF8.self)
        try AtomicFile.write(text, to: folder.appendingPathComponent("results.json"))
        if json { print(text); return }
        print("\(samples) designs of \(length) tokens per method, \(steps) steps, M = \(m), reward \(chosenReward.rawValue), seed \(seed), SVDD α = \(svddTemperature), \(chosenUnmasking.rawValue) unmasking\(chosenUnmasking == .confident ? " (noise \(chosenConfidenceNoise))" : ""), token temperature \(tokenTemperature)")
        if dna != nil {
            print("held-back real sequences: median reward \(fixed(SequenceMetrics.quantile(realRewards, 0.5), 2)), naturalness \(fixed(realNaturalness.reduce(0, +) / Double(realNaturalness.count), 4)) bits/base")
            print("method        model calls  reward calls  median  top 10%  naturalness  3-mer r  diversity  seconds")
            for r in rows {
                print(r.method.padding(toLength: 13, withPad: " ", startingAt: 0)
                      + String(format: " %11.0f  %12.0f  %6.2f  %7.2f  %11.4f  %7.3f  %9.3f  %7.1f", r.modelCallsPerSequence, r.rewardCallsPerSequence,
                               r.medianReward, r.top10PercentReward, r.naturalness ?? .nan, r.threeMerCorrelation ?? .nan, r.diversity, r.seconds))
            }
        } else {
            print("method        model calls  reward calls  median  top 10%  validity  uniqueness  novelty  diversity  seconds")
            for r in rows {
                print(r.method.padding(toLength: 13, withPad: " ", startingAt: 0)
                      + String(format: " %11.0f  %12.0f  %6.3f  %7.3f  %8.3f  %10.3f  %7.3f  %9.3f  %7.1f", r.modelCallsPerSequence, r.rewardCallsPerSequence,
                               r.medianReward, r.top10PercentReward, r.validity ?? .nan, r.uniqueness ?? .nan, r.novelty ?? .nan, r.diversity, r.seconds))
            }
        }
        if let valueNote { print(valueNote) }
        print("Wrote \(folder.path): designs per method (\(dna != nil ? "FASTA" : "SMILES")), results.json, reward_distributions.svg\(dna != nil ? ", reward_vs_naturalness.svg" : "")")
    }

    static let colors = ["#7f7f7f", "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]

    /// The empirical distribution of the rewards per method, and (DNA) reward against naturalness.
    func writePlots(_ designs: [(method: Method, rewards: [Double], naturalness: [Double])], realRewards: [Double], realNaturalness: [Double], to folder: URL) throws {
        var cdf = SVGPlot(title: "Reward distribution per method (\(chosenReward.rawValue))", xLabel: "reward", yLabel: "fraction of designs ≤ reward")
        var scatter = SVGPlot(title: "Reward against naturalness (6-mer Markov log₂-likelihood per base)", xLabel: "naturalness (bits/base)", yLabel: "reward")
        func curve(_ values: [Double]) -> (x: [Double], y: [Double]) {
            let sorted = values.sorted()
            return (sorted, sorted.indices.map { Double($0 + 1) / Double(sorted.count) })
        }
        if !realRewards.isEmpty {
            let real = curve(realRewards)
            cdf.line(x: real.x, y: real.y, color: "#000000", label: "held-back real", dashed: true)
            scatter.scatter(x: realNaturalness, y: realRewards, color: "#bbbbbb", radius: 1, label: "held-back real")
        }
        for (i, design) in designs.enumerated() {
            let color = Self.colors[(i + 1) % Self.colors.count]
            let c = curve(design.rewards)
            cdf.line(x: c.x, y: c.y, color: color, label: design.method.rawValue)
            if !design.naturalness.isEmpty { scatter.scatter(x: design.naturalness, y: design.rewards, color: color, radius: 2, label: design.method.rawValue) }
        }
        try AtomicFile.write(cdf.render(), to: folder.appendingPathComponent("reward_distributions.svg"))
        if !realNaturalness.isEmpty { try AtomicFile.write(scatter.render(), to: folder.appendingPathComponent("reward_vs_naturalness.svg")) }
    }
}
