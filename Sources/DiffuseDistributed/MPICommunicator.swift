import CMPI
import DiffuseNN
import DiffuseTensor
import Foundation

/// An MPI failure or a collective that did not complete, naming the MPI call.
public enum DistributedError: Error, CustomStringConvertible, Equatable {
    /// An MPI call returned an error code (with MPI's own message).
    case mpi(call: String, code: Int32, message: String)
    /// A collective did not complete within the communicator's timeout: a process stopped,
    /// crashed, or called the collectives in another order.
    case timeout(call: String, seconds: Double, rank: Int, size: Int)
    /// A count that MPI's 32-bit counts cannot carry.
    case tooLarge(call: String, count: Int)

    public var description: String {
        switch self {
        case let .mpi(call, code, message): return "\(call) failed (MPI error \(code)): \(message)"
        case let .timeout(call, seconds, rank, size):
            return "\(call) did not complete within \(seconds) s on rank \(rank) of \(size): another process stopped, crashed or called the collectives in another order"
        case let .tooLarge(call, count): return "\(call): \(count) values exceed MPI's 32-bit count"
        }
    }
}

/// `MPI_COMM_WORLD` as a DiffuseNN `Communicator`: the processes `mpirun` started.
///
/// Collectives run as MPI's non-blocking calls (`MPI_Iallreduce`, `MPI_Ibcast`,
/// `MPI_Iallgatherv`, `MPI_Ibarrier`) completed by polling, so that a collective another process
/// never joins ends after ``timeout`` seconds with ``DistributedError/timeout(call:seconds:rank:size:)``
/// instead of hanging without a message. MPI errors are returned, not fatal
/// (`MPI_ERRORS_RETURN`), and thrown as ``DistributedError/mpi(call:code:message:)``.
///
/// MPI is initialised on first use (`MPI_Init_thread`, funneled: only the thread that created
/// the communicator calls MPI) and finalised at exit. A program started without `mpirun` is one
/// process of size 1.
public final class MPICommunicator: Communicator {
    public let rank: Int
    public let size: Int
    /// Seconds a collective may take before it counts as stuck.
    public var timeout: Double
    private let comm: MPI_Comm

    /// The world communicator (initialising MPI if needed).
    public init(timeout: Double = 600) throws {
        precondition(timeout > 0 && timeout.isFinite, "timeout must be positive")
        var initialized: Int32 = 0
        try Self.check(MPI_Initialized(&initialized), "MPI_Initialized")
        if initialized == 0 {
            var provided: Int32 = 0
            try Self.check(MPI_Init_thread(nil, nil, Int32(MPI_THREAD_FUNNELED), &provided), "MPI_Init_thread")
            atexit {
                var finalized: Int32 = 0
                MPI_Finalized(&finalized)
                if finalized == 0 { MPI_Finalize() }
            }
        }
        comm = diffuse_mpi_comm_world()
        try Self.check(MPI_Comm_set_errhandler(comm, diffuse_mpi_errors_return()), "MPI_Comm_set_errhandler")
        var r: Int32 = 0, s: Int32 = 0
        try Self.check(MPI_Comm_rank(comm, &r), "MPI_Comm_rank")
        try Self.check(MPI_Comm_size(comm, &s), "MPI_Comm_size")
        rank = Int(r)
        size = Int(s)
        self.timeout = timeout
    }

    static func check(_ code: Int32, _ call: String) throws {
        guard code != MPI_SUCCESS else { return }
        var buffer = [CChar](repeating: 0, count: Int(diffuse_mpi_max_error_string()) + 1)
        var length: Int32 = 0
        MPI_Error_string(code, &buffer, &length)
        throw DistributedError.mpi(call: call, code: code, message: String(cString: buffer))
    }

    /// Waits for a non-blocking call, polling, for at most ``timeout`` seconds.
    private func wait(_ request: inout MPI_Request?, _ call: String) throws {
        let deadline = Date().addingTimeInterval(timeout)
        var polls = 0
        while true {
            var done: Int32 = 0
            try Self.check(MPI_Test(&request, &done, diffuse_mpi_status_ignore()), call)
            if done != 0 { return }
            polls += 1
            if polls > 2000 {
                usleep(50)
                if polls % 1000 == 0 && Date() > deadline {
                    throw DistributedError.timeout(call: call, seconds: timeout, rank: rank, size: size)
                }
            }
        }
    }

