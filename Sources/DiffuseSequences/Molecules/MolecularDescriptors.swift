import Foundation

/// Descriptors of a ``Molecule`` that follow exactly from its graph, and a drug-likeness score
/// built from them.
///
/// - heavy atoms: atoms other than hydrogen;
/// - rings: the cyclomatic number bonds − atoms + connected parts (the size of a smallest set
///   of smallest rings); aromatic rings: the same over the aromatic bonds alone;
/// - molecular weight: standard atomic weights of all atoms and their hydrogens;
/// - hydrogen-bond donors (Lipinski's as in RDKit's `NumHBD`): N with H at valence 3 (or N⁺ at
///   4), O with one H, S with one H, aromatic n with H, all uncharged except N⁺;
/// - hydrogen-bond acceptors (the acceptor patterns of QED, Bickerton et al. 2012, per atom):
///   aromatic o with two neighbours; uncharged O of valence 2 with at most one H and at most two
///   connections (hydroxyl, ether, carbonyl; not water); O⁻ with one connection (hydrogens
///   included); uncharged S with no H at valence 2 and one
///   or two connections; S⁻ with one neighbour; aromatic n with no H and two neighbours; uncharged
///   N with no H, one neighbour and valence 3 (nitrile); uncharged N with three connections at
///   valence 3 not bonded to an aliphatic C or S that carries a double-bonded O (amines, not
///   amides);
/// - rotatable bonds: single bonds in no ring between two atoms that each have at least two heavy
///   neighbours, neither in a triple bond, leaving out amide C(=O)–N bonds.
///
/// ``quantitativeDrugLikeness`` is QED's weighted geometric mean of desirability functions
/// (Bickerton et al. 2012, with the parameters and mean weights of RDKit's QED module) over the
/// five properties above it can compute exactly — MW, HBA, HBD, rotatable bonds, aromatic rings —
/// leaving out ALOGP, polar surface area and structural alerts (they need atom typing and SMARTS
/// matching this library does not do). It is in (0, 1]; it is not RDKit's QED value.
public struct MolecularDescriptors: Sendable, Equatable {
    public var heavyAtoms: Int
    public var rings: Int
    public var aromaticRings: Int
    public var molecularWeight: Double
    public var hydrogenBondDonors: Int
    public var hydrogenBondAcceptors: Int
    public var rotatableBonds: Int

    public init(_ molecule: Molecule) {
        let atoms = molecule.atoms, bonds = molecule.bonds, adjacency = molecule.adjacency
        heavyAtoms = atoms.filter { $0.element.atomicNumber > 1 }.count
        molecularWeight = atoms.reduce(0) { $0 + $1.element.atomicWeight + Double($1.hydrogens) * Self.hydrogenWeight }
        rings = Self.cyclomaticNumber(atomCount: atoms.count, edges: bonds.map(\.atoms))
        let aromaticEdges = bonds.filter(\.isAromatic).map(\.atoms)
        aromaticRings = Self.cyclomaticNumber(atomCount: atoms.count, edges: aromaticEdges)
        func valence(_ a: Int) -> Int { atoms[a].hydrogens + adjacency[a].reduce(0) { $0 + bonds[$1.bond].order } }
        func isSymbol(_ a: Int, _ s: String) -> Bool { atoms[a].element.symbol == s }
        var donors = 0, acceptors = 0
        for (a, atom) in atoms.enumerated() {
            let h = atom.hydrogens, degree = adjacency[a].count, connections = degree + h, v = valence(a)
            switch (atom.element.symbol, atom.isAromatic) {
            case ("N", false):
                if h > 0 && ((atom.charge == 0 && v == 3) || (atom.charge == 1 && v == 4)) { donors += 1 }
                if atom.charge == 0 && h == 0 && degree == 1 && v == 3 { acceptors += 1 }
                if atom.charge == 0 && connections == 3 && v == 3 {
                    let amideLike = adjacency[a].contains { n in
                        (isSymbol(n.atom, "C") || isSymbol(n.atom, "S")) && !atoms[n.atom].isAromatic
                            && adjacency[n.atom].contains { m in isSymbol(m.atom, "O") && bonds[m.bond].order == 2 }
                    }
                    if !amideLike { acceptors += 1 }
                }
            case ("N", true):
                if atom.charge == 0 && h == 1 { donors += 1 }
                if atom.charge == 0 && h == 0 && degree == 2 { acceptors += 1 }
            case ("O", false):
                if atom.charge == 0 && h == 1 { donors += 1 }
                if atom.charge == 0 && v == 2 && h <= 1 && connections <= 2 { acceptors += 1 }
                if atom.charge == -1 && connections == 1 { acceptors += 1 }
            case ("O", true):
                if atom.charge == 0 && h == 0 && degree == 2 { acceptors += 1 }
            case ("S", false):
                if atom.charge == 0 && h == 1 { donors += 1 }
                if atom.charge == 0 && h == 0 && v == 2 && (1...2).contains(degree) { acceptors += 1 }
                if atom.charge == -1 && degree == 1 { acceptors += 1 }
            default: break
            }
        }
        hydrogenBondDonors = donors
        hydrogenBondAcceptors = acceptors
        let bridges = molecule.bridges()
        func heavyDegree(_ a: Int) -> Int { adjacency[a].filter { atoms[$0.atom].element.atomicNumber > 1 }.count }
        func inTriple(_ a: Int) -> Bool { adjacency[a].contains { bonds[$0.bond].order == 3 } }
        func isAmideCarbon(_ c: Int) -> Bool { isSymbol(c, "C") && adjacency[c].contains { isSymbol($0.atom, "O") && bonds[$0.bond].order == 2 } }
        rotatableBonds = bonds.indices.filter { k in
            let (a, b) = bonds[k].atoms
            guard bonds[k].order == 1, bridges.contains(k), heavyDegree(a) >= 2, heavyDegree(b) >= 2, !inTriple(a), !inTriple(b) else { return false }
            let amide = (isAmideCarbon(a) && isSymbol(b, "N")) || (isAmideCarbon(b) && isSymbol(a, "N"))
            return !amide
        }.count
    }

