import DiffuseCore
import DiffuseSequences
import DiffuseTensor
import Foundation

/// The walk-through of docs/Sequences.md ("From the library"), verbatim: train a masked model on
/// FASTA records, sample, and steer the samples toward a motif with SVDD.
func designPromoters(fasta: URL, jaspar: URL) throws -> (unguided: [Double], guided: [Double]) {
    // Data: equal-length DNA records; a TATA-box PWM from JASPAR.
    let sequences = try FASTAFile.read(fasta).records.map(\.tokens)
    let tbp = try JASPARFile.read(jaspar).first { $0.name == "TBP" }!
    let reward = MotifReward(motifs: [PositionWeightMatrix(tbp)])

    // A small dilated CNN trained with MDLM's objective.
    let network = DilatedConvolutionNetwork(hidden: 16, kernelSize: 3, dilations: [1, 2, 4], stacks: 1)
    let (model, _) = try MaskedDiffusionTrainer.train(network: .convolution(network), on: sequences,
                                                      configuration: SequenceTrainingConfiguration(steps: 200, batchSize: 32, learningRate: 1e-2))

    // Ancestral sampling, then SVDD-PM with 4 candidates per step.
    let sampler = MaskedDiffusionSampler(model: model.denoiser, schedule: LogLinearMasking(), steps: 32)
    let start = TokenBatch.masked(count: 32, length: sequences[0].count, vocabularySize: DNAVocabulary.size)
    let plain = sample(sampler, from: start, key: RandomKey(seed: 1))
    let guided = ParticleGuidance.svdd(MaskedDiffusionKernel(sampler: sampler), from: start, candidates: 4,
                                       key: RandomKey(seed: 1)) { reward($0) }
    return (reward(plain.samples), guided.rewards)
}