    private func datatype<S: TensorScalar>(_: S.Type) -> MPI_Datatype {
        S.self == Float.self ? diffuse_mpi_float() : diffuse_mpi_double()
    }

    private func count(_ n: Int, _ call: String) throws -> Int32 {
        guard n <= Int(Int32.max) else { throw DistributedError.tooLarge(call: call, count: n) }
        return Int32(n)
    }

    public func barrier() throws {
        var request: MPI_Request? = nil
        try Self.check(MPI_Ibarrier(comm, &request), "MPI_Ibarrier")
        try wait(&request, "MPI_Ibarrier")
    }

    public func allReduceSum<S: TensorScalar>(_ values: inout [S]) throws {
        let n = try count(values.count, "MPI_Iallreduce")
        var request: MPI_Request? = nil
        try values.withUnsafeMutableBytes { buffer in
            try Self.check(MPI_Iallreduce(diffuse_mpi_in_place(), buffer.baseAddress, n, datatype(S.self), diffuse_mpi_sum(), comm, &request), "MPI_Iallreduce")
            try wait(&request, "MPI_Iallreduce")
        }
    }

    public func broadcast<S: TensorScalar>(_ values: inout [S], from root: Int) throws {
        precondition((0..<size).contains(root), "root \(root) is not a rank of \(size)")
        // The root's count first, so that a mismatch is an error and not a truncated message.
        var counts = [Int64(values.count)]
        var request: MPI_Request? = nil
        try counts.withUnsafeMutableBytes { buffer in
            try Self.check(MPI_Ibcast(buffer.baseAddress, 1, diffuse_mpi_int64(), Int32(root), comm, &request), "MPI_Ibcast")
            try wait(&request, "MPI_Ibcast")
        }
        // Every process learns whether any count differs, so that all of them throw (none is
        // left waiting in the data broadcast).
        var mismatches: [Double] = [counts[0] == Int64(values.count) ? 0 : 1]
        try allReduceSum(&mismatches)
        guard mismatches[0] == 0 else {
            throw CollectiveError(call: "broadcast", reason: counts[0] == Int64(values.count)
                ? "rank \(root) sends \(counts[0]) values and \(Int(mismatches[0])) process(es) expect another count"
                : "rank \(root) sends \(counts[0]) values, rank \(rank) expects \(values.count)")
        }
        let n = try count(values.count, "MPI_Ibcast")
        try values.withUnsafeMutableBytes { buffer in
            try Self.check(MPI_Ibcast(buffer.baseAddress, n, datatype(S.self), Int32(root), comm, &request), "MPI_Ibcast")
            try wait(&request, "MPI_Ibcast")
        }
    }

    public func allGather<S: TensorScalar>(_ values: [S]) throws -> [[S]] {
        var mine = [Int64(values.count)]
        var counts = [Int64](repeating: 0, count: size)
        var request: MPI_Request? = nil
        try mine.withUnsafeMutableBytes { send in
            try counts.withUnsafeMutableBytes { receive in
                try Self.check(MPI_Iallgather(send.baseAddress, 1, diffuse_mpi_int64(), receive.baseAddress, 1, diffuse_mpi_int64(), comm, &request), "MPI_Iallgather")
                try wait(&request, "MPI_Iallgather")
            }
        }
        let total = counts.reduce(0, +)
        let receiveCounts = try counts.map { try count(Int($0), "MPI_Iallgatherv") }
        _ = try count(Int(total), "MPI_Iallgatherv")
        var displacements = [Int32](repeating: 0, count: size)
        for r in 1..<Swift.max(size, 1) where r < size { displacements[r] = displacements[r - 1] + receiveCounts[r - 1] }
        var result = [S](repeating: 0, count: Int(total))
        var send = values
        let n = try count(values.count, "MPI_Iallgatherv")
        try send.withUnsafeMutableBytes { sendBuffer in
            try result.withUnsafeMutableBytes { receiveBuffer in
                try Self.check(MPI_Iallgatherv(sendBuffer.baseAddress, n, datatype(S.self), receiveBuffer.baseAddress, receiveCounts, displacements,
                                               datatype(S.self), comm, &request), "MPI_Iallgatherv")
                try wait(&request, "MPI_Iallgatherv")
            }
        }
        return (0..<size).map { r in Array(result[Int(displacements[r])..<(Int(displacements[r]) + Int(receiveCounts[r]))]) }
    }
}
