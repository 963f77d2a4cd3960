/// A molecule read from SMILES and checked as chemistry, not only as grammar: the atoms and
/// bonds of the string, aromatic rings given a Kekulé structure, every atom within its allowed
/// valences, implicit hydrogens added. ``init(smiles:)`` throws ``SMILESTokenizer/Failure`` with
/// the reason when the string is not a valid molecule; this is the project's validity check.
///
/// The rules (those of common toolkits, stated here so results can be checked):
/// - grammar as ``SMILESTokenizer/checkSyntax(_:)``; bracket atoms `[isotope symbol chirality
///   Hcount charge :class]` with a known element (``ChemicalElement``), charges up to ±15;
/// - bonds: `-` `/` `\` single, `=` double, `#` triple, `$` quadruple, `:` aromatic; an unwritten
///   bond is aromatic between two aromatic atoms and single otherwise; an aromatic bond that is in
///   no ring (biphenyl written `c1ccccc1c1ccccc1`) is single; a ring closure whose two ends give
///   different bond symbols is an error;
/// - aromatic atoms (`b c n o p s`, `se`, `as` and bracket forms) must be in a ring. Each needs a
///   double bond inside the aromatic system when its allowed valence exceeds its bonds (aromatic
///   ones counted once) plus explicit hydrogens — c (unless it has an exocyclic double bond),
///   pyridine-type n, [n+]; not [nH], o, s or n with three neighbours. Those atoms must be paired by aromatic bonds (a perfect matching);
///   otherwise the ring cannot be kekulised and the molecule is invalid;
/// - valence: with the Kekulé bond orders, the bonds plus explicit hydrogens of an atom must not
///   exceed its largest allowed valence at its charge; an organic-subset atom gets implicit
///   hydrogens up to the smallest allowed valence at or above its bonds.
///
/// Limitations: stereochemistry is read and ignored; no canonical form (two strings of one
/// molecule are two molecules to ``MoleculeMetrics`` uniqueness and novelty).
public struct Molecule: Sendable, Equatable {
    public struct Atom: Sendable, Equatable {
        public var element: ChemicalElement
        public var isAromatic: Bool
        public var charge: Int
        /// Hydrogens on the atom: written in brackets, or implicit for the organic subset.
        public var hydrogens: Int
        public var isBracket: Bool
    }

    public struct Bond: Sendable, Equatable {
        public var atoms: (Int, Int)
        /// 1, 2, 3 or 4 after kekulisation.
        public var order: Int
        /// Whether the bond was aromatic in the string (and is in a ring).
        public var isAromatic: Bool

        public static func == (a: Bond, b: Bond) -> Bool { a.atoms == b.atoms && a.order == b.order && a.isAromatic == b.isAromatic }
    }

    public private(set) var atoms: [Atom] = []
    public private(set) var bonds: [Bond] = []

    /// Reads and checks a SMILES string.
    public init(smiles: String) throws {
        let tokens = try SMILESTokenizer.tokens(smiles)
        try SMILESTokenizer.checkSyntax(tokens)
        try build(tokens)
        try resolveAromaticity()
        try assignHydrogensAndCheckValences()
    }

    /// Whether `smiles` is a valid molecule by these rules.
    public static func isValid(_ smiles: String) -> Bool { (try? Molecule(smiles: smiles)) != nil }

    /// Neighbours of each atom with the bond index.
    public var adjacency: [[(atom: Int, bond: Int)]] {
        var out = [[(atom: Int, bond: Int)]](repeating: [], count: atoms.count)
        for (k, b) in bonds.enumerated() {
            out[b.atoms.0].append((b.atoms.1, k))
            out[b.atoms.1].append((b.atoms.0, k))
        }
        return out
    }

    // MARK: Reading

    typealias Failure = SMILESTokenizer.Failure
    /// A bond symbol as written: nil when none was written.
    enum WrittenBond { case single, double, triple, quadruple, aromatic }

    mutating func build(_ tokens: [String]) throws {
        var previous: Int? = nil
        var pending: WrittenBond? = nil
        var branches: [Int?] = []
        var rings: [String: (atom: Int, bond: WrittenBond?)] = [:]
        func connect(_ a: Int, _ b: Int, _ written: WrittenBond?) throws {
            guard a != b, !bonds.contains(where: { ($0.atoms.0 == a && $0.atoms.1 == b) || ($0.atoms.0 == b && $0.atoms.1 == a) }) else {
                throw Failure(column: nil, reason: "atoms \(a + 1) and \(b + 1) are bonded twice")
            }
            let aromatic = written == .aromatic || (written == nil && atoms[a].isAromatic && atoms[b].isAromatic)
            let order: Int
            switch written {
            case .double: order = 2
            case .triple: order = 3
            case .quadruple: order = 4
            default: order = 1
            }
            bonds.append(Bond(atoms: (a, b), order: order, isAromatic: aromatic))
        }
        for token in tokens {
            switch token {
            case "(": branches.append(previous)
            case ")": previous = branches.removeLast()
            case ".": previous = nil
            case "-", "/", "\\": pending = .single
            case "=": pending = .double
            case "#": pending = .triple
            case "$": pending = .quadruple
            case ":": pending = .aromatic
            case _ where SMILESTokenizer.isRingClosure(token):
                guard let atom = previous else { throw Failure(column: nil, reason: "ring closure \(token) has no atom") }
                if let open = rings.removeValue(forKey: token) {
                    if let a = open.bond, let b = pending, a != b { throw Failure(column: nil, reason: "ring closure \(token) has two different bond symbols") }
                    try connect(open.atom, atom, open.bond ?? pending)
                } else {
                    rings[token] = (atom, pending)
                }
                pending = nil
            default:
                let atom = try Self.atom(token)
                atoms.append(atom)
                let index = atoms.count - 1
                if let p = previous { try connect(p, index, pending) }
                pending = nil
                previous = index
            }
        }
    }

