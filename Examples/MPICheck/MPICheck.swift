import DiffuseCore
import DiffuseDistributed
import DiffuseNN
import DiffuseSequences
import DiffuseTensor
import DiffuseTheory
import DiffuseTimeSeries
import Foundation

/// `diffuse-mpi-check SCENARIO`: the checks of DiffuseDistributed that need several processes,
/// run by the test suite as `mpirun -np 2 diffuse-mpi-check SCENARIO`. Every process compares
/// what the processes computed together with what one process computes alone (in-process, with
/// `SingleProcess`), prints `PASS <what>` or `FAIL <what>: <why>` lines, and exits with status 1
/// on any failure. Scenarios: collectives, sampling, training, timeout.
/// Forwards to MPI and records what the library sent: the number of all-reduces and all-gathers,
/// and the last value of the first large all-reduce (a trainer's local loss, which travels at the
/// end of the gradient buffer) — so a test can tell that a trainer sharded its batch and reduced,
/// rather than computing the whole batch on every process.
final class RecordingCommunicator: Communicator {
    let base: MPICommunicator
    var allReduces = 0, allGathers = 0
    var firstLocalLoss: Double?
    init(_ base: MPICommunicator) { self.base = base }
    var rank: Int { base.rank }
    var size: Int { base.size }
    func barrier() throws { try base.barrier() }
    func allReduceSum<S: TensorScalar>(_ values: inout [S]) throws {
        allReduces += 1
        if firstLocalLoss == nil && values.count > 100 { firstLocalLoss = Double(values.last!) }
        try base.allReduceSum(&values)
    }
    func broadcast<S: TensorScalar>(_ values: inout [S], from root: Int) throws { try base.broadcast(&values, from: root) }
    func allGather<S: TensorScalar>(_ values: [S]) throws -> [[S]] { allGathers += 1; return try base.allGather(values) }
    func abort(exitCode: Int32) -> Never { base.abort(exitCode: exitCode) }

    /// Checks that there were `steps` reductions at least and that the processes' first local
    /// losses differ (each computed other rows).
    func expectShardedTraining(steps: Int, _ what: String) throws {
        let losses = try base.allGather([firstLocalLoss ?? .nan])
        MPICheck.expect(allReduces >= steps && Set(losses.map { $0[0] }).count == size,
                        "\(what): every step reduced (\(allReduces) all-reduces) and the processes computed different rows (local losses \(losses.map { $0[0] }))",
                        "all-reduces \(allReduces), local losses \(losses)", rank: rank)
    }
}

@main
struct MPICheck {
    static var failures = 0

    /// Checks that data-parallel training (`together`) took one process's steps (`alone`), and,
    /// given the two runs' losses, that the averaged losses are one process's (relative 10⁻⁵).
    ///
    /// Tolerance: the processes sum gradients in another order than one process (two partial
    /// means instead of one), a relative difference of a few Float ulps per step. Adam divides
    /// each coordinate's first moment by the root of its second, so a coordinate whose gradient
    /// is at rounding level can move by up to the learning rate either way: the bound per
    /// coordinate is 2·lr·steps, and the mean difference must stay below 10⁻⁶.
    static func expectSameTraining(_ what: String, _ together: ParameterSet<Float>, _ alone: ParameterSet<Float>, learningRate: Double, steps: Int,
                                   losses: (together: [Double], alone: [Double])? = nil, rank: Int) {
        let d = zip(together.entries, alone.entries).flatMap { x, y in zip(x.tensor.scalars, y.tensor.scalars).map { Double(abs($0 - $1)) } }
        let largest = d.max() ?? .nan, mean = d.reduce(0, +) / Double(Swift.max(d.count, 1))
        let bound = 2 * learningRate * Double(steps)
        expect(largest <= bound && mean <= 1e-6, "\(what) after \(steps) Adam steps (largest parameter difference \(largest), mean \(mean); bounds \(bound), 1e-6)",
               "largest \(largest), mean \(mean)", rank: rank)
        if let losses {
            let relative = zip(losses.together, losses.alone).map { abs($0 - $1) / abs($1) }.max() ?? .nan
            expect(relative < 1e-5, "\(what): the averaged losses equal one process's (relative difference \(relative))", "\(relative)", rank: rank)
        }
    }

