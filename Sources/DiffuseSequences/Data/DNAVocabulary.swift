import DiffuseCore

/// The DNA alphabet A, C, G, T as tokens 0–3 (the mask of masked diffusion is 4), as the SVDD
/// DNA models use it.
///
/// Policy for other letters: lowercase a, c, g, t (soft-masked repeats in genome FASTA files)
/// read as their uppercase bases; N and every other IUPAC code are not bases, and what a reader
/// does with a record containing them is its ``AmbiguousBasePolicy``. Anything else is an error.
public enum DNAVocabulary {
    /// A, C, G, T.
    public static let bases: [Character] = ["A", "C", "G", "T"]
    /// The number of data tokens.
    public static let size = 4

    /// The token of a base letter (either case), or nil for anything else.
    @inlinable
    public static func token(of byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "A"), UInt8(ascii: "a"): return 0
        case UInt8(ascii: "C"), UInt8(ascii: "c"): return 1
        case UInt8(ascii: "G"), UInt8(ascii: "g"): return 2
        case UInt8(ascii: "T"), UInt8(ascii: "t"): return 3
        default: return nil
        }
    }

    /// Whether a byte is an IUPAC ambiguity code (N, R, Y, …, either case).
    public static func isAmbiguityCode(_ byte: UInt8) -> Bool {
        "NRYKMSWBDHVnrykmswbdhv".utf8.contains(byte)
    }

    /// The letters of tokens 0–3 (a mask token prints as "N").
    public static func string(_ tokens: some Sequence<Int>) -> String {
        String(tokens.map { $0 >= 0 && $0 < 4 ? bases[$0] : "N" })
    }

    /// The reverse complement of a token sequence (A↔T, C↔G).
    public static func reverseComplement(_ tokens: [Int]) -> [Int] {
        precondition(tokens.allSatisfy { $0 >= 0 && $0 < 4 }, "the reverse complement needs bases 0–3; fill mask tokens first")
        return tokens.reversed().map { 3 - $0 }
    }

    /// Token sequences of one length as a batch for the diffusion core.
    public static func batch(_ sequences: [[Int]]) -> TokenBatch {
        precondition(!sequences.isEmpty, "a batch needs at least one sequence")
        let length = sequences[0].count
        precondition(sequences.allSatisfy { $0.count == length }, "every sequence of a batch must have length \(length)")
        return TokenBatch(tokens: sequences.flatMap { $0 }, length: length, vocabularySize: size)
    }
}

/// What a DNA reader does with a record that contains N or another ambiguity code.
public enum AmbiguousBasePolicy: String, Sendable, Codable, CaseIterable {
    /// The read fails with an error naming the file, line and column.
    case refuse
    /// The record is skipped and counted (``FASTAFile/Contents/skippedRecords``).
    case skipRecord
}
