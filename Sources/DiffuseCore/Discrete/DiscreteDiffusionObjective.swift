import DiffuseNN
import DiffuseTensor
import Foundation

/// A training objective of a discrete diffusion process over token sequences: noise clean
/// sequences, and score the model's logits at the noised ones with a per-sample bound on
/// −log p(x₀). ``MaskedDiffusionObjective`` and ``UniformDiffusionObjective`` are the two; the
/// trainer, the loss and the likelihood estimate are written once over this protocol.
public protocol DiscreteDiffusionObjective: Sendable {
    associatedtype Example
    /// Noises `x0`; sample i (global index `sampleOffset + i`) draws from its own stream.
    func example(for x0: TokenBatch, key: RandomKey, sampleOffset: Int) -> Example
    /// Noises `x0`, rows `sampleOffset ..< sampleOffset + count` of a batch of `batchCount`
    /// rows (a shard of a data-parallel batch): draws that depend on the whole batch
    /// (stratified times) are those of the whole batch's rows. The default ignores `batchCount`.
    func example(for x0: TokenBatch, key: RandomKey, sampleOffset: Int, batchCount: Int) -> Example
    /// What the model sees: the noised sequences and one time per sample.
    func input(of example: Example) -> (tokens: TokenBatch, times: [Double])
    /// Per sample, the bound's terms in nats per token, `[count]`, from logits `[count, length, K]`.
    func perSampleLosses<S: TensorScalar>(logits: Variable<S>, _ example: Example) -> Variable<S>
}

extension DiscreteDiffusionObjective {
    public func example(for x0: TokenBatch, key: RandomKey, sampleOffset: Int, batchCount: Int) -> Example {
        example(for: x0, key: key, sampleOffset: sampleOffset)
    }

    /// The mean of ``perSampleLosses(logits:_:)`` (the training loss).
    public func loss<S: TensorScalar>(logits: Variable<S>, _ example: Example) -> Variable<S> {
        perSampleLosses(logits: logits, example).mean()
    }

    /// A Monte-Carlo estimate of the negative ELBO of `data` in bits per token, over `draws`
    /// noisings per sequence (draw d from `key.folding(in: d)`), with its standard error. The
    /// data are evaluated in chunks of `chunkSize` sequences (stratified time draws are
    /// stratified within a chunk).
    public func negativeELBO<M: TokenDenoiser>(_ model: M, data: TokenBatch, draws: Int, key: RandomKey,
                                               chunkSize: Int? = nil) -> (bitsPerToken: Double, standardError: Double) {
        precondition(draws >= 1, "need at least one draw")
        let chunks = Parallel.chunks(count: data.sampleCount, chunkSize: Swift.max(1, chunkSize ?? data.sampleCount))
        var state = model.makeState()
        var values: [Double] = []
        for d in 0..<draws {
            for rows in chunks {
                let part = chunks.count == 1 ? data : data.gatheringSamples(Array(rows))
                let example = self.example(for: part, key: key.folding(in: d), sampleOffset: rows.lowerBound)
                let (tokens, times) = input(of: example)
                let logits = model.logits(tokens, at: times, key: SampleKey(key: key.folding(in: d).folding(in: 2)), state: &state)
                values += perSampleLosses(logits: Variable(logits), example).value.scalars.map { Double($0) / Foundation.log(2) }
            }
        }
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(Swift.max(values.count - 1, 1))
        return (mean, (variance / Double(values.count)).squareRoot())
    }
}
