import DiffuseTensor
import Foundation

/// The processes a computation is spread over, and the collective operations the trainers and
/// samplers need: every process calls the same collectives in the same order.
///
/// The libraries only see this protocol, so they stay free of MPI: ``SingleProcess`` is the
/// default (every collective is the identity), and `DiffuseDistributed`'s `MPICommunicator`
/// runs over MPI. Collectives throw instead of trapping (a shape mismatch between processes, an
/// MPI failure, a process that stopped calling).
public protocol Communicator {
    /// This process's index, `0..<size`.
    var rank: Int { get }
    /// The number of processes.
    var size: Int { get }
    /// Waits until every process has called it.
    func barrier() throws
    /// Replaces `values` by their element-wise sum over the processes (every process gets the
    /// sum; every process must pass the same count).
    func allReduceSum<S: TensorScalar>(_ values: inout [S]) throws
    /// Replaces `values` by process `root`'s values (the count must match).
    func broadcast<S: TensorScalar>(_ values: inout [S], from root: Int) throws
    /// Every process's values (their counts may differ), in rank order, on every process.
    func allGather<S: TensorScalar>(_ values: [S]) throws -> [[S]]
    /// Ends every process of the run with `exitCode`: for an error that some processes meet and
    /// others do not (which would otherwise leave the others waiting in their next collective).
    func abort(exitCode: Int32) -> Never
}

/// One process: rank 0 of 1; every collective leaves its input as it is.
public struct SingleProcess: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func barrier() {}
    public func allReduceSum<S: TensorScalar>(_ values: inout [S]) {}
    public func broadcast<S: TensorScalar>(_ values: inout [S], from root: Int) {
        precondition(root == 0, "broadcast from rank \(root) of a single process")
    }
    public func allGather<S: TensorScalar>(_ values: [S]) -> [[S]] { [values] }
    public func abort(exitCode: Int32) -> Never { exit(exitCode) }
}

/// An error of a collective that is not MPI's own: the processes passed different shapes or
/// different parameter sets, or their parameters drifted apart.
public struct CollectiveError: Error, CustomStringConvertible, Equatable {
    /// The operation, e.g. "gatherRows".
    public var call: String
    public var reason: String

    public init(call: String, reason: String) {
        self.call = call
        self.reason = reason
    }

    public var description: String { "\(call): \(reason)" }
}

extension Communicator {
    /// Whether this process is rank 0 (the one that writes files and logs).
    public var isRoot: Bool { rank == 0 }

    /// The share of `count` items (samples, batch rows) of this process: contiguous ranges in
    /// rank order whose sizes differ by at most one, so that concatenating every process's share
    /// in rank order gives `0..<count`.
    public func shard(_ count: Int) -> Range<Int> {
        precondition(count >= 0, "cannot shard \(count) items")
        let base = count / size, extra = count % size
        let start = rank * base + Swift.min(rank, extra)
        return start..<(start + base + (rank < extra ? 1 : 0))
    }

    /// Every process's integers (their counts may differ), in rank order, on every process; exact
    /// for any `Int` (sent as 16-bit pieces, which Double holds exactly).
    public func allGatherIntegers(_ values: [Int]) throws -> [[Int]] {
        let pieces = values.flatMap { v in (0..<4).map { Double(UInt64(bitPattern: Int64(v)) >> (16 * UInt64($0)) & 0xFFFF) } }
        return try allGather(pieces).map { part in
            stride(from: 0, to: part.count, by: 4).map { i in
                Int(Int64(bitPattern: (0..<4).reduce(UInt64(0)) { $0 | UInt64(part[i + $1]) << (16 * UInt64($1)) }))
            }
        }
    }

    /// The rows (axis 0) of every process's tensor, concatenated in rank order, on every process.
    /// The trailing shapes must agree (an error names the ranks' shapes otherwise).
    public func gatherRows<S: TensorScalar>(_ tensor: Tensor<S>) throws -> Tensor<S> {
        precondition(tensor.rank >= 1, "gatherRows needs a tensor with a row axis")
        let shapes = try allGatherIntegers(tensor.shape)
        let trailing = Array(tensor.shape.dropFirst())
        guard shapes.allSatisfy({ Array($0.dropFirst()) == trailing }) else {
            throw CollectiveError(call: "gatherRows", reason: "the processes' tensors have shapes \(shapes) (rank order); their rows must have one shape")
        }
        let parts = try allGather(tensor.scalars)
        return Tensor(shape: [shapes.reduce(0) { $0 + $1[0] }] + trailing, scalars: parts.flatMap { $0 })
    }