    static func expect(_ condition: Bool, _ what: String, _ why: @autoclosure () -> String = "", rank: Int) {
        if condition {
            if rank == 0 { print("PASS \(what)") }
        } else {
            failures += 1
            print("FAIL \(what) (rank \(rank)): \(why())")
        }
    }

    static func main() {
        let scenario = CommandLine.arguments.dropFirst().first ?? "collectives"
        do {
            let world = try MPICommunicator(timeout: scenario == "timeout" ? 2 : 120)
            switch scenario {
            case "collectives": try collectives(world)
            case "sampling": try sampling(world)
            case "training": try training(world)
            case "sequence-training": try sequenceTraining(world)
            case "forecasting": try forecasting(world)
            case "toy-training": try toyTraining(world)
            case "timeout": try timeout(world)
            case "error-on-one-rank":
                // Rank 1 fails before a collective rank 0 is already waiting in; the commands'
                // pattern (print, then abort every process) must end the run at once.
                if world.rank == 1 { throw CollectiveError(call: "error-on-one-rank", reason: "deliberate failure on rank 1") }
                var values: [Double] = [1]
                try world.allReduceSum(&values)
                print("FAIL rank 0 completed a collective rank 1 never joined")
            default:
                print("unknown scenario '\(scenario)' (collectives, sampling, training, sequence-training, toy-training, forecasting, timeout, error-on-one-rank)")
                exit(2)
            }
            fflush(stdout)
            try world.barrier()
        } catch {
            print("FAIL \(scenario): \(error)")
            fflush(stdout)
            // As the commands do: an error on some processes ends every process.
            if let world = try? MPICommunicator(), world.size > 1 { world.abort(exitCode: 1) }
            _exit(1)
        }
        exit(failures == 0 ? 0 : 1)
    }

    static func collectives(_ world: MPICommunicator) throws {
        let r = world.rank, n = world.size
        expect(n >= 2, "at least two processes", "size \(n)", rank: r)
        var sum: [Double] = [Double(r), 1, Double(r * r)]
        try world.allReduceSum(&sum)
        expect(sum == [Double(n * (n - 1) / 2), Double(n), Double((0..<n).map { $0 * $0 }.reduce(0, +))], "all-reduce sum", "\(sum)", rank: r)
        var floats: [Float] = r == 0 ? [1.5, -2, 3] : [0, 0, 0]
        try world.broadcast(&floats, from: 0)
        expect(floats == [1.5, -2, 3], "broadcast from rank 0", "\(floats)", rank: r)
        let gathered = try world.allGather((0...r).map(Double.init))
        expect(gathered == (0..<n).map { k in (0...k).map(Double.init) }, "all-gather of different counts", "\(gathered)", rank: r)
        let rows = Tensor<Float>(shape: [r + 1, 2], scalars: (0..<(2 * (r + 1))).map { Float(100 * r + $0) })
        let all = try world.gatherRows(rows)
        let expectedRows = (0..<n).flatMap { k in (0..<(2 * (k + 1))).map { Float(100 * k + $0) } }
        expect(all.shape == [(1...n).reduce(0, +), 2] && all.scalars == expectedRows, "gather rows in rank order", "\(all.shape) \(all.scalars)", rank: r)
        do {
            _ = try world.gatherRows(Tensor<Float>(zeros: [1, r + 2]))
            expect(false, "gather rows of different shapes is an error", "accepted", rank: r)
        } catch let error as CollectiveError {
            expect("\(error)".contains("shapes [[1, 2], [1, 3]"), "gather rows of different shapes is an error", "\(error)", rank: r)
        }
        let summed = try world.allReduce(Tensor<Double>(shape: [2, 2], scalars: [Double(r), 1, 2, 3]), mean: true)
        expect(summed.shape == [2, 2] && summed.scalars == [Double(n - 1) / 2, 1, 2, 3], "all-reduce mean of a tensor", "\(summed)", rank: r)
        do {
            _ = try world.allReduce(Tensor<Float>(zeros: [r + 1]))
            expect(false, "all-reduce of different shapes is an error on every process", "accepted", rank: r)
        } catch let error as CollectiveError {
            expect("\(error)".contains("allReduce: the processes' tensors have shapes [[1], [2]"), "all-reduce of different shapes is an error on every process", "\(error)", rank: r)
        }
        let fromRoot = try world.broadcast(Tensor<Float>(shape: [3], scalars: [Float(r), 7, 8]))
        expect(fromRoot.scalars == [0, 7, 8], "broadcast of a tensor from rank 0", "\(fromRoot)", rank: r)
        let onRoot = try world.gatherRowsToRoot(Tensor<Float>(shape: [1, 1], scalars: [Float(r)]))
        expect(r == 0 ? onRoot?.scalars == (0..<n).map(Float.init) : onRoot == nil, "gather rows to rank 0", "\(String(describing: onRoot))", rank: r)
        var broadcastWrongCount: [Double] = r == 0 ? [1, 2] : [1]
        do {
            try world.broadcast(&broadcastWrongCount, from: 0)
            expect(false, "broadcast of different counts is an error on every process", "accepted", rank: r)
        } catch let error as CollectiveError {
            let expected = r == 0 ? "rank 0 sends 2 values and \(n - 1) process(es) expect another count" : "rank 0 sends 2 values, rank \(r) expects 1"
            expect("\(error)".contains(expected), "broadcast of different counts is an error on every process", "\(error)", rank: r)
        }
        var gradients = ParameterSet<Float>()
        gradients.insert(Tensor(shape: [2], scalars: [Float(r), 2]), named: "w")
        var loss: [Float] = [Float(r + 1)]
        try world.allReduceMean(&gradients, extra: &loss)
        expect(gradients["w"]!.scalars == [Float(n - 1) / 2, 2] && loss == [Float(n + 1) / 2], "all-reduce mean of a parameter set and a loss", "\(gradients["w"]!.scalars) \(loss)", rank: r)
        try world.checkIdentical(gradients)
        expect(true, "identical parameters pass the checksum", rank: r)
        do {
            var drifted = gradients
            drifted["w"] = Tensor([Float(r), 0])
            try world.checkIdentical(drifted)
            expect(false, "drifted parameters fail the checksum", "accepted", rank: r)
        } catch let error as CollectiveError {
            expect("\(error)".contains("parameters differ"), "drifted parameters fail the checksum", "\(error)", rank: r)
        }
        let shards = try world.allGatherIntegers([world.shard(10).lowerBound, world.shard(10).upperBound])
        expect(shards.first?.first == 0 && shards.last?.last == 10 && zip(shards, shards.dropFirst()).allSatisfy { $0[1] == $1[0] }, "shards tile 0..<10", "\(shards)", rank: r)
    }

