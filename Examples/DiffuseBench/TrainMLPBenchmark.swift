import ArgumentParser
import DiffuseNN
import DiffuseTensor
import Foundation

/// `diffuse-bench train-mlp`: training steps per second of the ε-network of the reference
/// benchmark.
struct TrainMLPBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-mlp",
        abstract: "Training steps/s of a DDPM ε-MLP (d = 32, 128-dim time embedding, 3×512 SiLU, batch 512, Adam).")

    @Flag(name: .long, help: "Print the results as one JSON object.")
    var json = false

    @Option(name: .long, help: "Timed steps per run.")
    var steps = 40

    @Option(name: .long, help: "Number of timed runs (the median is reported).")
    var runs = 5

    @Option(name: .long, help: "Batch size.")
    var batch = 512

    /// The reference, PyTorch 2.15 CPU with MKL on the project's Intel machine (2 threads, quiet).
    static let pytorchEager = 88.0, pytorchFusedAdam = 108.0, pytorchCompile = 99.0
    /// One step is about 1.9 GFLOP; at the measured 2-core sgemm peak of that machine (~280
    /// GFLOP/s) no implementation exceeds ~147 steps/s.
    static let physicalBound = 147.0

    struct Report: Codable {
        var workload: String
        var blasKernel: String
        var stepsPerSecond: Double
        var secondsPerStep: Double
        var blasShare: Double
        var finalLoss: Double
        var ratioToPyTorchBest: Double
        var ratioToPhysicalBound: Double
        var gflopPerStep: Double
        var achievedGFLOPS: Double
    }

    func validate() throws {
        try checkRange("--steps", steps, 1...1_000_000)
        try checkRange("--runs", runs, 1...1000)
        try checkRange("--batch", batch, 1...65_536)
    }

    func run() throws {
        let dimension = 32, embeddingSize = 128, hidden = 512, trainingSteps = 1000
        let model = MLP(name: "net", sizes: [dimension + embeddingSize, hidden, hidden, hidden, dimension], activation: .silu)
        var parameters: ParameterSet<Float> = model.makeParameters(key: RandomKey(seed: 0))
        let optimizer = Adam<Float>()
        var state = optimizer.makeState(for: parameters)
        // Linear β from 1e-4 to 0.02 over 1000 steps; ᾱ_t = Π(1 − β).
        var alphaBar = [Double](repeating: 0, count: trainingSteps)
        var product = 1.0
        for t in 0..<trainingSteps {
            product *= 1 - (1e-4 + (0.02 - 1e-4) * Double(t) / Double(trainingSteps - 1))
            alphaBar[t] = product
        }
        let embeddingTable: Tensor<Float> = SinusoidalTimeEmbedding(dimension: embeddingSize)((0..<trainingSteps).map(Double.init))
        let data = Tensor<Float>.randomNormal(shape: [8192, dimension], key: RandomKey(seed: 1)) * 0.5 + 1
        var step = 0
        var lastLoss: Float = 0

        func trainingStep() {
            let key = RandomKey(seed: 2).folding(in: step)
            var stream = RandomStream(key: key)
            let rows = (0..<batch).map { _ in stream.integer(below: data.shape[0]) }
            let times = (0..<batch).map { _ in stream.integer(below: trainingSteps) }
            let x0 = data.indexSelect(alongAxis: 0, indices: rows)
            let noise = Tensor<Float>.randomNormal(shape: [batch, dimension], key: key.folding(in: 1))
            let signal = Tensor<Float>(shape: [batch, 1], scalars: times.map { Float(alphaBar[$0].squareRoot()) })
            let noiseScale = Tensor<Float>(shape: [batch, 1], scalars: times.map { Float((1 - alphaBar[$0]).squareRoot()) })
            let xt = x0 * signal + noise * noiseScale
            let input = Tensor.concatenate([xt, embeddingTable.indexSelect(alongAxis: 0, indices: times)], alongAxis: 1)
            let (loss, gradients) = parameters.valueAndGradients { Loss.meanSquaredError(model(Variable(input), $0), noise) }
            optimizer.update(&parameters, gradients: gradients, state: &state, learningRate: 1e-3)
            lastLoss = loss
            step += 1
        }

        for _ in 0..<10 { trainingStep() }
        var rates: [Double] = []
        var shares: [Double] = []
        for _ in 0..<runs {
            BLAS.resetTiming()
            BLAS.isTimingEnabled = true
            let t0 = monotonicSeconds()
            for _ in 0..<steps { trainingStep() }
            let elapsed = monotonicSeconds() - t0
            BLAS.isTimingEnabled = false
            rates.append(Double(steps) / elapsed)
            shares.append(BLAS.timeInBLAS.seconds / elapsed)
        }
        let order = rates.indices.sorted { rates[$0] < rates[$1] }
        let median = order[order.count / 2]
        let rate = rates[median]
        let flops = 2.0 * Double(batch) * Double(parameters.scalarCount) * 3 - 2.0 * Double(batch) * Double(dimension + embeddingSize) * Double(hidden)
        let report = Report(
            workload: "ε-MLP \(dimension)+\(embeddingSize)→\(hidden)×3→\(dimension), SiLU, batch \(batch), MSE, Adam 1e-3, Float32",
            blasKernel: BLAS.diagnostics.kernel, stepsPerSecond: rate, secondsPerStep: 1 / rate, blasShare: shares[median],
            finalLoss: Double(lastLoss), ratioToPyTorchBest: rate / Self.pytorchFusedAdam, ratioToPhysicalBound: rate / Self.physicalBound,
            gflopPerStep: flops / 1e9, achievedGFLOPS: flops * rate / 1e9)
        if json {
            print(jsonText(report))
            return
        }
        print("Workload: \(report.workload)")
        print("BLAS: \(BLAS.diagnostics)")
        print("Steps/s: \(fixed(rate, 1)) (median of \(runs) runs × \(steps) steps; \(fixed(1000 / rate, 2)) ms per step), loss \(fixed(report.finalLoss, 4))")
        print("BLAS share of the step: \(fixed(100 * report.blasShare, 1))%; \(fixed(report.gflopPerStep, 2)) GFLOP per step, \(fixed(report.achievedGFLOPS, 1)) GFLOP/s achieved")
        print("Reference (PyTorch 2.15 CPU, MKL, 2 threads, Intel AVX-512 machine): eager \(Int(Self.pytorchEager)), fused Adam \(Int(Self.pytorchFusedAdam)), torch.compile \(Int(Self.pytorchCompile)) steps/s")
        print("Ratio to PyTorch's best: \(fixed(report.ratioToPyTorchBest, 2)); to that machine's physical bound (\(Int(Self.physicalBound)) steps/s): \(fixed(report.ratioToPhysicalBound, 2))")
    }
}