    /// The element-wise sum (or, with `mean`, the mean) of every process's tensor, on every
    /// process. The shapes must agree (an error names the ranks' shapes otherwise).
    public func allReduce<S: TensorScalar>(_ tensor: Tensor<S>, mean: Bool = false) throws -> Tensor<S> {
        try checkSameShape(tensor, call: "allReduce")
        var values = tensor.scalars
        try allReduceSum(&values)
        if mean { values = values.map { $0 / S(size) } }
        return Tensor(shape: tensor.shape, scalars: values)
    }

    /// Process `root`'s tensor on every process (the shapes must agree).
    public func broadcast<S: TensorScalar>(_ tensor: Tensor<S>, from root: Int = 0) throws -> Tensor<S> {
        try checkSameShape(tensor, call: "broadcast")
        var values = tensor.scalars
        try broadcast(&values, from: root)
        return Tensor(shape: tensor.shape, scalars: values)
    }

    /// The rows of every process's tensor in rank order on rank 0 (nil on the other processes).
    public func gatherRowsToRoot<S: TensorScalar>(_ tensor: Tensor<S>) throws -> Tensor<S>? {
        let all = try gatherRows(tensor)
        return isRoot ? all : nil
    }

    private func checkSameShape<S: TensorScalar>(_ tensor: Tensor<S>, call: String) throws {
        guard size > 1 else { return }
        let shapes = try allGatherIntegers(tensor.shape)
        guard shapes.allSatisfy({ $0 == shapes[0] }) else {
            throw CollectiveError(call: call, reason: "the processes' tensors have shapes \(shapes) (rank order); they must be equal")
        }
    }

    /// The mean over the processes of a parameter set (gradients), with one all-reduce of one
    /// flat buffer; `extra` values (a loss) travel in the same buffer and come back averaged.
    /// Every process must hold the same names and shapes.
    public func allReduceMean<S: TensorScalar>(_ parameters: inout ParameterSet<S>, extra: inout [S]) throws {
        guard size > 1 else { return }
        var buffer: [S] = []
        buffer.reserveCapacity(parameters.scalarCount + extra.count + 1)
        for (_, t) in parameters.entries { buffer += t.scalars }
        buffer += extra
        // The counts travel first so that different parameter sets are an error, not garbage.
        let counts = try allGatherIntegers([buffer.count])
        guard counts.allSatisfy({ $0 == [buffer.count] }) else {
            throw CollectiveError(call: "allReduceMean", reason: "the processes hold different numbers of values (\(counts.map { $0[0] }), rank order)")
        }
        try allReduceSum(&buffer)
        let scale = 1 / S(size)
        var offset = 0
        for (name, t) in parameters.entries {
            let n = t.count
            parameters[name] = Tensor(shape: t.shape, scalars: buffer[offset..<(offset + n)].map { $0 * scale })
            offset += n
        }
        extra = buffer[offset...].map { $0 * scale }
    }

    /// Process `root`'s parameters on every process (the same names and shapes must exist
    /// everywhere), in one broadcast.
    public func broadcast<S: TensorScalar>(_ parameters: inout ParameterSet<S>, from root: Int = 0) throws {
        guard size > 1 else { return }
        var buffer: [S] = []
        buffer.reserveCapacity(parameters.scalarCount)
        for (_, t) in parameters.entries { buffer += t.scalars }
        try broadcast(&buffer, from: root)
        var offset = 0
        for (name, t) in parameters.entries {
            parameters[name] = Tensor(shape: t.shape, scalars: Array(buffer[offset..<(offset + t.count)]))
            offset += t.count
        }
    }

    /// Throws unless every process holds bit-identical parameters (compared by a checksum of
    /// their bits): the check at checkpoints that data-parallel replicas did not drift apart.
    public func checkIdentical<S: TensorScalar>(_ parameters: ParameterSet<S>) throws {
        guard size > 1 else { return }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for (_, t) in parameters.entries {
            for v in t.scalars {
                let bits = S.self == Float.self ? UInt64(Float(v).bitPattern) : Double(v).bitPattern
                hash = (hash ^ bits) &* 0x100_0000_01b3
            }
        }
        let all = try allGatherIntegers([Int(Int64(bitPattern: hash))])
        guard all.allSatisfy({ $0 == all[0] }) else {
            throw CollectiveError(call: "checkIdentical", reason: "the processes' parameters differ (checksums \(all.map { String(UInt64(bitPattern: Int64($0[0])), radix: 16) }), rank order)")
        }
    }
}