    /// Sharded sampling gives one process's samples bit for bit: every sample's noise and every
    /// random draw come from streams keyed by its global index.
    static func sampling(_ world: MPICommunicator) throws {
        let mixture = GaussianMixture(means: Tensor<Double>(rows: [[-2, 0], [2, 0], [0, 3]]), standardDeviation: 0.3)
        let model = ExactMixtureModel<Float>(mixture: mixture)
        let schedule = DiscreteVPSchedule(trainingSteps: 1000, betaSchedule: .scaledLinear(start: 0.00085, end: 0.012))
        let grid = TimeGrid.diffusers(schedule, scheduler: .ddpm, steps: 25)
        let count = 1001, noiseKey = RandomKey(seed: 3), key = RandomKey(seed: 4)
        func check<S: Sampler>(_ name: String, _ sampler: S) throws where S.Value == Tensor<Float> {
            // Together: each process its shard.
            let rows = world.shard(count)
            let noise = Tensor<Float>.randomNormal(shape: [rows.count, 2], key: noiseKey, sampleOffset: rows.lowerBound)
            let part = sample(model, from: noise, grid: grid, using: sampler, key: key, sampleOffset: rows.lowerBound)
            let together = try world.gatherRows(part.samples)
            // Alone.
            let alone = sample(model, from: Tensor<Float>.randomNormal(shape: [count, 2], key: noiseKey), grid: grid, using: sampler, key: key).samples
            expect(together.shape == alone.shape && together.scalars.map(\.bitPattern) == alone.scalars.map(\.bitPattern),
                   "sharded \(name) sampling equals one process bit for bit (\(count) samples over \(world.size) processes)",
                   "max difference \(zip(together.scalars, alone.scalars).map { abs($0 - $1) }.max() ?? .nan)", rank: world.rank)
        }
        try check("DDPM (stochastic)", DDPMSampler<Tensor<Float>>())
        try check("DPM-Solver++ 2M", DPMSolverPlusPlus<Tensor<Float>>(order: 2))

        // Feynman–Kac steering resamples each returned sample's own particles, with streams keyed
        // by the sample's global index: sharding the samples needs no communication of weights.
        let kernel = ContinuousParticleKernel(model: model, sampler: DDPMSampler<Tensor<Float>>(), grid: grid)
        let reward: (Tensor<Float>) -> [Double] = { t in stride(from: 0, to: t.count, by: 2).map { Double(t.scalars[$0]) } }
        let steered = 301
        let rows = world.shard(steered)
        let start = Tensor<Float>.randomNormal(shape: [rows.count, 2], key: noiseKey, sampleOffset: rows.lowerBound)
        let part = ParticleGuidance.feynmanKac(kernel, from: start, particles: 4, temperature: 1, key: key, sampleOffset: rows.lowerBound, reward: reward)
        let together = try world.gatherRows(part.samples)
        let alone = ParticleGuidance.feynmanKac(kernel, from: Tensor<Float>.randomNormal(shape: [steered, 2], key: noiseKey), particles: 4, temperature: 1,
                                                key: key, reward: reward).samples
        expect(together.scalars.map(\.bitPattern) == alone.scalars.map(\.bitPattern),
               "sharded Feynman–Kac steering (4 particles per sample, resampling) equals one process bit for bit (\(steered) samples)",
               "max difference \(zip(together.scalars, alone.scalars).map { abs($0 - $1) }.max() ?? .nan)", rank: world.rank)
    }

