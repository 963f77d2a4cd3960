import Foundation
import XCTest
import _DiffuseTestSupport
import _DiffuseFuzzing
import DiffuseNN
import DiffuseTensor
@testable import DiffuseSequences

/// The sequence readers under the project's mutation fuzzer: FASTA, JASPAR, SMILES files,
/// molecules and model checkpoints either read or throw, never crash, on thousands of malformed
/// variants of valid inputs; each run also checks that some inputs are rejected (the mutations
/// reach the checks) and that accepted ones are well formed.
final class ReaderFuzzTests: XCTestCase {
    func testFASTAReader() {
        let seeds = [">a desc\nACGT\nacgt\n\n>b\nNNAC\n", ">x\nAC\nGT\n>y\nTTTT\n"].map { Data($0.utf8) }
        let result = Fuzzer(seeds: seeds, seed: 1).run(count: 4000) { data in
            let contents = try FASTAFile.parse(data, file: "fuzz.fa", ambiguousBases: .skipRecord)
            XCTAssertTrue(contents.records.allSatisfy { !$0.tokens.isEmpty && $0.tokens.allSatisfy { (0..<4).contains($0) } })
        }
        XCTAssertGreaterThan(result.rejected, 100)
    }

    func testJASPARReader() throws {
        let motif = ">MA0001.1\tTEST\tinsects\nA  [ 1 2 3 ]\nC  [ 4 5 6 ]\nG  [ 7 8 9 ]\nT  [ 0 1 2 ]\n"
        let seeds = [motif, motif + "\n" + motif.replacingOccurrences(of: "MA0001", with: "MA0002")].map { Data($0.utf8) }
        let result = Fuzzer(seeds: seeds, seed: 2).run(count: 4000) { data in
            guard let text = String(data: data, encoding: .utf8) else { throw SMILESTokenizer.Failure(column: nil, reason: "not UTF-8") }
            for pfm in try JASPARFile.parse(text, file: "fuzz.jaspar") {
                XCTAssertTrue(pfm.width > 0 && pfm.counts.allSatisfy { $0.count == pfm.width && $0.allSatisfy { $0 >= 0 && $0.isFinite } })
            }
        }
        XCTAssertGreaterThan(result.rejected, 100)
    }

    func testSMILESFilesAndMolecules() {
        let smiles = ["CC(C)(C)OC(=O)N1CCC[C@H]1C(=O)O", "Cc1ccc(-n2nc(C(F)(F)F)cc2-c2ccc(S(N)(=O)=O)cc2)cc1", "[O-][n+]1ccccc1", "C%12CC%12", "O=c1cc[nH]cc1"]
        let csv = Data(("SMILES,name\n" + smiles.map { $0 + ",x" }.joined(separator: "\n")).utf8)
        let smi = Data(smiles.joined(separator: "\n").utf8)
        let files = Fuzzer(seeds: [csv, smi], seed: 3).run(count: 3000) { data in
            guard let text = String(data: data, encoding: .utf8) else { throw SMILESTokenizer.Failure(column: nil, reason: "not UTF-8") }
            _ = try SMILESFile.parse(text, file: "fuzz.csv", csv: text.hasPrefix("SMILES"), invalid: .refuse)
        }
        XCTAssertGreaterThan(files.rejected, 100)
        let molecules = Fuzzer(seeds: smiles.map { Data($0.utf8) }, seed: 4).run(count: 6000) { data in
            guard let text = String(data: data, encoding: .utf8) else { throw SMILESTokenizer.Failure(column: nil, reason: "not UTF-8") }
            let molecule = try Molecule(smiles: text)
            let descriptors = MolecularDescriptors(molecule)
            XCTAssertTrue(descriptors.quantitativeDrugLikeness > 0 && descriptors.quantitativeDrugLikeness <= 1, text)
            _ = PathFingerprint(molecule)
        }
        XCTAssertGreaterThan(molecules.rejected, 1000)
        XCTAssertGreaterThan(molecules.accepted, 100)
    }

    /// A checkpoint's config.json, mutated: loading reads it or throws naming the folder.
    func testCheckpointConfiguration() throws {
        let network = DilatedConvolutionNetwork(hidden: 4, kernelSize: 3, dilations: [1], stacks: 1)
        let model = SequenceModel(configuration: .init(network: .convolution(network), length: 8, training: SequenceTrainingConfiguration()),
                                  parameters: network.makeParameters(as: Float.self, key: RandomKey(seed: 5)))
        let folder = try makeTemporaryFolder()
        try model.save(to: folder)
        let configURL = folder.appendingPathComponent("config.json")
        let valid = try Data(contentsOf: configURL)
        let result = Fuzzer(seeds: [valid], seed: 6).run(count: 600) { data in
            try data.write(to: configURL)
            do { _ = try SequenceModel.load(from: folder) } catch {
                XCTAssertTrue("\(error)".contains(folder.lastPathComponent), "\(error)")
                throw error
            }
        }
        XCTAssertGreaterThan(result.rejected, 100)
    }
}
