import DiffuseCore
import DiffuseNN
import DiffuseTensor

extension TSDiff {
    /// Windows per chunk of a training batch in ``trainingLossAndGradient(_:conditioning:objective:dropoutKey:)``
    /// (a batch of 64 on 2 cores: 16 windows per chunk 139–156 ms per step, the whole batch on
    /// one tape 153–172 ms, over five alternating runs of each).
    public static let trainingChunkSize = 16

    /// The denoising loss of a training batch and its gradient with respect to every parameter.
    ///
    /// The batch is cut into chunks of ``trainingChunkSize`` windows, and each chunk's forward and
    /// backward pass runs on its own tape, the chunks spread over the cores (one parallel job per
    /// chunk, every operation inside it serial and its tensors in cache; see
    /// `NetworkModel.batchChunkSize`). The loss is linear in the windows, so the chunk losses,
    /// weighted by their share of the batch, and their gradients add up to the batch's. The S4
    /// kernels depend on the parameters only: they are computed once, on a tape of their own,
    /// enter every chunk as watched inputs, and the chunks' kernel gradients, summed, are pulled
    /// back through the kernel computation once. Chunk boundaries depend on the batch size only
    /// and the sums run in chunk order, so the result does not depend on the thread count.
    /// Dropout draws chunk k's masks from `dropoutKey.folding(in: k)`. A batch uses at most as
    /// many cores as it has chunks (batch 64: 4).
    /// `conditioning` `[B, L, F]` holds the windows' conditioning for a conditional model (row r
    /// of the example reads row r); it is ignored by an unconditional one.
    public func trainingLossAndGradient(_ example: DenoisingObjective.Example<Float>, conditioning: Tensor<Float>? = nil, objective: DenoisingObjective,
                                        dropoutKey: RandomKey?) -> (loss: Float, gradient: ParameterSet<Float>) {
        let rows = example.noisy.shape[0], length = example.noisy.shape[1]
        precondition(rows > 0, "a training batch needs at least one window")
        precondition(!isConditional || conditioning?.shape.first == rows, "a conditional TSDiff model needs the conditioning of every window of the batch")
        let given = isConditional ? conditioning : nil
        let kernelTape = Tape<Float>()
        let kernelParameters = parameters.bound(to: kernelTape)
        let kernels = backbone.circularKernels(length: length, kernelParameters)
        let chunks = Parallel.chunks(count: rows, chunkSize: Self.trainingChunkSize)
        let results = Parallel.map(Array(chunks.enumerated())) { k, range in
            let tape = Tape<Float>()
            let bound = parameters.bound(to: tape)
            let chunkKernels = kernels.map { tape.watch($0.value) }
            let part = example.rows(range)
            let output = backbone(Variable(part.noisy), conditioning: given.map { Variable($0[range]) }, steps: part.times, bound,
                                  dropoutKey: dropoutKey?.folding(in: k), kernels: chunkKernels)
            let loss = objective.loss(output, part) * (Float(range.count) / Float(rows))
            let gradients = tape.gradient(of: loss)
            return (loss: loss.value.scalar, gradient: bound.gradients(gradients), kernelGradients: chunkKernels.map { gradients[$0] })
        }
        var loss: Float = 0
        var gradient = parameters.zerosLike()
        var kernelGradients = kernels.map { Tensor<Float>(zeros: $0.shape) }
        for result in results {
            loss += result.loss
            gradient += result.gradient
            for i in kernelGradients.indices { kernelGradients[i] += result.kernelGradients[i] }
        }
        // Σ_k ⟨K_k, G_k⟩ has gradient G_k with respect to kernel k.
        let pairings = zip(kernels, kernelGradients).map { ($0 * Variable($1)).sum() }
        if let first = pairings.first {
            let pairing = pairings.dropFirst().reduce(first, +)
            gradient += kernelParameters.gradients(kernelTape.gradient(of: pairing))
        }
        return (loss, gradient)
    }
}
