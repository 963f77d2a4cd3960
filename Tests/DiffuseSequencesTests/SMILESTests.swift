import Foundation
import XCTest
@testable import DiffuseSequences

final class SMILESTests: XCTestCase {
    func testTokenizerSplitsAtomsBondsRingsAndBrackets() throws {
        XCTAssertEqual(try SMILESTokenizer.tokens("CC(=O)Oc1ccccc1C(=O)O"),
                       ["C", "C", "(", "=", "O", ")", "O", "c", "1", "c", "c", "c", "c", "c", "1", "C", "(", "=", "O", ")", "O"])
        XCTAssertEqual(try SMILESTokenizer.tokens("ClCBr"), ["Cl", "C", "Br"])
        XCTAssertEqual(try SMILESTokenizer.tokens("[NH4+].[Cl-]"), ["[NH4+]", ".", "[Cl-]"])
        XCTAssertEqual(try SMILESTokenizer.tokens("C%12CC%12"), ["C", "%12", "C", "C", "%12"])
        XCTAssertEqual(try SMILESTokenizer.tokens("F/C=C/F"), ["F", "/", "C", "=", "C", "/", "F"])
        XCTAssertEqual(try SMILESTokenizer.tokens("[C@@H](N)(C)O"), ["[C@@H]", "(", "N", ")", "(", "C", ")", "O"])
    }

    func testInvalidSMILESGetNamedErrors() {
        func failure(_ s: String) -> String {
            do { try SMILESTokenizer.checkSyntax(try SMILESTokenizer.tokens(s)); return "valid" } catch { return "\(error)" }
        }
        XCTAssertTrue(failure("CXC").contains("column 2: 'X' is not a SMILES symbol"), failure("CXC"))
        XCTAssertTrue(failure("C[NH4").contains("unclosed bracket atom"))
        XCTAssertTrue(failure("C%1C").contains("two digits"))
        XCTAssertTrue(failure("c1cccc").contains("ring closure 1 opened at token 2 is never closed"), failure("c1cccc"))
        XCTAssertTrue(failure("CC(C").contains("unclosed branch"))
        XCTAssertTrue(failure("CC)C").contains("unbalanced ')'"))
        XCTAssertTrue(failure("CC=").contains("ends with a bond"))
        XCTAssertTrue(failure("=CC").contains("no atom before it"))
        XCTAssertTrue(failure("(C)C").contains("no atom before it"))
        XCTAssertEqual(failure(""), "empty SMILES")
        for valid in ["CCO", "c1ccccc1", "C1CC1C2CC2", "CC(C)(C)C", "O=C=O", "C#N", "[Na+].[Cl-]", "C1=CC=CC=C1", "CC(=O)N1CCC(CC1)C(=O)O",
                      "C=1(C)CC1", "[*]", "c1(C)ccccc1", "[13CH3]C", "O=[N+][O-]", "C%10CC%10", "C=1CC1", "F/C=C\\F", "c1cc[nH]c1", "C12CC1C2"] {
            XCTAssertEqual(failure(valid), "valid", valid)
        }
        for invalid in ["C()C", "C.", ".C", "C..C", "C=.C", "C(C)=1CC1", "C11", "[C.C]", "[C=O]"] {
            XCTAssertNotEqual(failure(invalid), "valid", invalid)
        }
    }

    func testReadersVocabularyAndPolicies() throws {
        let csv = try SMILESFile.parse("SMILES\nCCO\nc1ccccc1\n", file: "m.csv", csv: true)
        XCTAssertEqual(csv.molecules.map(\.smiles), ["CCO", "c1ccccc1"])
        let smi = try SMILESFile.parse("CCO ethanol\n\nClC\tchloromethane\r\n", file: "m.smi", csv: false)
        XCTAssertEqual(smi.molecules.map(\.smiles), ["CCO", "ClC"])
        XCTAssertThrowsError(try SMILESFile.parse("name\nCCO\n", file: "m.csv", csv: true)) { XCTAssertTrue("\($0)".contains("m.csv:1: no SMILES column")) }
        XCTAssertThrowsError(try SMILESFile.parse("CCO\nC1CC\n", file: "m.smi", csv: false)) { XCTAssertTrue("\($0)".contains("m.smi:2: 'C1CC': ring closure 1"), "\($0)") }
        let skipped = try SMILESFile.parse("CCO\nC1CC\nCXC\nCC\n", file: "m.smi", csv: false, invalid: .skip)
        XCTAssertEqual(skipped.molecules.map(\.smiles), ["CCO", "CC"])
        XCTAssertEqual(skipped.skipped, 2)
        let vocabulary = SMILESVocabulary(fittedOn: csv.molecules.map(\.tokens))
        XCTAssertEqual(vocabulary.tokens, ["<pad>", "1", "C", "O", "c"])
        let encoded = try vocabulary.encode(["C", "C", "O"], length: 5)
        XCTAssertEqual(encoded, [2, 2, 3, 0, 0])
        XCTAssertEqual(vocabulary.decode(encoded), "CCO")
        // A generated sequence with tokens after padding is no molecule.
        XCTAssertNil(vocabulary.decode([encoded[0], 0, encoded[1]]))
        XCTAssertThrowsError(try vocabulary.encode(["N"], length: 5)) { XCTAssertTrue("\($0)".contains("'N' is not in the vocabulary")) }
        XCTAssertThrowsError(try vocabulary.encode(["C", "C"], length: 1))
    }
}
