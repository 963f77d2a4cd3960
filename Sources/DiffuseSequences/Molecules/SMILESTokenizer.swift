/// Splits SMILES strings into the tokens molecule models use (the MOSES/"SMILES regex"
/// tokenisation): bracket atoms `[…]` as one token, the two-letter organic atoms `Cl` and `Br`,
/// the organic subset B C N O P S F I and its aromatic forms b c n o p s, bonds `- = # $ : / \`,
/// branches `(` `)`, the dot `.`, ring closures `0`–`9` and `%nn`, and `*`. Anything else is an
/// error naming the column (1-based, in characters).
public enum SMILESTokenizer {
    /// A SMILES string that cannot be tokenised or is not well formed.
    public struct Failure: Error, CustomStringConvertible, Equatable {
        public var column: Int?
        public var reason: String
        public var description: String { column.map { "column \($0): \(reason)" } ?? reason }
    }

    public static func tokens(_ smiles: String) throws -> [String] {
        let characters = Array(smiles)
        guard !characters.isEmpty else { throw Failure(column: nil, reason: "empty SMILES") }
        var tokens: [String] = []
        var i = 0
        while i < characters.count {
            let c = characters[i]
            let column = i + 1
            switch c {
            case "[":
                guard let close = characters[(i + 1)...].firstIndex(of: "]") else { throw Failure(column: column, reason: "unclosed bracket atom") }
                let inner = characters[(i + 1)..<close]
                guard !inner.isEmpty, !inner.contains("[") else { throw Failure(column: column, reason: "empty or nested bracket atom") }
                guard inner.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "@+-:*".contains($0)) }) else {
                    throw Failure(column: column, reason: "bracket atom [\(String(inner))] has characters a bracket atom cannot have")
                }
                tokens.append(String(characters[i...close]))
                i = close + 1
            case "C" where i + 1 < characters.count && characters[i + 1] == "l", "B" where i + 1 < characters.count && characters[i + 1] == "r":
                tokens.append(String(characters[i...(i + 1)]))
                i += 2
            case "%":
                guard i + 2 < characters.count, characters[i + 1].isNumber, characters[i + 2].isNumber, characters[i + 1].isASCII, characters[i + 2].isASCII else {
                    throw Failure(column: column, reason: "'%' must be followed by two digits")
                }
                tokens.append(String(characters[i...(i + 2)]))
                i += 3
            default:
                guard c.isASCII, "BCNOPSFIbcnops-=#$:/\\().*0123456789".contains(c) else {
                    throw Failure(column: column, reason: "'\(c)' is not a SMILES symbol")
                }
                tokens.append(String(c))
                i += 1
            }
        }
        return tokens
    }

    /// Checks the grammar that tokens alone decide: balanced branches, every ring-closure number
    /// opened and closed, no bond or branch without an atom before it, no bond at the end.
    public static func checkSyntax(_ tokens: [String]) throws {
        var depth = 0
        var openRings: [String: Int] = [:]
        var previousIsAtom = false
        var previousIsBond = false
        for (k, token) in tokens.enumerated() {
            switch token {
            case "(":
                guard previousIsAtom || tokens[..<k].last == ")" || tokens[..<k].last.map(isRingClosure) == true else {
                    throw Failure(column: nil, reason: "branch at token \(k + 1) has no atom before it")
                }
                depth += 1
                previousIsBond = false
            case ")":
                depth -= 1
                guard depth >= 0 else { throw Failure(column: nil, reason: "unbalanced ')' at token \(k + 1)") }
                guard !previousIsBond else { throw Failure(column: nil, reason: "bond before ')' at token \(k + 1)") }
                guard tokens[k - 1] != "(" else { throw Failure(column: nil, reason: "empty branch at token \(k)") }
            case _ where bonds.contains(token):
                // After an atom, a closed branch, a ring closure, or at the start of a branch.
                guard previousIsAtom || ["(", ")"].contains(tokens[..<k].last ?? "") || tokens[..<k].last.map(isRingClosure) == true else {
                    throw Failure(column: nil, reason: "bond '\(token)' at token \(k + 1) has no atom before it")
                }
                previousIsBond = true
                previousIsAtom = false
                continue
            case ".":
                guard !previousIsBond, k > 0, k + 1 < tokens.count, tokens[k + 1] != ".",
                      previousIsAtom || tokens[k - 1] == ")" || isRingClosure(tokens[k - 1]) else {
                    throw Failure(column: nil, reason: "'.' at token \(k + 1) does not separate two molecules")
                }
                previousIsAtom = false
                previousIsBond = false
                continue
            default:
                if isRingClosure(token) {
                    // A ring-closure number follows its atom, possibly after other ring closures
                    // and one bond that itself follows the atom or a ring closure.
                    func attachable(_ index: Int) -> Bool {
                        index >= 0 && !["(", ")", "."].contains(tokens[index]) && !bonds.contains(tokens[index])
                    }
                    let bondBefore = k >= 1 && bonds.contains(tokens[k - 1])
                    guard bondBefore ? attachable(k - 2) : attachable(k - 1) else {
                        throw Failure(column: nil, reason: "ring closure \(token) at token \(k + 1) has no atom before it")
                    }
                    if let opened = openRings.removeValue(forKey: token) {
                        guard opened < k - (bondBefore ? 2 : 1) else { throw Failure(column: nil, reason: "ring closure \(token) closes on the atom that opened it") }
                    } else {
                        openRings[token] = k
                    }
                    previousIsAtom = true
                    previousIsBond = false
                    continue
                }
                previousIsAtom = true
                previousIsBond = false
                continue
            }
            previousIsAtom = false
        }
        guard depth == 0 else { throw Failure(column: nil, reason: "\(depth) unclosed branch(es)") }
        if let ring = openRings.min(by: { $0.value < $1.value }) { throw Failure(column: nil, reason: "ring closure \(ring.key) opened at token \(ring.value + 1) is never closed") }
        guard !previousIsBond else { throw Failure(column: nil, reason: "the SMILES ends with a bond") }
    }

    /// The bond symbols.
    static let bonds: Set<String> = ["-", "=", "#", "$", ":", "/", "\\"]

    static func isRingClosure(_ token: String) -> Bool {
        token.count == 1 ? token.first!.isNumber : token.hasPrefix("%")
    }
}
