import Foundation
import XCTest
import _DiffuseTestSupport
import DiffuseCore
import DiffuseNN
import DiffuseTensor
@testable import DiffuseSequences

final class MaskedDiffusionTrainingTests: XCTestCase {
    /// Structured toy data: the repeat ACGTACGT… at a random phase, one base in six flipped.
    private func data(count: Int, length: Int, seed: UInt64) -> [[Int]] {
        (0..<count).map { i in
            var stream = RandomStream(key: RandomKey(seed: seed).folding(in: i))
            let phase = stream.integer(below: 4)
            return (0..<length).map { p in stream.integer(below: 6) == 0 ? stream.integer(below: 4) : (p + phase) % 4 }
        }
    }

    /// A small network learns the toy data: its negative ELBO falls far below the 2 bits per base
    /// of a uniform model and below the best 1-mer Markov model; the saved model loads back
    /// exactly, and a checkpoint of another network is refused naming the folder.
    func testTrainingLearnsAndCheckpointsRoundTrip() throws {
        let network = DilatedConvolutionNetwork(hidden: 16, kernelSize: 3, dilations: [1, 2], stacks: 1)
        let train = data(count: 256, length: 16, seed: 1), heldOut = data(count: 64, length: 16, seed: 2)
        // The default EMA decay (0.9999 with warm-up): the average follows the trained weights.
        let configuration = SequenceTrainingConfiguration(steps: 600, batchSize: 32, learningRate: 1e-2)
        let (model, losses) = try MaskedDiffusionTrainer.train(network: .convolution(network), on: train, configuration: configuration)
        XCTAssertEqual(losses.count, 600)
        XCTAssertLessThan(losses.suffix(50).reduce(0, +) / 50, 0.85 * losses.prefix(20).reduce(0, +) / 20, "losses \(losses.prefix(3)) … \(losses.suffix(3))")
        let nelbo = MaskedDiffusionObjective().negativeELBO(model.denoiser, data: DNAVocabulary.batch(heldOut), draws: 32, key: RandomKey(seed: 3))
        let markov = KmerMarkovModel(order: 1, fittedOn: train).bitsPerBase(heldOut)
        XCTAssertLessThan(nelbo.bitsPerToken + 4 * nelbo.standardError, markov, "NELBO \(nelbo), 1-mer Markov \(markov)")

        let folder = try makeTemporaryFolder()
        try model.save(to: folder)
        let loaded = try SequenceModel.load(from: folder)
        XCTAssertEqual(loaded.parameters, model.parameters)
        XCTAssertEqual(loaded.configuration, model.configuration)
        // A configuration of another network (vocabulary 5) with these weights is refused.
        var wrong = model.configuration
        var wrongNetwork = network
        wrongNetwork.vocabularySize = 5
        wrong.network = .convolution(wrongNetwork)
        try Checkpoint.save(parameters: model.parameters, configuration: wrong, to: folder)
        XCTAssertThrowsError(try SequenceModel.load(from: folder)) { error in
            XCTAssertTrue("\(error)".contains(folder.path) && "\(error)".contains("do not match"), "\(error)")
        }
        // A configuration value outside its range in a checkpoint is refused naming the field.
        var huge = model.configuration
        var hugeNetwork = network
        hugeNetwork.hidden = 1 << 40
        huge.network = .convolution(hugeNetwork)
        try Checkpoint.save(parameters: model.parameters, configuration: huge, to: folder)
        XCTAssertThrowsError(try SequenceModel.load(from: folder)) { XCTAssertTrue("\($0)".contains("network.hidden = 1099511627776"), "\($0)") }
        // Another vocabulary (SMILES-sized) trains too, with either network; a Transformer
        // checkpoint round-trips, and one shorter than its sequences is refused.
        let smilesLike = (0..<64).map { i in (0..<12).map { (i + $0) % 7 } }
        let other = try MaskedDiffusionTrainer.train(network: .convolution(DilatedConvolutionNetwork(vocabularySize: 7, hidden: 8, kernelSize: 3, dilations: [1], stacks: 1)),
                                                     on: smilesLike, configuration: SequenceTrainingConfiguration(steps: 5, batchSize: 8))
        XCTAssertEqual(other.losses.count, 5)
        let transformer = SequenceTransformer(vocabularySize: 7, length: 12, modelSize: 32, heads: 2, layers: 1)
        let trained = try MaskedDiffusionTrainer.train(network: .transformer(transformer), on: smilesLike,
                                                       configuration: SequenceTrainingConfiguration(steps: 300, batchSize: 32, learningRate: 1e-3))
        XCTAssertLessThan(trained.losses.suffix(50).reduce(0, +), 0.7 * trained.losses.prefix(50).reduce(0, +), "\(trained.losses.prefix(3)) … \(trained.losses.suffix(3))")
        try trained.model.save(to: folder)
        XCTAssertEqual(try SequenceModel.load(from: folder).configuration, trained.model.configuration)
        var short = trained.model.configuration
        short.network = .transformer(SequenceTransformer(vocabularySize: 7, length: 8, modelSize: 32, heads: 2, layers: 1))
        try Checkpoint.save(parameters: trained.model.parameters, configuration: short, to: folder)
        XCTAssertThrowsError(try SequenceModel.load(from: folder)) { XCTAssertTrue("\($0)".contains("at most the Transformer's 8 positions"), "\($0)") }
        // A checkpoint whose SMILES vocabulary does not match the network's tokens is refused.
        var mismatched = trained.model.configuration
        mismatched.vocabulary = SMILESVocabulary(fittedOn: [["C", "O"]])
        try Checkpoint.save(parameters: trained.model.parameters, configuration: mismatched, to: folder)
        XCTAssertThrowsError(try SequenceModel.load(from: folder)) { XCTAssertTrue("\($0)".contains("vocabulary = 3 tokens"), "\($0)") }
        // A configuration written before networks named their architecture reads as a convolution.
        let legacy = #"{"vocabularySize": 4, "hidden": 8, "kernelSize": 3, "dilations": [1], "stacks": 1}"#
        XCTAssertEqual(try JSONDecoder().decode(SequenceNetwork.self, from: Data(legacy.utf8)),
                       .convolution(DilatedConvolutionNetwork(hidden: 8, kernelSize: 3, dilations: [1], stacks: 1)))
        // Configuration values outside their ranges are named.
        XCTAssertThrowsError(try SequenceTrainingConfiguration(batchSize: 0).validated()) { XCTAssertTrue("\($0)".contains("batchSize = 0")) }
        XCTAssertThrowsError(try SequenceTrainingConfiguration(learningRate: .nan).validated()) { XCTAssertTrue("\($0)".contains("learningRate")) }
    }
}
