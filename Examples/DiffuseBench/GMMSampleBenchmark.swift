import ArgumentParser
import DiffuseCore
import DiffuseTensor
import Foundation

/// `diffuse-bench gmm-sample`: sampling a Gaussian mixture through its exact score with any
/// registered solver, timed, with the sliced Wasserstein-2 distance to exact samples.
struct GMMSampleBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gmm-sample",
        abstract: "Sample a Gaussian mixture with its exact score through a registered solver (linear-β DDPM schedule, diffusers' default grid per solver).")

    @Option(name: .long, help: "Component means, a K×d float64 .npy file (default: 8 means in d = 32 drawn N(0, 4I) from seed 0).")
    var means: String?

    @Option(name: .long, help: "Isotropic standard deviation of every component (equal weights).")
    var std = 0.5

    @Option(name: .long, help: "Solver: any identifier of the sampler registry (\(SamplerRegistry.identifiers.joined(separator: ", "))).")
    var solver = "dpmpp-2m"

    @Option(name: .long, help: "Number of steps (default: the solver's reference setting).")
    var steps: Int?

    @Option(name: .long, help: "Number of samples.")
    var count = 4096

    @Option(name: .long, help: "Random seed.")
    var seed: UInt64 = 0

    @Option(name: .long, help: "Write the samples (float32 .npy).")
    var out: String?

    @Option(name: .long, help: "Write the grid actually used (times, alphas, sigmas) as JSON.")
    var gridOut: String?

    @Option(name: .long, help: "Write the component means used (float64 .npy), e.g. for the diffusers reference script.")
    var meansOut: String?

    @Option(name: .long, help: "Also report the sliced W2 of these samples (an .npy from another implementation).")
    var compare: String?

    @Option(name: .long, help: "Timed repetitions (median reported).")
    var repeats = 5

    @Option(name: .long, help: "Threads of Diffuse's parallel loops (default: all cores).")
    var threads: Int?

    @Flag(name: .long, help: "Print the results as one JSON object.")
    var json = false

    /// Reference timings (diffusers 0.42 + PyTorch 2.15 CPU, exact score in torch, d = 32,
    /// K = 8, std 0.5, 4096 samples) on the project's Intel reference machine, in seconds.
    static let reference: [String: (steps: Int, seconds: Double)] = [
        "dpmpp-2m": (20, 0.030), "ddim": (50, 0.064), "euler": (50, 0.078), "ddpm": (1000, 1.94),
    ]

    /// The diffusers grid and step count each sampler is compared on (the reference setting of
    /// diffusers' scheduler of the same method); samplers not listed use DPM-Solver's grid and 20
    /// steps, the adaptive ones one uniform interval.
    static let settings: [String: (grid: DiffusersScheduler, steps: Int)] = [
        "ddpm": (.ddpm, 1000), "ddpm-large": (.ddpm, 1000), "euler-maruyama": (.ddpm, 1000), "ddim": (.ddim, 50), "ddim-eta0.5": (.ddim, 50),
        "ddim-eta1.0": (.ddim, 50), "euler": (.euler, 50), "heun": (.heun, 25), "dpmpp-2m-sde": (.dpmSolver, 50), "dpmpp-1m-sde": (.dpmSolver, 50),
        "unipc-bh2-2": (.uniPC, 20),
    ]

    struct Report: Codable {
        var solver: String
        var steps: Int
        var count: Int
        var dimension: Int
        var components: Int
        var seconds: Double
        var functionEvaluations: Int
        var slicedW2: Double
        var slicedW2BetweenExactSampleSets: Double
        var comparedSlicedW2: Double?
        var referenceSeconds: Double?
        var speedupOverReference: Double?
        var scoreEvaluationSeconds: Double
    }

    func validate() throws {
        try checkRange("--count", count, 1...10_000_000)
        try checkRange("--steps", steps, 1...1000)
        try checkRange("--repeats", repeats, 1...1000)
        try checkRange("--threads", threads, 1...1024)
        guard std > 0, std.isFinite else { throw ValidationError("--std must be finite and positive (got \(std))") }
    }

    func run() throws {
        let schedule = DiscreteVPSchedule(trainingSteps: 1000, betaSchedule: .linear(start: 1e-4, end: 0.02))
        guard let sampler = SamplerRegistry.sampler(named: solver, for: Tensor<Float>.self, schedule: schedule) else {
            throw ValidationError("unknown solver '\(solver)'; choose one of \(SamplerRegistry.identifiers.joined(separator: ", "))")
        }
        guard count > 0 else { throw ValidationError("--count must be positive") }
        guard std > 0 else { throw ValidationError("--std must be positive") }
        let meanMatrix: Tensor<Double>
        if let path = means {
            meanMatrix = try NumPyFile.readTensor(URL(fileURLWithPath: path), as: Double.self)
            guard meanMatrix.rank == 2, meanMatrix.count > 0 else { throw ValidationError("\(path): means must be a non-empty K×d array, got shape \(meanMatrix.shape)") }
            guard meanMatrix.isFinite else { throw ValidationError("\(path): means contain NaN or infinity") }
        } else {
            meanMatrix = Tensor<Double>.randomNormal(shape: [8, 32], key: RandomKey(seed: 0)) * 2
        }
        if let threads {
            guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads)") }
            Parallel.threadCount = threads
        }
        let mixture = GaussianMixture(means: meanMatrix, standardDeviation: std)
        let model = mixture.exactModel(as: Float.self)
        let d = mixture.dimension
        let setting = Self.settings[solver] ?? (.dpmSolver, sampler.isAdaptive ? 1 : 20)
        let stepCount = steps ?? setting.steps
        guard stepCount >= 1 && stepCount <= 1000 else { throw ValidationError("--steps must be in 1...1000") }
        let grid: TimeGrid = sampler.isAdaptive
            ? .uniform(schedule, steps: stepCount, from: 999, to: 0, appendingClean: false)
            : .diffusers(schedule, scheduler: setting.grid, steps: stepCount)
        let key = RandomKey(seed: seed)
        let start = Tensor<Float>.randomNormal(shape: [count, d], key: key.folding(in: 1)) * Float(grid.points[0].sigma)
        var result: SampleResult<Tensor<Float>>!
        let seconds = medianTime(repeats: repeats, warmup: 1) {
            result = sample(model, from: start, grid: grid, using: sampler, key: key.folding(in: 2))
        }
        let scoreSeconds = secondsPerCall(minimumSeconds: 0.2) { _ = model.predict(start, at: grid.points[1]) }
        // Accuracy: sliced W2 to exact samples (and, for scale, between two exact sample sets).
        let exact = try mixture.sample(count: count, key: key.folding(in: 3)).samples
        let exact2 = try mixture.sample(count: count, key: key.folding(in: 4)).samples
        let samples = Tensor<Double>(result.samples)
        let directions = 256
        let sw2 = slicedWasserstein2(samples, exact, directions: directions, key: key.folding(in: 5))
        let noise = slicedWasserstein2(exact2, exact, directions: directions, key: key.folding(in: 5))
        var compared: Double? = nil
        if let path = compare {
            let other = try NumPyFile.readTensor(URL(fileURLWithPath: path), as: Double.self)
            guard other.shape == [count, d] else { throw ValidationError("\(path): expected shape [\(count), \(d)], got \(other.shape)") }
            compared = slicedWasserstein2(other, exact, directions: directions, key: key.folding(in: 5))
        }
        if let path = out { try NumPyFile.write(result.samples, to: URL(fileURLWithPath: path)) }
        if let path = meansOut { try NumPyFile.write(meanMatrix, to: URL(fileURLWithPath: path)) }
        if let path = gridOut {
            struct GridFile: Codable { var times: [Double]; var alphas: [Double]; var sigmas: [Double]; var edmSigmas: [Double] }
            let file = GridFile(times: grid.times, alphas: grid.points.map(\.alpha), sigmas: grid.points.map(\.sigma), edmSigmas: grid.edmSigmas)
            try AtomicFile.write(jsonText(file), to: URL(fileURLWithPath: path))
        }
        let reference = Self.reference[solver].flatMap { $0.steps == stepCount && count == 4096 && d == 32 && mixture.components.count == 8 ? $0.seconds : nil }
        let report = Report(solver: solver, steps: stepCount, count: count, dimension: d, components: mixture.components.count,
                            seconds: seconds, functionEvaluations: result.statistics.functionEvaluations, slicedW2: sw2,
                            slicedW2BetweenExactSampleSets: noise, comparedSlicedW2: compared, referenceSeconds: reference,
                            speedupOverReference: reference.map { $0 / seconds }, scoreEvaluationSeconds: scoreSeconds)
        if json {
            print(jsonText(report))
            return
        }
        print("Workload: \(count) samples of a \(mixture.components.count)-component mixture in d = \(d) (std \(std)), exact score, Float32")
        print("Solver \(solver), \(stepCount) steps on diffusers' default grid: \(fixed(seconds * 1e3, 2)) ms (median of \(repeats)), NFE \(result.statistics.functionEvaluations)")
        print("One exact-score evaluation of the batch: \(fixed(scoreSeconds * 1e3, 3)) ms (reference 3.1 ms)")
        print("Sliced W2 to exact samples: \(fixed(sw2, 4)) (two exact sample sets: \(fixed(noise, 4)))" + (compared.map { "; compared file: \(fixed($0, 4))" } ?? ""))
        if let reference {
            print("Reference (diffusers 0.42 + PyTorch 2.15 CPU, Intel machine): \(fixed(reference * 1e3, 1)) ms → \(fixed(reference / seconds, 2))× faster")
        } else {
            print("No reference timing for this configuration.")
        }
    }

    /// Sliced Wasserstein-2: the root of the mean over random unit directions of the squared
    /// W2 between the sorted one-dimensional projections (equal sample sizes).
    private func slicedWasserstein2(_ a: Tensor<Double>, _ b: Tensor<Double>, directions: Int, key: RandomKey) -> Double {
        let d = a.shape[1]
        var theta = Tensor<Double>.randomNormal(shape: [directions, d], key: key)
        theta = theta / theta.squared().sum(alongAxis: 1, keepingDimension: true).squareRoot()
        let pa = matmul(a, theta.transposed()), pb = matmul(b, theta.transposed())
        var total = 0.0
        for j in 0..<directions {
            let x = pa.selecting(axis: 1, index: j).scalars.sorted(), y = pb.selecting(axis: 1, index: j).scalars.sorted()
            total += zip(x, y).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(x.count)
        }
        return (total / Double(directions)).squareRoot()
    }
}