    /// An atom token: an organic-subset symbol or a bracket atom.
    static func atom(_ token: String) throws -> Atom {
        if token == "*" { throw Failure(column: nil, reason: "the wildcard atom * is not a molecule") }
        guard token.hasPrefix("[") else {
            let aromatic = token.first!.isLowercase
            let symbol = aromatic ? token.prefix(1).uppercased() + token.dropFirst() : token
            guard let element = ChemicalElement.named(symbol) else { throw Failure(column: nil, reason: "unknown atom \(token)") }
            return Atom(element: element, isAromatic: aromatic, charge: 0, hydrogens: 0, isBracket: false)
        }
        var s = Substring(token.dropFirst().dropLast())
        while let c = s.first, c.isNumber { s.removeFirst() }                      // isotope
        guard let first = s.first, first.isLetter else { throw Failure(column: nil, reason: "bracket atom \(token) has no element") }
        var symbol: String
        var aromatic = false
        if first.isLowercase {
            aromatic = true
            let two = String(s.prefix(2))
            if ["se", "as", "te"].contains(two) { symbol = two.prefix(1).uppercased() + two.dropFirst(); s.removeFirst(2) } else { symbol = first.uppercased(); s.removeFirst() }
            guard ["B", "C", "N", "O", "P", "S", "Se", "As", "Te"].contains(symbol) else { throw Failure(column: nil, reason: "\(token): '\(first)' cannot be aromatic") }
        } else {
            symbol = String(first)
            s.removeFirst()
            if let next = s.first, next.isLowercase, ChemicalElement.named(symbol + String(next)) != nil { symbol += String(next); s.removeFirst() }
        }
        guard let element = ChemicalElement.named(symbol) else { throw Failure(column: nil, reason: "\(token): unknown element \(symbol)") }
        if s.first == "@" {                                                          // chirality, ignored
            s.removeFirst()
            if s.first == "@" {
                s.removeFirst()
            } else if let kind = ["TH", "AL", "SP", "TB", "OH"].first(where: { s.hasPrefix($0) }) {
                s.removeFirst(kind.count)
                // A chirality class needs its number (OpenSMILES: @TH1, @OH12): "@OH" alone is
                // not a class, and reading it as one would swallow an H.
                guard let c = s.first, c.isASCII, c.isNumber else { throw Failure(column: nil, reason: "\(token): chirality class @\(kind) without its number") }
                while let c = s.first, c.isASCII, c.isNumber { s.removeFirst() }
            }
        }
        var hydrogens = 0
        if s.first == "H" {
            s.removeFirst()
            hydrogens = 1
            if let d = s.first, d.isNumber { hydrogens = d.wholeNumberValue!; s.removeFirst() }
        }
        var charge = 0
        if let sign = s.first, sign == "+" || sign == "-" {
            let unit = sign == "+" ? 1 : -1
            s.removeFirst()
            if let d = s.first, d.isNumber {
                var value = 0
                while let d = s.first, d.isNumber {
                    value = value * 10 + (d.wholeNumberValue ?? 0)
                    s.removeFirst()
                    guard value <= 15 else { throw Failure(column: nil, reason: "\(token): the charge is out of range (at most 15)") }
                }
                charge = unit * value
            } else {
                charge = unit
                while s.first == sign { charge += unit; s.removeFirst() }
            }
        }
        if s.first == ":" {
            s.removeFirst()
            guard !s.isEmpty, s.allSatisfy(\.isNumber) else { throw Failure(column: nil, reason: "\(token): atom class must be digits") }
            s = ""
        }
        guard s.isEmpty else { throw Failure(column: nil, reason: "bracket atom \(token) has unreadable '\(s)'") }
        return Atom(element: element, isAromatic: aromatic, charge: charge, hydrogens: hydrogens, isBracket: true)
    }

    // MARK: Aromaticity

