/// The elements a SMILES string may name here: symbol, atomic number, standard atomic weight
/// (IUPAC, abridged, g/mol) and the valences an uncharged atom may have (the default valences of
/// common cheminformatics toolkits: C 4; N 3; O 2; P and As 3, 5, 7; S 2, 4, 6; halogens 1;
/// iodine 1, 3, 5).
/// A charged atom takes the valences of the element whose atomic number is its own minus the
/// charge (N⁺ as C, O⁻ as F, S⁺ as P), as isoelectronic atoms share their bonding.
public struct ChemicalElement: Hashable, Sendable {
    public let symbol: String
    public let atomicNumber: Int
    public let atomicWeight: Double
    /// Allowed valences of the neutral atom, ascending.
    public let valences: [Int]

    /// The element named `symbol` (case as in SMILES: `Cl`, `Br`, `Na`), or nil.
    public static func named(_ symbol: String) -> ChemicalElement? { bySymbol[symbol] }

    /// The element of atomic number `z`, or nil.
    public static func number(_ z: Int) -> ChemicalElement? { byNumber[z] }

    /// The valences allowed at a formal charge: those of the isoelectronic element (Z − charge)
    /// when that element has a rule, else the neutral ones when the charge is zero, else none.
    public func valences(charge: Int) -> [Int] {
        if charge == 0 { return valences }
        return ChemicalElement.number(atomicNumber - charge).map(\.valences) ?? []
    }

    static let all: [ChemicalElement] = [
        .init(symbol: "H", atomicNumber: 1, atomicWeight: 1.008, valences: [1]),
        .init(symbol: "He", atomicNumber: 2, atomicWeight: 4.003, valences: [0]),
        .init(symbol: "Li", atomicNumber: 3, atomicWeight: 6.94, valences: [1]),
        .init(symbol: "Be", atomicNumber: 4, atomicWeight: 9.012, valences: [2]),
        .init(symbol: "B", atomicNumber: 5, atomicWeight: 10.81, valences: [3]),
        .init(symbol: "C", atomicNumber: 6, atomicWeight: 12.011, valences: [4]),
        .init(symbol: "N", atomicNumber: 7, atomicWeight: 14.007, valences: [3]),
        .init(symbol: "O", atomicNumber: 8, atomicWeight: 15.999, valences: [2]),
        .init(symbol: "F", atomicNumber: 9, atomicWeight: 18.998, valences: [1]),
        .init(symbol: "Ne", atomicNumber: 10, atomicWeight: 20.180, valences: [0]),
        .init(symbol: "Na", atomicNumber: 11, atomicWeight: 22.990, valences: [1]),
        .init(symbol: "Mg", atomicNumber: 12, atomicWeight: 24.305, valences: [2]),
        .init(symbol: "Al", atomicNumber: 13, atomicWeight: 26.982, valences: [3]),
        .init(symbol: "Si", atomicNumber: 14, atomicWeight: 28.085, valences: [4]),
        .init(symbol: "P", atomicNumber: 15, atomicWeight: 30.974, valences: [3, 5, 7]),
        .init(symbol: "S", atomicNumber: 16, atomicWeight: 32.06, valences: [2, 4, 6]),
        .init(symbol: "Cl", atomicNumber: 17, atomicWeight: 35.45, valences: [1]),
        .init(symbol: "Ar", atomicNumber: 18, atomicWeight: 39.948, valences: [0]),
        .init(symbol: "K", atomicNumber: 19, atomicWeight: 39.098, valences: [1]),
        .init(symbol: "Ca", atomicNumber: 20, atomicWeight: 40.078, valences: [2]),
        .init(symbol: "Ge", atomicNumber: 32, atomicWeight: 72.630, valences: [4]),
        .init(symbol: "As", atomicNumber: 33, atomicWeight: 74.922, valences: [3, 5, 7]),
        .init(symbol: "Se", atomicNumber: 34, atomicWeight: 78.971, valences: [2, 4, 6]),
        .init(symbol: "Br", atomicNumber: 35, atomicWeight: 79.904, valences: [1]),
        .init(symbol: "Kr", atomicNumber: 36, atomicWeight: 83.798, valences: [0]),
        .init(symbol: "Sn", atomicNumber: 50, atomicWeight: 118.71, valences: [2, 4]),
        .init(symbol: "Te", atomicNumber: 52, atomicWeight: 127.60, valences: [2, 4, 6]),
        .init(symbol: "I", atomicNumber: 53, atomicWeight: 126.904, valences: [1, 3, 5]),
        .init(symbol: "Xe", atomicNumber: 54, atomicWeight: 131.293, valences: [0, 2, 4, 6]),
    ]
    static let bySymbol = Dictionary(uniqueKeysWithValues: all.map { ($0.symbol, $0) })
    static let byNumber = Dictionary(uniqueKeysWithValues: all.map { ($0.atomicNumber, $0) })
}
