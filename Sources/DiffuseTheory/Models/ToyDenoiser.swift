import DiffuseCore
import DiffuseNN
import DiffuseTensor

/// The small noise-prediction MLP of the mode-interpolation experiments (Aithal, Maini, Lipton &
/// Kolter 2024, `toy_model.py`): x → Linear(d, W) without bias; a W-dim sinusoidal step embedding
/// e → Linear + LeakyReLU(0.02); then `depth` residual blocks
/// h ← h + Linear₂(LeakyReLU(LayerNorm₂(Linear₁(LeakyReLU(LayerNorm₁(h))) + Linear_t(e))))
/// (Linear₁, Linear₂ without bias) that share one set of weights (the reference repeats the same
/// module object); then LayerNorm → Linear(W, d).
public struct ToyDenoiser: Sendable {
    public var dimension: Int
    public var width: Int
    public var depth: Int
    let input: Linear
    let embedding: SinusoidalTimeEmbedding
    let timeProjection: Linear
    let norm1: LayerNorm
    let linear1: Linear
    let timeLayer: Linear
    let norm2: LayerNorm
    let linear2: Linear
    let outputNorm: LayerNorm
    let output: Linear

    public init(dimension: Int, width: Int = 128, depth: Int = 3) {
        self.dimension = dimension
        self.width = width
        self.depth = depth
        input = Linear(name: "input", inputSize: dimension, outputSize: width, bias: false)
        embedding = SinusoidalTimeEmbedding(dimension: width)
        timeProjection = Linear(name: "time", inputSize: width, outputSize: width)
        norm1 = LayerNorm(name: "block.norm1", size: width)
        linear1 = Linear(name: "block.linear1", inputSize: width, outputSize: width, bias: false)
        timeLayer = Linear(name: "block.time", inputSize: width, outputSize: width)
        norm2 = LayerNorm(name: "block.norm2", size: width)
        linear2 = Linear(name: "block.linear2", inputSize: width, outputSize: width, bias: false)
        outputNorm = LayerNorm(name: "output.norm", size: width)
        output = Linear(name: "output.linear", inputSize: width, outputSize: dimension)
    }

    /// The network's shape, as saved next to its weights in a `Checkpoint`.
    public struct Configuration: Codable, Equatable, Sendable {
        public var dimension: Int
        public var width: Int
        public var depth: Int
    }

    public var configuration: Configuration { Configuration(dimension: dimension, width: width, depth: depth) }

    public init(_ configuration: Configuration) {
        self.init(dimension: configuration.dimension, width: configuration.width, depth: configuration.depth)
    }

    public func makeParameters(key: RandomKey) -> ParameterSet<Float> {
        var p = ParameterSet<Float>()
        let layers: [any Layer] = [input, timeProjection, norm1, linear1, timeLayer, norm2, linear2, outputNorm, output]
        for l in layers { l.initialize(&p, key: key) }
        return p
    }

    /// ε̂ for rows `x` `[B, d]` at integer diffusion steps `steps` (one per row).
    ///
    /// The step path (embedding → Linear → LeakyReLU → the blocks' Linear_t) depends on the step
    /// only, so it runs once per distinct step and its rows are gathered for the batch: a sampling
    /// step (one step for the whole batch) or a large training batch (at most T distinct steps)
    /// skips two of the eight W×W products per row (the blocks' two shared linears run `depth`
    /// times each).
    public func callAsFunction(_ x: Variable<Float>, steps: [Double], _ p: BoundParameters<Float>) -> Variable<Float> {
        precondition(steps.count == x.shape[0], "one diffusion step per row: \(steps.count) for \(x.shape[0]) rows")
        precondition(steps.allSatisfy(\.isFinite), "diffusion steps must be finite")
        let distinct = Array(Set(steps)).sorted()
        let position = Dictionary(uniqueKeysWithValues: distinct.enumerated().map { ($1, $0) })
        let t = timeProjection(Variable(embedding(distinct, as: Float.self)), p).leakyReLU(slope: 0.02)
        var h = input(x, p)
        let timeTerm = timeLayer(t, p).indexSelect(alongAxis: 0, indices: steps.map { position[$0]! })
        for _ in 0..<depth {
            let inner = linear1(norm1(h, p).leakyReLU(slope: 0.02), p) + timeTerm
            h = h + linear2(norm2(inner, p).leakyReLU(slope: 0.02), p)
        }
        return output(outputNorm(h, p), p)
    }