    /// Bonds in no cycle (bridges), by depth-first search with low-links.
    func bridges() -> Set<Int> {
        let adjacency = self.adjacency
        var order = [Int](repeating: -1, count: atoms.count), low = [Int](repeating: 0, count: atoms.count)
        var counter = 0
        var result = Set<Int>()
        for root in atoms.indices where order[root] < 0 {
            // Iterative DFS: (atom, bond used to enter, next neighbour index).
            var stack: [(atom: Int, via: Int, next: Int)] = [(root, -1, 0)]
            order[root] = counter; low[root] = counter; counter += 1
            while !stack.isEmpty {
                let (v, via, next) = stack[stack.count - 1]
                if next < adjacency[v].count {
                    stack[stack.count - 1].next += 1
                    let (w, bond) = adjacency[v][next]
                    if bond == via { continue }
                    if order[w] < 0 {
                        order[w] = counter; low[w] = counter; counter += 1
                        stack.append((w, bond, 0))
                    } else {
                        low[v] = Swift.min(low[v], order[w])
                    }
                } else {
                    stack.removeLast()
                    if let parent = stack.last {
                        low[parent.atom] = Swift.min(low[parent.atom], low[v])
                        if low[v] > order[parent.atom] { result.insert(via) }
                    }
                }
            }
        }
        return result
    }

    /// The bonds plus hydrogens an atom has with every bond counted at its written order and
    /// aromatic bonds once.
    func singleCountedValence(_ a: Int, adjacency: [[(atom: Int, bond: Int)]]) -> Int {
        atoms[a].hydrogens + adjacency[a].reduce(0) { $0 + (bonds[$1.bond].isAromatic ? 1 : bonds[$1.bond].order) }
    }

    mutating func resolveAromaticity() throws {
        for bond in bridges() where bonds[bond].isAromatic { bonds[bond].isAromatic = false }
        let adjacency = self.adjacency
        for (a, atom) in atoms.enumerated() where atom.isAromatic {
            guard adjacency[a].contains(where: { bonds[$0.bond].isAromatic }) else {
                throw Failure(column: nil, reason: "aromatic atom \(a + 1) (\(atom.element.symbol.lowercased())) is not in an aromatic ring")
            }
        }
        // Atoms that need a double bond inside the aromatic system.
        var needs = [Bool](repeating: false, count: atoms.count)
        for (a, atom) in atoms.enumerated() where atom.isAromatic {
            let used = singleCountedValence(a, adjacency: adjacency)
            guard let allowed = atom.element.valences(charge: atom.charge).first(where: { $0 >= used }) else {
                throw Failure(column: nil, reason: "aromatic atom \(a + 1) (\(atom.element.symbol)) has more bonds than its valence allows")
            }
            needs[a] = allowed - used >= 1
        }
        // Pair them by aromatic bonds: a perfect matching by backtracking, most constrained first
        // (recursion one level per pair, so the system's size is bounded first).
        guard needs.filter({ $0 }).count <= 2_000 else { throw Failure(column: nil, reason: "the aromatic system is too large to kekulise (more than 2 000 atoms)") }
        var partner = [Int?](repeating: nil, count: atoms.count)
        var budget = 100_000
        func candidates(_ a: Int) -> [(atom: Int, bond: Int)] {
            adjacency[a].filter { bonds[$0.bond].isAromatic && needs[$0.atom] && partner[$0.atom] == nil }
        }
        func match() -> Bool {
            budget -= 1
            if budget < 0 { return false }
            var best: Int? = nil, bestCount = Int.max
            for a in atoms.indices where needs[a] && partner[a] == nil {
                let c = candidates(a).count
                if c < bestCount { best = a; bestCount = c }
                if c == 0 { return false }
            }
            guard let a = best else { return true }
            for (b, _) in candidates(a) {
                partner[a] = b; partner[b] = a
                if match() { return true }
                partner[a] = nil; partner[b] = nil
            }
            return false
        }
        guard match() else {
            throw Failure(column: nil, reason: budget < 0 ? "the aromatic system is too large to kekulise" : "the aromatic ring cannot be kekulised (no alternating double bonds)")
        }
        for (k, bond) in bonds.enumerated() where bond.isAromatic {
            bonds[k].order = partner[bond.atoms.0] == bond.atoms.1 ? 2 : 1
        }
    }

    // MARK: Valence

    mutating func assignHydrogensAndCheckValences() throws {
        let adjacency = self.adjacency
        for (a, atom) in atoms.enumerated() {
            let bonded = adjacency[a].reduce(0) { $0 + bonds[$1.bond].order }
            let allowed = atom.element.valences(charge: atom.charge)
            guard let maximum = allowed.last else {
                throw Failure(column: nil, reason: "atom \(a + 1) (\(atom.element.symbol), charge \(atom.charge)) has no allowed valence")
            }
            if atom.isBracket {
                guard bonded + atom.hydrogens <= maximum else {
                    throw Failure(column: nil, reason: "atom \(a + 1) (\(atom.element.symbol)) has valence \(bonded + atom.hydrogens), more than \(maximum)")
                }
            } else {
                guard let target = allowed.first(where: { $0 >= bonded }) else {
                    throw Failure(column: nil, reason: "atom \(a + 1) (\(atom.element.symbol)) has valence \(bonded), more than \(maximum)")
                }
                atoms[a].hydrogens = target - bonded
            }
        }
    }
}