    /// Edges − vertices + components of the graph the edges form: the edges that close a cycle.
    static func cyclomaticNumber(atomCount: Int, edges: [(Int, Int)]) -> Int {
        var parent = Array(0..<atomCount)
        func root(_ x: Int) -> Int { var x = x; while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }; return x }
        var cycles = 0
        for (a, b) in edges {
            let ra = root(a), rb = root(b)
            if ra == rb { cycles += 1 } else { parent[ra] = rb }
        }
        return cycles
    }

    static let hydrogenWeight = 1.008

    /// QED's asymmetric double sigmoid desirability, d(x) = ADS(x)/DMAX.
    struct Desirability {
        var a, b, c, d, e, f, dmax: Double
        func callAsFunction(_ x: Double) -> Double {
            let rise = 1 / (1 + Foundation.exp(-(x - c + d / 2) / e))
            let fall = 1 - 1 / (1 + Foundation.exp(-(x - c - d / 2) / f))
            return (a + b * rise * fall) / dmax
        }
    }

    /// QED's parameters (RDKit `QED.adsParameters`) and mean weights (`WEIGHT_MEAN`) for MW,
    /// HBA, HBD, rotatable bonds and aromatic rings.
    static let qedTerms: [(weight: Double, desirability: Desirability, property: KeyPath<MolecularDescriptors, Double>)] = [
        (0.66, Desirability(a: 2.817065973, b: 392.5754953, c: 290.7489764, d: 2.419764353, e: 49.22325677, f: 65.37051707, dmax: 104.9805561), \.molecularWeight),
        (0.05, Desirability(a: 2.948620388, b: 160.4605972, c: 3.615294657, d: 4.435986202, e: 0.290141953, f: 1.300669958, dmax: 148.7763046), \.acceptorCount),
        (0.61, Desirability(a: 1.618662227, b: 1010.051101, c: 0.985094388, d: 0.000000001, e: 0.713820843, f: 0.920922555, dmax: 258.1632616), \.donorCount),
        (0.65, Desirability(a: 0.010000000, b: 272.4121427, c: 2.558379970, d: 1.565547684, e: 1.271567166, f: 2.758063707, dmax: 105.4420403), \.rotatableCount),
        (0.48, Desirability(a: 3.217788970, b: 957.7374108, c: 2.274627939, d: 0.000000001, e: 1.317690384, f: 0.375760881, dmax: 312.3372610), \.aromaticRingCount),
    ]

    var acceptorCount: Double { Double(hydrogenBondAcceptors) }
    var donorCount: Double { Double(hydrogenBondDonors) }
    var rotatableCount: Double { Double(rotatableBonds) }
    var aromaticRingCount: Double { Double(aromaticRings) }

    /// The five-property QED described above, in (0, 1].
    public var quantitativeDrugLikeness: Double {
        let total = Self.qedTerms.reduce(0) { $0 + $1.weight }
        let logSum = Self.qedTerms.reduce(0) { $0 + $1.weight * Foundation.log(Swift.max($1.desirability(self[keyPath: $1.property]), 1e-300)) }
        return Foundation.exp(logSum / total)
    }
}