    /// Data-parallel TSDiff training: 2 processes with 8 rows each equal 1 process with 16 rows.
    static func training(_ world: MPICommunicator) throws {
        func value(_ s: Int, _ t: Int) -> Double {
            let daily: Double = 3 * sin(Double(t) * Double.pi / 12)
            let wiggle: Double = Double((t * 7 + s) % 5) * 0.1
            return 10 + Double(s) + daily + wiggle
        }
        let series = (0..<3).map { s in TimeSeries(name: "s\(s)", frequency: .hourly, values: (0..<400).map { t -> Double? in value(s, t) }) }
        let layout = WindowLayout(contextLength: 48, predictionLength: 12, lags: [1, 24])
        let configuration = TSDiffConfiguration(layout: layout, backbone: TSDiffBackboneConfiguration(channels: layout.channels, hidden: 16, blocks: 2, stepEmbedding: 16, stateSize: 8),
                                                diffusionSteps: 50, frequency: .hourly)
        let options = TSDiffTrainingOptions(steps: 6, batchSize: 16, learningRate: 1e-3, seed: 5)
        // Rank 1 starts from other weights: the broadcast from rank 0 must replace them.
        var together = TSDiff(configuration: configuration, seed: UInt64(1 + world.rank))
        let recording = RecordingCommunicator(world)
        let report = try TSDiffTrainer(options: options).train(&together, series: series, communicator: recording)
        try recording.expectShardedTraining(steps: options.steps, "TSDiff")
        try world.checkIdentical(together.parameters)
        expect(true, "parameters identical on every process after training", rank: world.rank)
        var alone = TSDiff(configuration: configuration, seed: 1)
        let reportAlone = try TSDiffTrainer(options: options).train(&alone, series: series)
        expectSameTraining("TSDiff: 2 × 8 rows equal 1 × 16 rows", together.parameters, alone.parameters, learningRate: options.learningRate, steps: options.steps,
                           losses: (report.losses, reportAlone.losses), rank: world.rank)
    }

    /// Data-parallel training of the theory checks' ε-MLP (stratified times over the whole batch).
    static func toyTraining(_ world: MPICommunicator) throws {
        let network = ToyDenoiser(dimension: 2, width: 32, depth: 2)
        let data = Tensor<Float>.randomNormal(shape: [256, 2], key: RandomKey(seed: 12))
        let schedule = DiscreteVPSchedule(trainingSteps: 1000)
        for timeSampling in [TimeSampling.uniformSteps, .stratified] {
            let recording = RecordingCommunicator(world)
            let (together, _) = try network.train(on: data, schedule: schedule, steps: 8, batchSize: 32, timeSampling: timeSampling, key: RandomKey(seed: 13), communicator: recording)
            try recording.expectShardedTraining(steps: 8, "ε-MLP (\(timeSampling))")
            let (alone, _) = try network.train(on: data, schedule: schedule, steps: 8, batchSize: 32, timeSampling: timeSampling, key: RandomKey(seed: 13))
            expectSameTraining("ε-MLP (\(timeSampling)): 2 × 16 rows equal 1 × 32 rows", together, alone, learningRate: 1e-3, steps: 8, rank: world.rank)
        }
    }

