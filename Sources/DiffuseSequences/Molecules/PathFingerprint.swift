/// A hashed path fingerprint of a ``Molecule`` (in the manner of Daylight-style topological
/// fingerprints, defined here): every simple path of 1 to `maximumLength` bonds (and every single
/// atom) is written as the sequence of its atom labels (element, aromatic, charge, hydrogen
/// count) and bond orders, read in the lexicographically smaller of its two directions, hashed
/// with 64-bit FNV-1a and folded to one of `bits` bits. ``tanimoto(_:_:)`` compares two.
public struct PathFingerprint: Hashable, Sendable {
    public let bits: Int
    /// Set bits as 64-bit words.
    public let words: [UInt64]

    public init(_ molecule: Molecule, maximumLength: Int = 5, bits: Int = 2048) {
        precondition(bits >= 64 && bits % 64 == 0, "the fingerprint length must be a positive multiple of 64, got \(bits)")
        precondition(maximumLength >= 0, "the path length must be non-negative")
        self.bits = bits
        var words = [UInt64](repeating: 0, count: bits / 64)
        let atoms = molecule.atoms, bonds = molecule.bonds, adjacency = molecule.adjacency
        let labels = atoms.map { a -> UInt64 in
            UInt64(a.element.atomicNumber) | (a.isAromatic ? 1 << 8 : 0) | UInt64(bitPattern: Int64(a.charge + 8) & 0xF) << 9 | UInt64(a.hydrogens & 0x7) << 13
        }
        func set(_ sequence: [UInt64]) {
            let reversed = Array(sequence.reversed())
            let canonical = sequence.lexicographicallyPrecedes(reversed) ? sequence : reversed
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for value in canonical {
                for byte in 0..<8 { hash = (hash ^ ((value >> (8 * UInt64(byte))) & 0xFF)) &* 0x0000_0100_0000_01B3 }
            }
            let bit = Int(hash % UInt64(bits))
            words[bit / 64] |= 1 << UInt64(bit % 64)
        }
        // Depth-first enumeration of simple paths from every atom; each path is seen from both
        // ends and set twice to the same bit.
        var path: [Int] = [], sequence: [UInt64] = []
        var onPath = [Bool](repeating: false, count: atoms.count)
        func extend(_ atom: Int, length: Int) {
            set(sequence)
            guard length < maximumLength else { return }
            for (next, bond) in adjacency[atom] where !onPath[next] {
                onPath[next] = true; path.append(next)
                sequence += [UInt64(100 + bonds[bond].order + (bonds[bond].isAromatic ? 10 : 0)), labels[next]]
                extend(next, length: length + 1)
                sequence.removeLast(2); path.removeLast(); onPath[next] = false
            }
        }
        for start in atoms.indices {
            onPath[start] = true; path = [start]; sequence = [labels[start]]
            extend(start, length: 0)
            onPath[start] = false
        }
        self.words = words
    }

    public var setBitCount: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }

    /// |A ∩ B| / |A ∪ B| (1 for two empty fingerprints).
    public static func tanimoto(_ a: PathFingerprint, _ b: PathFingerprint) -> Double {
        precondition(a.bits == b.bits, "fingerprints of different lengths")
        var both = 0, either = 0
        for (x, y) in zip(a.words, b.words) { both += (x & y).nonzeroBitCount; either += (x | y).nonzeroBitCount }
        return either == 0 ? 1 : Double(both) / Double(either)
    }
}
