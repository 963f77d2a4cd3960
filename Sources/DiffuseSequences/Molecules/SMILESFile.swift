import DiffuseTensor
import Foundation

/// Molecules as SMILES, from `.smi` files (one SMILES per line, optionally followed by white
/// space and a name) or CSV files with a `SMILES` column (any case; the MOSES files). Each string
/// is tokenised (``SMILESTokenizer``) and checked as a molecule (``Molecule``: grammar,
/// kekulisation, valences); what happens to one that fails is
/// the ``InvalidSMILESPolicy``: refuse (an error naming the file, line and reason) or skip and
/// count. gzip is not read here: decompress first.
public enum SMILESFile {
    public enum InvalidSMILESPolicy: String, Sendable, Codable, CaseIterable {
        case refuse, skip
    }

    public struct Contents: Sendable {
        /// The SMILES strings and their tokens, in file order.
        public var molecules: [(smiles: String, tokens: [String])]
        /// Lines skipped under `.skip`.
        public var skipped: Int
    }

    public static func read(_ url: URL, invalid policy: InvalidSMILESPolicy = .refuse) throws -> Contents {
        try parse(SequenceFileError.text(of: url), file: url.path, csv: url.pathExtension.lowercased() == "csv", invalid: policy)
    }

    /// The SMILES field of every non-empty line with its 1-based line number, unchecked: for CSV
    /// the `SMILES` column (a header is required), for `.smi` the first word (space or tab).
    /// Structural problems (no header or column, too few fields, control bytes) are errors.
    public static func fields(_ text: String, file: String, csv: Bool) throws -> [(line: Int, smiles: String)] {
        let lines = TextLines.split(text)
        var column = 0
        var firstLine = 0
        if csv {
            guard let header = lines.first, !header.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw SequenceFileError(file: file, line: 1, column: nil, reason: "no header")
            }
            let names = header.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let index = names.firstIndex(of: "smiles") else {
                throw SequenceFileError(file: file, line: 1, column: nil, reason: "no SMILES column (columns: \(names.joined(separator: ", ")))")
            }
            column = index
            firstLine = 1
        }
        var out: [(line: Int, smiles: String)] = []
        for (index, raw) in lines.enumerated() where index >= firstLine {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            if line.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\t" }) {
                throw SequenceFileError(file: file, line: index + 1, column: nil, reason: "control byte in the line")
            }
            if csv {
                let fields = line.split(separator: ",", omittingEmptySubsequences: false)
                guard column < fields.count else { throw SequenceFileError(file: file, line: index + 1, column: nil, reason: "fewer than \(column + 1) fields") }
                out.append((index + 1, fields[column].trimmingCharacters(in: .whitespaces)))
            } else {
                out.append((index + 1, line.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map(String.init) ?? ""))
            }
        }
        return out
    }

    public static func parse(_ text: String, file: String, csv: Bool, invalid policy: InvalidSMILESPolicy = .refuse) throws -> Contents {
        var molecules: [(smiles: String, tokens: [String])] = []
        var skipped = 0
        for (line, field) in try fields(text, file: file, csv: csv) {
            do {
                let tokens = try SMILESTokenizer.tokens(field)
                _ = try Molecule(smiles: field)
                molecules.append((field, tokens))
            } catch let failure as SMILESTokenizer.Failure {
                guard policy == .skip else {
                    throw SequenceFileError(file: file, line: line, column: nil, reason: "'\(field)': \(failure)")
                }
                skipped += 1
            }
        }
        guard !molecules.isEmpty || skipped > 0 else { throw SequenceFileError(file: file, line: nil, column: nil, reason: "no SMILES") }
        return Contents(molecules: molecules, skipped: skipped)
    }
}

/// The token vocabulary of a SMILES data set: every token seen, sorted, plus the padding token
/// `<pad>` (token 0) for variable lengths. Codable (decoding checks that `<pad>` comes first and
/// no token repeats), so a model's configuration can record it.
public struct SMILESVocabulary: Codable, Equatable, Sendable {
    public static let padding = "<pad>"
    /// Tokens by index; index 0 is the padding.
    public let tokens: [String]

    public init(fittedOn molecules: [[String]]) {
        tokens = [Self.padding] + Set(molecules.joined()).sorted()
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let decoded = try container.decode([String].self, forKey: .tokens)
        guard decoded.first == Self.padding, Set(decoded).count == decoded.count else {
            throw DecodingError.dataCorruptedError(forKey: .tokens, in: container, debugDescription: "a SMILES vocabulary starts with \(Self.padding) and has no repeated token")
        }
        tokens = decoded
    }

    public var size: Int { tokens.count }

    /// The indices of a molecule's tokens, padded to `length`.
    public func encode(_ molecule: [String], length: Int) throws -> [Int] {
        guard molecule.count <= length else { throw SMILESTokenizer.Failure(column: nil, reason: "\(molecule.count) tokens exceed the length \(length)") }
        let index = Dictionary(uniqueKeysWithValues: tokens.enumerated().map { ($1, $0) })
        var out: [Int] = []
        for token in molecule {
            guard let k = index[token] else { throw SMILESTokenizer.Failure(column: nil, reason: "token '\(token)' is not in the vocabulary") }
            out.append(k)
        }
        return out + [Int](repeating: 0, count: length - molecule.count)
    }

    /// The SMILES of token indices: the tokens before the first padding (or mask) token, or nil
    /// when a token follows padding (a generated sequence with a gap is not a molecule).
    public func decode(_ indices: [Int]) -> String? {
        guard let end = indices.firstIndex(where: { $0 <= 0 || $0 >= tokens.count }) else { return indices.map { tokens[$0] }.joined() }
        guard indices[end...].allSatisfy({ $0 == 0 }) else { return nil }
        return indices[..<end].map { tokens[$0] }.joined()
    }
}
