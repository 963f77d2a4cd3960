import ArgumentParser
import DiffuseCore
import DiffuseSequences
import DiffuseTensor
import Foundation

/// `design-sequences likelihood`: bits per base of held-back sequences under trained diffusion
/// models (the negative ELBO, an upper bound on −log₂ p) and under k-mer Markov models fitted on
/// the same training split.
struct LikelihoodCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "likelihood",
        abstract: "Held-back bits per base: diffusion models' negative ELBO against k-mer Markov models (k = 1…6).")

    @Option(help: "FASTA file the models were trained on (default: the bundled dm3 windows); every 10th record is scored.")
    var data: String?
    @Option(name: .customLong("model"), help: "A checkpoint folder (repeatable; default: the bundled masked model).")
    var models: [String] = []
    @Option(help: "Noisings per held-back sequence for the ELBO estimate.")
    var draws = 8
    @Option(help: "Seed of the noisings.")
    var seed: UInt64 = 0
    @Flag(help: "Print the table as JSON.")
    var json = false

    /// The negative ELBO of `data` under a model, with its own process's objective.
    static func negativeELBO(_ model: SequenceModel, _ data: TokenBatch, draws: Int, seed: UInt64 = 0) -> (bitsPerToken: Double, standardError: Double) {
        let key = RandomKey(seed: seed)
        switch model.configuration.process {
        case .masked:
            return MaskedDiffusionObjective(timeDraws: .independent).negativeELBO(model.denoiser, data: data, draws: draws, key: key, chunkSize: 256)
        case .uniform:
            return UniformDiffusionObjective().negativeELBO(model.denoiser, data: data, draws: draws, key: key, chunkSize: 256)
        }
    }

    struct Row: Codable {
        var model: String
        var bitsPerBase: Double
        var standardError: Double?
    }

    func run() throws {
        guard (1...1000).contains(draws) else { throw ValidationFailure("--draws must be in 1…1000") }
        let url = data.map { URL(fileURLWithPath: $0) } ?? SequenceData.bundledDNA
        let (train, heldOut) = try SequenceData.split(try SequenceData.dna(url))
        var rows: [Row] = []
        for k in 1...6 {
            rows.append(Row(model: "Markov k = \(k)", bitsPerBase: KmerMarkovModel(order: k, fittedOn: train).bitsPerBase(heldOut)))
        }
        let batch = DNAVocabulary.batch(heldOut)
        for path in (models.isEmpty ? [SequenceData.bundledDNAModel.path] : models) {
            let model = try SequenceModel.load(from: URL(fileURLWithPath: path))
            guard model.configuration.vocabulary == nil, model.configuration.network.vocabularySize == DNAVocabulary.size,
                  model.configuration.length == heldOut[0].count else {
                throw ValidationFailure("\(path): not a DNA model of \(heldOut[0].count)-base sequences")
            }
            let nelbo = Self.negativeELBO(model, batch, draws: draws, seed: seed)
            rows.append(Row(model: "\(model.configuration.process.rawValue) diffusion, \(model.configuration.network.summary) (\(URL(fileURLWithPath: path).lastPathComponent))",
                            bitsPerBase: nelbo.bitsPerToken, standardError: nelbo.standardError))
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(rows), as: UTF8.self))
            return
        }
        print("\(heldOut.count) held-back sequences of \(url.lastPathComponent) (every 10th), \(train.count) for fitting; bits per base:")
        // Names are padded to the longest, never cut.
        let width = rows.map(\.model.count).max() ?? 0
        for row in rows {
            print("  \(row.model.padding(toLength: width, withPad: " ", startingAt: 0)) \(fixed(row.bitsPerBase, 4))" + (row.standardError.map { " ± \(fixed($0, 4))" } ?? ""))
        }
    }
}
