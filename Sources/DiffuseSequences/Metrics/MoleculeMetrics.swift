/// The usual generation metrics for molecules (MOSES, Polykovskiy et al. 2020), with the
/// project's own validity check and fingerprints:
/// - validity: the share of strings that are valid ``Molecule``s;
/// - uniqueness: distinct strings among the valid ones, as a share of the valid ones;
/// - novelty: valid distinct strings not in the training set, as a share of the valid distinct;
/// - internal diversity: 1 − mean Tanimoto similarity of ``PathFingerprint``s over pairs of valid
///   molecules.
/// Strings are compared as written (no canonical form): for a model trained on canonical SMILES
/// that writes canonical-looking strings this is close to molecule identity, but two spellings
/// of one molecule count twice, so uniqueness and novelty are upper bounds.
public struct MoleculeMetrics: Codable, Equatable, Sendable {
    public var count: Int
    public var validity: Double
    public var uniqueness: Double
    public var novelty: Double
    public var internalDiversity: Double

    public init(_ smiles: [String], training: Set<String>) {
        let molecules = smiles.map { s in (s, try? Molecule(smiles: s)) }
        let valid = molecules.filter { $0.1 != nil }
        let distinct = Set(valid.map(\.0))
        count = smiles.count
        validity = smiles.isEmpty ? 0 : Double(valid.count) / Double(smiles.count)
        uniqueness = valid.isEmpty ? 0 : Double(distinct.count) / Double(valid.count)
        novelty = distinct.isEmpty ? 0 : Double(distinct.subtracting(training).count) / Double(distinct.count)
        let fingerprints = valid.compactMap { $0.1 }.map { PathFingerprint($0) }
        var total = 0.0, pairs = 0
        for i in fingerprints.indices { for j in fingerprints.indices where j > i { total += PathFingerprint.tanimoto(fingerprints[i], fingerprints[j]); pairs += 1 } }
        internalDiversity = pairs == 0 ? 0 : 1 - total / Double(pairs)
    }
}
