import ArgumentParser
import DiffuseSequences
import Foundation

/// `design-sequences molecules`: checks a file of SMILES with the project's molecule rules and
/// prints validity, uniqueness, novelty against a training file, internal diversity and the
/// descriptor means.
struct MoleculesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "molecules",
        abstract: "Validity, uniqueness, novelty, diversity and descriptors of a SMILES file (.smi or CSV with a SMILES column).")

    @Argument(help: "SMILES file (.smi, or .csv with a SMILES column).")
    var file: String
    @Option(help: "Training SMILES for novelty (default: none).")
    var training: String?
    @Option(help: "Use at most this many molecules for the pairwise diversity (it is quadratic).")
    var diversitySample = 2000

    func run() throws {
        guard diversitySample >= 2 else { throw ValidationFailure("--diversity-sample must be at least 2") }
        let url = URL(fileURLWithPath: file)
        let smiles = try SMILESFile.fields(SequenceFileError.text(of: url), file: url.path, csv: url.pathExtension.lowercased() == "csv").map(\.smiles)
        guard !smiles.isEmpty else { throw ValidationFailure("\(file): no SMILES") }
        let trainingSet = try training.map { Set(try SMILESFile.read(URL(fileURLWithPath: $0), invalid: .skip).molecules.map(\.smiles)) } ?? []
        var failures: [String: Int] = [:]
        var descriptors: [MolecularDescriptors] = []
        for s in smiles {
            do { descriptors.append(MolecularDescriptors(try Molecule(smiles: s))) } catch {
                let reason = "\(error)".replacingOccurrences(of: #"atom \d+"#, with: "atom N", options: .regularExpression)
                failures[reason, default: 0] += 1
            }
        }
        let metrics = MoleculeMetrics(Array(smiles.prefix(diversitySample)), training: trainingSet)
        print("\(smiles.count) SMILES in \(file): \(descriptors.count) valid (\(fixed(100 * Double(descriptors.count) / Double(max(smiles.count, 1)), 2))%)")
        print("first \(metrics.count): uniqueness \(fixed(metrics.uniqueness, 4)), novelty \(fixed(metrics.novelty, 4)), internal diversity \(fixed(metrics.internalDiversity, 4))")
        func mean(_ f: (MolecularDescriptors) -> Double) -> String { fixed(descriptors.map(f).reduce(0, +) / Double(max(descriptors.count, 1)), 3) }
        print("means: heavy atoms \(mean { Double($0.heavyAtoms) }), rings \(mean { Double($0.rings) }), aromatic rings \(mean { Double($0.aromaticRings) }), MW \(mean(\.molecularWeight)), HBD \(mean { Double($0.hydrogenBondDonors) }), HBA \(mean { Double($0.hydrogenBondAcceptors) }), rotatable \(mean { Double($0.rotatableBonds) }), QED (5 terms) \(mean(\.quantitativeDrugLikeness))")
        for (reason, count) in failures.sorted(by: { $0.value > $1.value }).prefix(10) { print("  \(count) × \(reason)") }
    }
}
