import XCTest
@testable import DiffuseSequences

/// The project's molecule validity check (valences, kekulisation), descriptors against
/// hand-computed values, fingerprints and generation metrics.
final class MoleculeTests: XCTestCase {
    func testKnownValidMolecules() throws {
        let valid = [
            "CCO", "c1ccccc1", "c1ccncc1", "c1cc[nH]c1", "Cn1cccc1", "O=c1cc[nH]cc1", "c1ccc2ccccc2c1", "c1ccccc1-c1ccccc1",
            "c1ccccc1c1ccccc1", "C[N+](C)(C)C", "[O-][n+]1ccccc1", "CS(=O)(=O)N", "c1ccsc1", "c1ccoc1", "C1CC1", "N#CC", "[Na+].[Cl-]",
            "C%10CC%10", "OC(=O)C", "c1cc2cc3ccccc3cc2cc1", "Cc1nc2ccccc2[nH]1", "O=C1NC(=O)c2ccccc21", "C[C@@H](N)C(=O)O",
            "[2H]C", "C=1CC1", "c1ccc(cc1)S(=O)(=O)N", "[cH-]1cccc1", "C[S+](C)C", "CC(C)(C)OC(=O)N1CCC[C@H]1C(=O)O",
            "Cc1ccc(-n2nc(C(F)(F)F)cc2-c2ccc(S(N)(=O)=O)cc2)cc1", "C[C@TH1H](F)Cl", "[OH-]",
        ]
        for smiles in valid {
            XCTAssertNoThrow(try Molecule(smiles: smiles), smiles)
        }
    }

    func testKnownInvalidMoleculesGetReasons() {
        let invalid: [(String, String)] = [
            ("c1cccc1", "kekulised"),          // five aromatic carbons: no alternating double bonds
            ("c1ccnc1", "kekulised"),          // pyrrole without its [nH]
            ("C(C)(C)(C)(C)C", "valence"),     // pentavalent carbon
            ("N(C)(C)(C)C", "valence"),        // neutral tetravalent nitrogen
            ("O=O=O", "valence"),
            ("F(F)F", "valence"),
            ("cc", "aromatic ring"),           // aromatic atoms in no ring
            ("C1CC", "never closed"),
            ("C=1CC#1", "two different bond symbols"),
            ("[Xx]", "unknown"),
            ("C*C", "wildcard"),
            ("C[N+](C)(C)(C)C", "valence"),
            ("[C+99999999999999999999]", "out of range"),     // N⁺ is tetravalent like C
        ]
        for (smiles, reason) in invalid {
            XCTAssertThrowsError(try Molecule(smiles: smiles), smiles) { error in
                XCTAssertTrue("\(error)".contains(reason), "\(smiles): \(error)")
            }
        }
    }

