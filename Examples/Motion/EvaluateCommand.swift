import ArgumentParser
import DiffuseCore
import DiffuseMotion
import DiffuseNN
import DiffuseTensor
import Foundation

/// `motion evaluate`: samples EMDM and the baseline with every sampler for the test split's actions
/// and prints the metric table against real data, with time per sequence.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "FID, diversity, multimodality, accuracy, foot skating and time for real data, EMDM and the baseline's samplers.")

    @Option(help: "Evaluator checkpoint folder (motion train --model classifier).") var evaluator: String
    @Option(help: "EMDM checkpoint folder.") var emdm: String
    @Option(help: "Baseline checkpoint folder (motion train --model mdm).") var baseline: String
    @Option(help: "Generated windows per method (1–5000).") var count: Int = 220
    @Option(help: "Baseline samplers, comma-separated: ddpm-1000, ddpm-100, ddim-50, dpmpp-20, dpmpp-10.") var samplers: String = "ddpm-1000,ddpm-100,ddim-50,dpmpp-20,dpmpp-10"
    @Option(help: "Classifier-free guidance scale (1: conditional model only, as EMDM's action-to-motion protocol).") var guidance: Double = 1
    @Option(help: "Seed of every random draw.") var seed: UInt64 = 1
    @Option(help: "Write the table as JSON to this file.") var json: String?

    func validate() throws {
        guard (1...5000).contains(count) else { throw ValidationError("--count must be 1 to 5000, got \(count)") }
        guard guidance.isFinite, (0...20).contains(guidance) else { throw ValidationError("--guidance must be in 0…20") }
        for s in samplers.split(separator: ",") where BaselineSampler(rawValue: String(s)) == nil {
            throw ValidationError("unknown sampler '\(s)'; known: \(BaselineSampler.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    enum BaselineSampler: String, CaseIterable {
        case ddpm1000 = "ddpm-1000", ddpm100 = "ddpm-100", ddim50 = "ddim-50", dpmpp20 = "dpmpp-20", dpmpp10 = "dpmpp-10"
        /// The sampler and its steps.
        var solver: (BaselineSolver, steps: Int) {
            let parts = rawValue.split(separator: "-")
            return (BaselineSolver(rawValue: String(parts[0]))!, Int(parts[1])!)
        }
    }

    func run() throws {
        let (classifierParameters, evaluatorConfiguration) = try EvaluatorCheckpoint.load(from: URL(fileURLWithPath: evaluator))
        let (emdmParameters, emdmConfiguration) = try EMDMCheckpoint.load(from: URL(fileURLWithPath: emdm))
        let (baselineParameters, baselineConfiguration) = try BaselineCheckpoint.load(from: URL(fileURLWithPath: baseline))
        let frames = evaluatorConfiguration.frames
        guard emdmConfiguration.configuration.generator.frames == frames, baselineConfiguration.configuration.network.frames == frames else {
            throw ValidationError("the evaluator, EMDM and the baseline must use the same window length (\(frames) rows)")
        }
        let classifier = evaluatorConfiguration.classifier
        let normalization = evaluatorConfiguration.normalization
        let test = try MotionWindows.benchmark(frames: frames, test: true, normalization: normalization)
        let train = try MotionWindows.benchmark(frames: frames, test: false, normalization: normalization)
        let key = RandomKey(seed: seed)
        // Labels: `count` draws over the test split's windows; the real reference set is windows of the test split.
        let (realTest, realLabels) = test.batch(size: count, key: key.folding(in: 0))
        let (realTrain, trainLabels) = train.batch(size: count, key: key.folding(in: 1))
        let labels = realLabels

        struct Row: Codable { var method: String; var steps: Int; var fid: Double; var accuracy: Double; var diversity: Double; var multimodality: Double; var footSkating: Double; var footSkatingStandardError: Double; var boneSpread: Double; var speedGap: Double; var msPerSequence: Double; var msPerFrame: Double }
        var rows = [Row]()
        let realEvaluation = classifier.evaluate(realTest, parameters: classifierParameters)
        let realEmbeddings = realEvaluation.embeddings
        var referenceSpeeds = [Int: Double]()
        func measure(_ method: String, steps: Int, windows: Tensor<Float>, labels: [Int], seconds: Double, evaluated: (embeddings: [[Double]], predictions: [Int])? = nil) throws {
            let (e, predictions) = evaluated ?? classifier.evaluate(windows, parameters: classifierParameters)
            var skating = 0.0, spread = 0.0, skatingSquares = 0.0
            var speeds = [Int: [Double]]()
            for (i, rows) in normalization.denormalize(windows: windows).enumerated() {
                let positions = try HumanML3DFeatures.positions(rows)
                let ratio = MotionMetrics.footSkatingRatio(positions)
                skating += ratio
                skatingSquares += ratio * ratio
                spread += MotionMetrics.boneLengthSpread(positions)
                speeds[labels[i], default: []].append(MotionMetrics.rootSpeed(positions))
            }
            if referenceSpeeds.isEmpty { referenceSpeeds = speeds.mapValues { $0.reduce(0, +) / Double($0.count) } }
            // Parameter recovery: per gait action, |mean speed − the real test windows' mean speed| / real, averaged.
            let gaits = MotionAction.allCases.enumerated().filter { $0.element.isGait }.map(\.offset)
            let gaps = gaits.compactMap { a -> Double? in
                guard let real = referenceSpeeds[a], real > 0, let v = speeds[a], !v.isEmpty else { return nil }
                return abs(v.reduce(0, +) / Double(v.count) - real) / real
            }
            let n = Double(windows.shape[0])
            rows.append(Row(method: method, steps: steps, fid: try MotionEvaluation.frechetDistance(e, realEmbeddings),
                            accuracy: MotionEvaluation.accuracy(predictions, labels),
                            diversity: MotionEvaluation.diversity(e, key: key.folding(in: 2)),
                            multimodality: MotionEvaluation.multimodality(e, labels: labels, key: key.folding(in: 3)),
                            footSkating: skating / n, footSkatingStandardError: (max(0, skatingSquares / n - (skating / n) * (skating / n)) / max(1, n - 1)).squareRoot(), boneSpread: spread / n, speedGap: gaps.reduce(0, +) / Double(max(1, gaps.count)), msPerSequence: 1000 * seconds / n, msPerFrame: 1000 * seconds / n / Double(frames)))
            let r = rows.last!
            FileHandle.standardError.write(Data(String(format: "%@: FID %.3f, accuracy %.3f, %.1f ms per sequence\n", method, r.fid, r.accuracy, r.msPerSequence).utf8))
        }
        try measure("real (test-split windows)", steps: 0, windows: realTest, labels: labels, seconds: 0, evaluated: realEvaluation)   // sets the reference speeds
        rows.removeAll()
        try measure("real (train-split windows)", steps: 0, windows: realTrain, labels: trainLabels, seconds: 0)

        let emdmModel = MotionDenoiserModel(network: emdmConfiguration.configuration.generator, parameters: emdmParameters)
        let emdmSchedule = emdmConfiguration.configuration.schedule
        let t = emdmConfiguration.configuration.steps
        var start = Date()
        let emdmSamples = emdmModel.sample(labels: labels, frames: frames, grid: .discrete(emdmSchedule, steps: t, spacing: .linspace), sampler: DDPMSampler<Tensor<Float>>(),
                                           guidance: guidance, key: key.folding(in: 10)).samples
        try measure("EMDM (DDGAN posterior)", steps: t, windows: emdmSamples, labels: labels, seconds: Date().timeIntervalSince(start))

        let baselineModel = MotionDenoiserModel(network: baselineConfiguration.configuration.network, parameters: baselineParameters)
        let schedule = baselineConfiguration.configuration.schedule
        for name in samplers.split(separator: ",") {
            let sampler = BaselineSampler(rawValue: String(name))!
            start = Date()
            let (solver, steps) = sampler.solver
            let samples = solver.sample(baselineModel, schedule: schedule, steps: min(steps, schedule.trainingSteps), labels: labels, frames: frames, guidance: guidance, key: key.folding(in: 11))
            try measure("baseline \(sampler.rawValue)", steps: steps, windows: samples, labels: labels, seconds: Date().timeIntervalSince(start))
        }

        print("| method | steps | FID ↓ | accuracy ↑ | diversity → | multimodality → | foot skating ↓ (± s.e.) | bone spread (m) ↓ | speed gap ↓ | ms / sequence | ms / frame |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for r in rows {
            print(String(format: "| %@ | %d | %.3f | %.3f | %.3f | %.3f | %.4f ± %.4f | %.4f | %.3f | %.1f | %.3f |", r.method, r.steps, r.fid, r.accuracy, r.diversity, r.multimodality, r.footSkating, r.footSkatingStandardError, r.boneSpread, r.speedGap, r.msPerSequence, r.msPerFrame))
        }
        print("\(count) windows of \(frames) rows per method, guidance \(guidance), seed \(seed); FID and diversity in the evaluator's embedding against \(count) test-split windows; speed gap: per gait action, |mean root speed − the test windows' mean| / the test windows' mean, averaged")
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(try encoder.encode(rows), to: URL(fileURLWithPath: json))
        }
    }
}