    /// The network as a noise-prediction model of `schedule`.
    public func model(_ p: ParameterSet<Float>, schedule: any NoiseSchedule) -> NetworkModel<Float> {
        let bound = p.constants
        return NetworkModel(type: .noise, schedule: schedule) { x, point in
            self(x, steps: [Double](repeating: point.time, count: x.shape[0]), bound)
        }
    }

    /// Trains with the ε-prediction loss and Adam at the rates of `learningRate` (the reference
    /// keeps 10⁻³ constant); returns the parameters and the mean loss of the last 100 steps.
    /// Training starts from `initialParameters` when given (with a fresh optimiser state; throws
    /// `TrainingError.incompatibleParameters(_:)` unless they have this network's layout), else
    /// from a new initialisation. `progress`, when given,
    /// receives the number of steps done and that running loss after every step.
    ///
    /// With a `communicator` of several processes (data parallel), rank 0's parameters are
    /// broadcast first, every process draws the same batch indices and computes the loss and
    /// gradients of its shard of the rows (noise and times keyed by global row index, stratified
    /// times over the whole batch), and one all-reduce per step averages them: one process's
    /// steps up to the order of floating-point sums. The batch size must be divisible by the
    /// number of processes.
    public func train(on data: Tensor<Float>, schedule: DiscreteVPSchedule, steps: Int, batchSize: Int,
                      learningRate: LearningRateSchedule = .constant(1e-3),
                      timeSampling: TimeSampling = .uniformSteps, key: RandomKey, from initialParameters: ParameterSet<Float>? = nil,
                      communicator: any Communicator = SingleProcess(),
                      progress: ((_ stepsDone: Int, _ runningLoss: Double) -> Void)? = nil) throws -> (ParameterSet<Float>, Double) {
        guard batchSize % communicator.size == 0 else {
            throw CollectiveError(call: "ToyDenoiser.train", reason: "batch size \(batchSize) is not divisible by the \(communicator.size) processes")
        }
        let fresh = makeParameters(key: key.folding(in: 0))
        if let initialParameters, let mismatch = initialParameters.firstMismatch(against: fresh) {
            throw TrainingError.incompatibleParameters(mismatch)
        }
        var parameters = initialParameters ?? fresh
        try communicator.broadcast(&parameters, from: 0)
        let shard = communicator.shard(batchSize)
        let optimizer = Adam<Float>()
        var state = optimizer.makeState(for: parameters)
        let objective = DenoisingObjective(schedule: schedule, prediction: .noise, timeSampling: timeSampling)
        var recent: [Double] = []
        let n = data.shape[0]
        for step in 0..<steps {
            var stream = RandomStream(key: key.folding(in: 1).folding(in: step))
            let rows = (0..<batchSize).map { _ in stream.integer(below: n) }
            let x0 = data.indexSelect(alongAxis: 0, indices: Array(rows[shard]))
            let example = objective.example(for: x0, key: key.folding(in: 2).folding(in: step), sampleOffset: shard.lowerBound, batchCount: batchSize)
            let tape = Tape<Float>()
            let bound = parameters.bound(to: tape)
            let lossVariable = objective.loss(self(Variable(example.noisy), steps: example.times, bound), example)
            var gradients = bound.gradients(tape.gradient(of: lossVariable))
            var shared = [lossVariable.value.scalar]
            try communicator.allReduceMean(&gradients, extra: &shared)
            let loss = shared[0]
            try TrainingError.check(loss: loss, gradients: gradients, step: step)
            optimizer.update(&parameters, gradients: gradients, state: &state, learningRate: learningRate.rate(at: step))
            recent.append(Double(loss))
            if recent.count > 100 { recent.removeFirst() }
            progress?(step + 1, recent.reduce(0, +) / Double(recent.count))
        }
        return (parameters, recent.reduce(0, +) / Double(Swift.max(recent.count, 1)))
    }
}
