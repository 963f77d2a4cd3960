import Foundation

/// One reader under the fuzzer: valid inputs written by the library itself (the seeds the
/// ``Fuzzer`` mutates) and a check that reads one input.
///
/// `check` throws when the reader refuses the input (a clean refusal, the expected outcome for
/// most mutations); it returns nil when the reader accepts it and the decoded values are what the
/// bytes say (an oracle written independently of the reader verifies that), or a description of
/// the difference otherwise — a wrong value accepted silently. A crash or a hang inside `check`
/// is what the supervising parent of `diffuse-fuzz` catches.
public struct FuzzTarget: Sendable {
    public var name: String
    public var seeds: [Data]
    public var check: @Sendable (Data) throws -> String?

    public init(name: String, seeds: [Data], check: @escaping @Sendable (Data) throws -> String?) {
        precondition(!seeds.isEmpty, "fuzz target '\(name)' needs at least one seed")
        self.name = name
        self.seeds = seeds
        self.check = check
    }

    /// A target whose reader (`read`: a throw is a refusal) and oracle (`oracle`: nil when the
    /// decoded value is the file's, else the difference) are kept apart: an oracle that throws
    /// on an accepted input is a finding too, never a refusal.
    public init<Value>(name: String, seeds: [Data], read: @escaping @Sendable (Data) throws -> Value,
                       oracle: @escaping @Sendable (Data, Value) throws -> String?) {
        self.init(name: name, seeds: seeds) { data in
            let value = try read(data)
            do { return try oracle(data, value) } catch { return "accepted, but the oracle could not re-derive it: \(error)" }
        }
    }
}

/// What a run over a range of inputs of one target saw.
public struct FuzzTally: Sendable, Equatable {
    public var inputs = 0
    public var accepted = 0
    public var refused = 0
    /// Inputs accepted with values other than the file's: (index, what differs).
    public var wrongValues: [(index: Int, difference: String)] = []

    public init() {}

    public static func == (a: FuzzTally, b: FuzzTally) -> Bool {
        a.inputs == b.inputs && a.accepted == b.accepted && a.refused == b.refused
            && a.wrongValues.map(\.index) == b.wrongValues.map(\.index) && a.wrongValues.map(\.difference) == b.wrongValues.map(\.difference)
    }

    /// Runs `target` on inputs `range` of the fuzzer with `seed`, in this process; `before` is
    /// called with each index before the input runs (the supervisor's progress signal), `found`
    /// with each wrong value as soon as it is found.
    public static func run(_ target: FuzzTarget, seed: UInt64, range: Range<Int>, before: (Int) -> Void = { _ in },
                           found: (Int, String) -> Void = { _, _ in }) -> FuzzTally {
        let fuzzer = Fuzzer(seeds: target.seeds, seed: seed)
        var tally = FuzzTally()
        for i in range {
            before(i)
            let input = fuzzer.input(i)
            tally.inputs += 1
            do {
                if let difference = try target.check(input) {
                    tally.wrongValues.append((i, difference))
                    found(i, difference)
                }
                tally.accepted += 1
            } catch {
                tally.refused += 1
            }
        }
        return tally
    }
}

extension FuzzTarget {
    /// Not a reader: a target that traps on inputs starting with 0xFF, never returns on inputs
    /// starting with 0xFE and reports a wrong value for inputs starting with 0xFD, so that a test
    /// can check that the supervisor records crashes, hangs and wrong values (also those found
    /// before a crash of the same child) and goes on. Found by ``named(_:)``, not in ``all``.
    public static let supervisorCheck = FuzzTarget(name: "supervisor-check", seeds: [Data([0xFF]), Data([0xFE]), Data([0xFD]), Data("ok".utf8)]) { data in
        switch data.first {
        case 0xFF: fatalError("supervisor check: deliberate crash")
        case 0xFE: while true { sleep(1) }
        case 0xFD: return "deliberate wrong value"
        default: throw CocoaError(.fileReadCorruptFile)
        }
    }
}
