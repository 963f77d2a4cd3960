import DiffuseCore
import DiffuseSequences
import Foundation

/// The bundled data and checkpoints, and the split every command uses.
enum SequenceData {
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
    /// dm3 promoter windows (Datasets/sequences/README.md).
    static var bundledDNA: URL { repositoryRoot.appendingPathComponent("Datasets/sequences/dm3_upstream200.fa") }
    /// JASPAR 2024 CORE vertebrate and insect matrices.
    static var bundledMotifs: URL { repositoryRoot.appendingPathComponent("Datasets/sequences/jaspar2024_core_vertebrates_insects.jaspar") }
    /// MOSES molecules (Datasets/molecules/README.md).
    static var bundledMolecules: URL { repositoryRoot.appendingPathComponent("Datasets/molecules/moses_test.csv") }
    /// The bundled masked-diffusion model of the MOSES molecules.
    static var bundledMoleculeModel: URL { repositoryRoot.appendingPathComponent("Examples/DesignSequences/Checkpoints/moses-masked") }
    /// The bundled masked-diffusion model of the dm3 windows.
    static var bundledDNAModel: URL { repositoryRoot.appendingPathComponent("Examples/DesignSequences/Checkpoints/dm3-masked") }

    /// The sequences of a FASTA file, all of one length (records of another length are refused
    /// with the record's name).
    static func dna(_ url: URL) throws -> [[Int]] {
        let records = try FASTAFile.read(url).records
        guard let length = records.first?.tokens.count else { throw ValidationFailure("\(url.path): no records") }
        if let other = records.first(where: { $0.tokens.count != length }) {
            throw ValidationFailure("\(url.path): record '\(other.name)' has \(other.tokens.count) bases, the first has \(length); training needs one length")
        }
        return records.map(\.tokens)
    }

    /// The molecules of a SMILES file (invalid ones skipped and counted), their vocabulary, and
    /// their tokens padded to the longest.
    static func molecules(_ url: URL) throws -> (smiles: [String], encoded: [[Int]], vocabulary: SMILESVocabulary, length: Int, skipped: Int) {
        let contents = try SMILESFile.read(url, invalid: .skip)
        let vocabulary = SMILESVocabulary(fittedOn: contents.molecules.map(\.tokens))
        let length = contents.molecules.map(\.tokens.count).max() ?? 1
        let encoded = try contents.molecules.map { try vocabulary.encode($0.tokens, length: length) }
        return (contents.molecules.map(\.smiles), encoded, vocabulary, length, contents.skipped)
    }

    /// The held-back split: every 10th sequence (index ≡ 9 mod 10) is held back, the rest train.
    static func split(_ sequences: [[Int]]) throws -> (train: [[Int]], heldOut: [[Int]]) {
        guard sequences.count >= 10 else { throw ValidationFailure("the data have \(sequences.count) usable records; at least 10 are needed (every 10th is held back)") }
        var train: [[Int]] = [], heldOut: [[Int]] = []
        for (i, x) in sequences.enumerated() { if i % 10 == 9 { heldOut.append(x) } else { train.append(x) } }
        return (train, heldOut)
    }
}

/// An error a person can act on, printed as is.
struct ValidationFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func fixed(_ x: Double, _ decimals: Int) -> String { String(format: "%.\(decimals)f", x) }
