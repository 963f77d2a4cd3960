import DiffuseNN
import DiffuseTensor
import Foundation

/// The evaluator of the motion benchmark, in the role of HumanAct12's action-recognition network:
/// a temporal convolution network over normalised feature windows whose pooled activations are
/// the embedding for FID, diversity and multimodality, and whose logits give action accuracy.
///
/// Layers: three 1-D convolutions (kernel 5, padding 2, GELU; the second with stride 2) over
/// [B, 263, L], mean over time → `embeddingSize` → a linear head to the actions.
public struct MotionClassifier: Layer, Codable, Equatable, Sendable {
    public var features: Int
    public var actionCount: Int
    public var channels: Int
    public var embeddingSize: Int

    public init(features: Int = HumanML3DFeatures.width, actionCount: Int, channels: Int = 128, embeddingSize: Int = 64) {
        self.features = features
        self.actionCount = actionCount
        self.channels = channels
        self.embeddingSize = embeddingSize
    }

    var convolutions: [Convolution1D] {
        [Convolution1D(name: "conv.0", inputChannels: features, outputChannels: channels, kernelSize: 5, padding: 2),
         Convolution1D(name: "conv.1", inputChannels: channels, outputChannels: channels, kernelSize: 5, stride: 2, padding: 2),
         Convolution1D(name: "conv.2", inputChannels: channels, outputChannels: channels, kernelSize: 5, padding: 2)]
    }
    var embedding: Linear { Linear(name: "embedding", inputSize: channels, outputSize: embeddingSize) }
    var head: Linear { Linear(name: "head", inputSize: embeddingSize, outputSize: actionCount) }

    public func initialize<S: TensorScalar>(_ parameters: inout ParameterSet<S>, key: RandomKey) {
        for c in convolutions { c.initialize(&parameters, key: key) }
        embedding.initialize(&parameters, key: key)
        head.initialize(&parameters, key: key)
    }

    /// Embeddings [B, embeddingSize] and logits [B, actionCount] of windows [B, L, features].
    public func callAsFunction<S: TensorScalar>(_ x: Variable<S>, _ p: BoundParameters<S>) -> (embedding: Variable<S>, logits: Variable<S>) {
        var h = x.swappingAxes(1, 2)
        for c in convolutions { h = c(h, p).gelu() }
        let e = embedding(h.mean(alongAxis: 2), p)
        return (e, head(e.gelu(), p))
    }

    /// Trains on windows of the training split (Adam, cross-entropy), every draw from `key`.
    public static func train(_ classifier: MotionClassifier, on data: MotionWindows, steps: Int, batchSize: Int = 64,
                             learningRate: Double = 1e-3, key: RandomKey, progress: (Int, Double) -> Void = { _, _ in }) throws -> ParameterSet<Float> {
        var parameters = classifier.makeParameters(as: Float.self, key: key.folding(in: 0))
        let optimizer = Adam<Float>()
        var state = optimizer.makeState(for: parameters)
        for step in 0..<steps {
            let (x, labels) = data.batch(size: batchSize, key: key.folding(in: 1).folding(in: step))
            let tape = Tape<Float>()
            let p = parameters.bound(to: tape)
            let loss = Loss.crossEntropy(logits: classifier(Variable(x), p).logits, targets: labels)
            var gradients = p.gradients(tape.gradient(of: loss))
            try TrainingError.check(loss: loss.value.scalar, gradients: gradients, step: step)
            gradients.clipByGlobalNorm(1)
            optimizer.update(&parameters, gradients: gradients, state: &state, learningRate: learningRate)
            progress(step, Double(loss.value.scalar))
        }
        return parameters
    }

    /// Embeddings and predicted labels of windows, in chunks of 256.
    public func evaluate(_ windows: Tensor<Float>, parameters: ParameterSet<Float>) -> (embeddings: [[Double]], predictions: [Int]) {
        var embeddings = [[Double]](), predictions = [Int]()
        let n = windows.shape[0]
        for start in stride(from: 0, to: n, by: 256) {
            let chunk = windows.slice(axis: 0, start..<min(n, start + 256))
            let (e, logits) = self(Variable(chunk), parameters.constants)
            let m = chunk.shape[0]
            let ev = e.value.scalars, lv = logits.value.scalars
            for i in 0..<m {
                embeddings.append(ev[(i * embeddingSize)..<((i + 1) * embeddingSize)].map(Double.init))
                let row = lv[(i * actionCount)..<((i + 1) * actionCount)]
                predictions.append(row.indices.max(by: { row[$0] < row[$1] })! - i * actionCount)
            }
        }
        return (embeddings, predictions)
    }
}