    func testDescriptorsAgainstHandCountedValues() throws {
        func descriptors(_ s: String) throws -> MolecularDescriptors { MolecularDescriptors(try Molecule(smiles: s)) }
        let ethanol = try descriptors("CCO")
        XCTAssertEqual(ethanol.heavyAtoms, 3)
        XCTAssertEqual(ethanol.molecularWeight, 2 * 12.011 + 6 * 1.008 + 15.999, accuracy: 1e-9)   // C2H6O
        XCTAssertEqual([ethanol.hydrogenBondDonors, ethanol.hydrogenBondAcceptors, ethanol.rings, ethanol.rotatableBonds], [1, 1, 0, 0])
        let benzene = try descriptors("c1ccccc1")
        XCTAssertEqual(benzene.molecularWeight, 6 * 12.011 + 6 * 1.008, accuracy: 1e-9)
        XCTAssertEqual([benzene.rings, benzene.aromaticRings], [1, 1])
        XCTAssertEqual(try descriptors("c1ccc2ccccc2c1").aromaticRings, 2)
        let biphenyl = try descriptors("c1ccccc1-c1ccccc1")
        XCTAssertEqual([biphenyl.rings, biphenyl.aromaticRings, biphenyl.rotatableBonds], [2, 2, 1])
        XCTAssertEqual(try descriptors("c1ccncc1").hydrogenBondAcceptors, 1)
        let pyrrole = try descriptors("c1cc[nH]c1")
        XCTAssertEqual([pyrrole.hydrogenBondDonors, pyrrole.hydrogenBondAcceptors], [1, 0])
        XCTAssertEqual(try descriptors("O").hydrogenBondAcceptors, 0)            // water is no acceptor
        let acetamide = try descriptors("CC(N)=O")                           // the amide N is no acceptor
        XCTAssertEqual([acetamide.hydrogenBondDonors, acetamide.hydrogenBondAcceptors], [1, 1])
        let triethylamine = try descriptors("CCN(CC)CC")
        XCTAssertEqual([triethylamine.hydrogenBondDonors, triethylamine.hydrogenBondAcceptors, triethylamine.rotatableBonds], [0, 1, 3])
        XCTAssertEqual(try descriptors("CC(=O)NC").rotatableBonds, 0)        // amide C–N left out
        XCTAssertEqual(try descriptors("C1CC2CCC1C2").rings, 2)              // bicyclic: bonds − atoms + 1
        // Golden values of the five-term QED from the same formula and parameters in Python:
        // python3 -c 'import math; …' (desirability A + B/(1+e^{−(x−C+D/2)/E})·(1 − 1/(1+e^{−(x−C−D/2)/F})), /DMAX; weighted geometric mean)
        XCTAssertEqual(benzene.quantitativeDrugLikeness, 0.30617671995794593, accuracy: 1e-12)
        XCTAssertEqual(ethanol.quantitativeDrugLikeness, 0.29536082464585073, accuracy: 1e-12)
    }

    func testKekuleStructuresHaveAlternatingBonds() throws {
        let benzene = try Molecule(smiles: "c1ccccc1")
        XCTAssertEqual(benzene.bonds.map(\.order).sorted(), [1, 1, 1, 2, 2, 2])
        XCTAssertEqual(benzene.atoms.map(\.hydrogens), [1, 1, 1, 1, 1, 1])
        let pyridone = try Molecule(smiles: "O=c1cc[nH]cc1")
        XCTAssertEqual(pyridone.atoms.map(\.hydrogens), [0, 0, 1, 1, 1, 1, 1])
    }

    func testFingerprintsAndMetrics() throws {
        let a = PathFingerprint(try Molecule(smiles: "CCO")), b = PathFingerprint(try Molecule(smiles: "OCC"))
        XCTAssertEqual(a, b)                                                 // paths read in both directions
        XCTAssertEqual(PathFingerprint.tanimoto(a, b), 1)
        let c = PathFingerprint(try Molecule(smiles: "c1ccccc1"))
        XCTAssertLessThan(PathFingerprint.tanimoto(a, c), 0.2)
        let metrics = MoleculeMetrics(["CCO", "CCO", "c1ccccc1", "C1CC", "CCN"], training: ["CCN"])
        XCTAssertEqual(metrics.validity, 0.8)
        XCTAssertEqual(metrics.uniqueness, 0.75)
        XCTAssertEqual(metrics.novelty, 2.0 / 3.0, accuracy: 1e-12)
        XCTAssertGreaterThan(metrics.internalDiversity, 0)
    }
}

/// Found by the fuzzer's atom oracle: a chirality class without its number swallowed an H.
final class ChiralityClassTests: XCTestCase {
    func testAChiralityClassNeedsItsNumber() {
        XCTAssertThrowsError(try Molecule(smiles: "C[C@OH]O")) { XCTAssertTrue("\($0)".contains("without its number"), "\($0)") }
        XCTAssertNoThrow(try Molecule(smiles: "C[C@TH1H](F)Cl"))
    }
}