    /// Self-guided forecasts with the windows shared among the processes equal one process's,
    /// bit for bit (rows keyed by window · samples + sample; chunks straddle windows).
    static func forecasting(_ world: MPICommunicator) throws {
        let layout = WindowLayout(contextLength: 48, predictionLength: 12, lags: [1, 24])
        let configuration = TSDiffConfiguration(layout: layout, backbone: TSDiffBackboneConfiguration(channels: layout.channels, hidden: 16, blocks: 2, stepEmbedding: 16, stateSize: 8),
                                                diffusionSteps: 20, frequency: .hourly)
        let model = TSDiff(configuration: configuration, seed: 1)
        let series = (0..<2).map { s in TimeSeries(name: "s\(s)", frequency: .hourly, values: (0..<200).map { t -> Double? in 5 + Double((t * (3 + s)) % 11) }) }
        let windows = try layout.windows(for: series.map { ($0, [120, 140, 160]) })
        for (name, sampler) in [("DDPM", ForecastSampler.ddpm), ("DDIM 10", .ddim(steps: 10))] {
            var options = ForecastOptions(samples: 3, loss: .quantile, scale: 1, sampler: sampler)
            options.chunkSize = 4
            let recording = RecordingCommunicator(world)
            let together = try model.forecast(windows, options: options, communicator: recording)
            let alone = try model.forecast(windows, options: options)
            expect(recording.allGathers >= 1, "\(name) forecasts gathered the processes' paths", "no all-gather", rank: world.rank)
            expect(together == alone, "\(name) forecasts of 6 windows shared among \(world.size) processes equal one process's bit for bit",
                   "largest difference \(zip(together.flatMap { $0.flatMap { $0 } }, alone.flatMap { $0.flatMap { $0 } }).map { abs($0 - $1) }.max() ?? .nan)", rank: world.rank)
        }
    }

    /// Data-parallel masked-diffusion training (stratified times over the whole batch): 2
    /// processes with 8 rows each equal 1 process with 16 rows.
    static func sequenceTraining(_ world: MPICommunicator) throws {
        var stream = RandomStream(key: RandomKey(seed: 9))
        let sequences = (0..<64).map { _ in (0..<24).map { _ in stream.integer(below: 4) } }
        let network = SequenceNetwork.convolution(DilatedConvolutionNetwork(hidden: 16, kernelSize: 5, dilations: [1, 2, 4], stacks: 1))
        let configuration = SequenceTrainingConfiguration(steps: 6, batchSize: 16, learningRate: 1e-3, emaDecay: 0, seed: 3)
        let recording = RecordingCommunicator(world)
        let together = try MaskedDiffusionTrainer.train(network: network, on: sequences, configuration: configuration, communicator: recording)
        try recording.expectShardedTraining(steps: configuration.steps, "masked diffusion")
        try world.checkIdentical(together.model.parameters)
        expect(true, "sequence model identical on every process after training", rank: world.rank)
        let alone = try MaskedDiffusionTrainer.train(network: network, on: sequences, configuration: configuration)
        expectSameTraining("masked diffusion: 2 × 8 rows equal 1 × 16 rows", together.model.parameters, alone.model.parameters,
                           learningRate: configuration.learningRate, steps: configuration.steps, losses: (together.losses, alone.losses), rank: world.rank)
    }

    /// A collective that another process never joins ends with an error naming it.
    static func timeout(_ world: MPICommunicator) throws {
        if world.rank == 0 {
            var values: [Double] = [1]
            do {
                try world.allReduceSum(&values)
                expect(false, "a collective nobody joins times out", "completed", rank: 0)
            } catch let error as DistributedError {
                expect("\(error)".hasPrefix("MPI_Iallreduce did not complete within 2.0 s on rank 0 of"), "a collective nobody joins times out with a message", "\(error)", rank: 0)
            }
        }
        else {
            // Stay alive past rank 0's timeout, without joining.
            sleep(4)
        }
        fflush(stdout)
        // The pending collective cannot be finalised: both leave without MPI_Finalize (mpirun
        // reports an abnormal termination, which is expected here).
        _exit(failures == 0 ? 0 : 1)
    }
}
