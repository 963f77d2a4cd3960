import DiffuseCore
import DiffuseNN
import DiffuseTensor
import Foundation

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

    public func makeParameters(key: RandomKey) -> ParameterSet<Float> {
        var p = ParameterSet<Float>()
        let layers: [any Layer] = [input, timeProjection, norm1, linear1, timeLayer, norm2, linear2, outputNorm, output]
        for l in layers { l.initialize(&p, key: key) }
        return p
    }

    public func callAsFunction(_ x: Variable<Float>, steps: [Double], _ p: BoundParameters<Float>) -> Variable<Float> {
        let t = timeProjection(Variable(embedding(steps, as: Float.self)), p).leakyReLU(slope: 0.02)
        var h = input(x, p)
        let timeTerm = timeLayer(t, p)
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

    /// Trains with the ε-prediction loss (uniform steps), Adam with a cosine-decaying learning
    /// rate; returns the parameters and the final running loss.
    public func train(on data: Tensor<Float>, schedule: DiscreteVPSchedule, steps: Int, batchSize: Int, learningRate: Double = 1e-3,
                      timeSampling: TimeSampling = .uniformSteps, key: RandomKey) throws -> (ParameterSet<Float>, Double) {
        var parameters = makeParameters(key: key.folding(in: 0))
        let optimizer = Adam<Float>()
        var state = optimizer.makeState(for: parameters)
        let objective = DenoisingObjective(schedule: schedule, prediction: .noise, timeSampling: timeSampling)
        var recent: [Double] = []
        let n = data.shape[0]
        for step in 0..<steps {
            var stream = RandomStream(key: key.folding(in: 1).folding(in: step))
            let rows = (0..<batchSize).map { _ in stream.integer(below: n) }
            let x0 = Tensor.stack(rows.map { data[$0] }, alongAxis: 0)
            let example = objective.example(for: x0, key: key.folding(in: 2).folding(in: step))
            let tape = Tape<Float>()
            let bound = parameters.bound(to: tape)
            let loss = objective.loss(self(Variable(example.noisy), steps: example.times, bound), example)
            let gradients = bound.gradients(tape.gradient(of: loss))
            try TrainingError.check(loss: loss.value.scalar, gradients: gradients, step: step)
            let rate = learningRate * 0.5 * (1 + Foundation.cos(Double.pi * Double(step) / Double(steps)))
            optimizer.update(&parameters, gradients: gradients, state: &state, learningRate: rate)
            recent.append(Double(loss.value.scalar))
            if recent.count > 100 { recent.removeFirst() }
        }
        return (parameters, recent.reduce(0, +) / Double(Swift.max(recent.count, 1)))
    }
}
