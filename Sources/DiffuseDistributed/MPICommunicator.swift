import CMPI
import DiffuseNN
import DiffuseTensor
import Foundation

/// An MPI failure or a collective that did not complete, naming the MPI call.
public enum DistributedError: Error, CustomStringConvertible, Equatable {
    /// An MPI call returned an error code (with MPI's own message).
    case mpi(call: String, code: Int32, message: String)
    /// A collective did not complete within the communicator's timeout: a process stopped,
    /// crashed, or called the collectives in another order. The communicator is unusable
    /// afterwards; end the program with ``MPICommunicator/abort(exitCode:)``.
    case timeout(call: String, seconds: Double, rank: Int, size: Int)
    /// A count that MPI's 32-bit counts cannot carry.
    case tooLarge(call: String, count: Int)
    /// A collective after an earlier timeout.
    case unusable(call: String)

    public var description: String {
        switch self {
        case let .mpi(call, code, message): return "\(call) failed (MPI error \(code)): \(message)"
        case let .timeout(call, seconds, rank, size):
            return "\(call) did not complete within \(seconds) s on rank \(rank) of \(size): another process stopped, crashed or called the collectives in another order"
        case let .tooLarge(call, count): return "\(call): \(count) values exceed MPI's 32-bit count"
        case let .unusable(call): return "\(call): the communicator is unusable after an earlier timeout"
        }
    }
}

/// `MPI_COMM_WORLD` as a DiffuseNN `Communicator`: the processes `mpirun` started.
///
/// Collectives run as MPI's non-blocking calls (`MPI_Iallreduce`, `MPI_Ibcast`,
/// `MPI_Iallgatherv`, `MPI_Ibarrier`) completed by polling, so that a collective another process
/// never joins ends after ``timeout`` seconds with ``DistributedError/timeout(call:seconds:rank:size:)``
/// instead of waiting for ever. The buffers MPI uses are allocated here and, after a timeout,
/// deliberately never freed (MPI may still write into them), the communicator refuses further
/// collectives and MPI is not finalised at exit. MPI errors are returned, not fatal
/// (`MPI_ERRORS_RETURN`), and thrown as ``DistributedError/mpi(call:code:message:)``.
///
/// A program whose process meets an error the others do not (a file missing on one node) should
/// call ``abort(exitCode:)``: `MPI_Finalize` waits for every process, and the others would wait
/// in their next collective until the timeout.
///
/// MPI is initialised on first use (`MPI_Init_thread`, funneled: only the thread that created
/// the communicator calls MPI) and finalised at exit. A program started without `mpirun` is one
/// process of size 1. The timeout (default 600 s) can be set with `DIFFUSE_MPI_TIMEOUT` (seconds).
public final class MPICommunicator: Communicator {
    public let rank: Int
    public let size: Int
    /// Seconds a collective may take before it counts as stuck.
    public var timeout: Double
    private let comm: MPI_Comm
    /// Set after a timeout: no further collectives, no `MPI_Finalize` at exit.
    nonisolated(unsafe) private static var broken = false

    /// The world communicator (initialising MPI if needed).
    public init(timeout: Double? = nil) throws {
        let seconds = timeout ?? ProcessInfo.processInfo.environment["DIFFUSE_MPI_TIMEOUT"].flatMap { DecimalNumber.parse($0) } ?? 600
        precondition(seconds > 0 && seconds.isFinite, "timeout must be positive")
        var initialized: Int32 = 0
        try Self.check(MPI_Initialized(&initialized), "MPI_Initialized")
        if initialized == 0 {
            var provided: Int32 = 0
            try Self.check(MPI_Init_thread(nil, nil, Int32(MPI_THREAD_FUNNELED), &provided), "MPI_Init_thread")
            atexit {
                var finalized: Int32 = 0
                MPI_Finalized(&finalized)
                if finalized == 0 && !MPICommunicator.broken { MPI_Finalize() }
            }
        }
        comm = diffuse_mpi_comm_world()
        try Self.check(MPI_Comm_set_errhandler(comm, diffuse_mpi_errors_return()), "MPI_Comm_set_errhandler")
        var r: Int32 = 0, s: Int32 = 0
        try Self.check(MPI_Comm_rank(comm, &r), "MPI_Comm_rank")
        try Self.check(MPI_Comm_size(comm, &s), "MPI_Comm_size")
        rank = Int(r)
        size = Int(s)
        self.timeout = seconds
    }

    /// Whether this program was started by an MPI launcher (Open MPI's `mpirun`, or a PMIx
    /// launcher such as `srun --mpi=pmix`).
    public static var isLaunched: Bool {
        let environment = ProcessInfo.processInfo.environment
        return environment["OMPI_COMM_WORLD_SIZE"] != nil || environment["PMIX_RANK"] != nil
    }

    /// Ends every process of the run (`MPI_Abort`), for an error met by some processes only.
    public func abort(exitCode: Int32) -> Never {
        fflush(stdout)
        MPI_Abort(comm, exitCode)
        exit(exitCode)
    }

    static func check(_ code: Int32, _ call: String) throws {
        guard code != MPI_SUCCESS else { return }
        var buffer = [CChar](repeating: 0, count: Int(diffuse_mpi_max_error_string()) + 1)
        var length: Int32 = 0
        MPI_Error_string(code, &buffer, &length)
        throw DistributedError.mpi(call: call, code: code, message: String(cString: buffer))
    }

    /// Memory handed to MPI for one collective: freed after it completes, leaked after a timeout.
    private final class Buffer {
        let pointer: UnsafeMutableRawPointer
        let bytes: Int
        init(bytes: Int) {
            self.bytes = bytes
            pointer = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(bytes, 1), alignment: 16)
        }
        convenience init<T>(copying values: [T]) {
            self.init(bytes: values.count * MemoryLayout<T>.stride)
            values.withUnsafeBytes { if let base = $0.baseAddress { pointer.copyMemory(from: base, byteCount: $0.count) } }
        }
        func values<T>(_: T.Type, count: Int) -> [T] {
            Array(UnsafeBufferPointer(start: pointer.assumingMemoryBound(to: T.self), count: count))
        }
        func free() { pointer.deallocate() }
    }

    /// Starts a non-blocking collective on `buffers` and waits for it, polling, for at most
    /// ``timeout`` seconds, then reads the results with `finish` and frees the buffers. On a
    /// timeout the buffers stay allocated (MPI may still write into them).
    private func run<R>(_ call: String, _ buffers: [Buffer], start: (inout MPI_Request?) -> Int32, finish: () -> R) throws -> R {
        guard !Self.broken else {
            buffers.forEach { $0.free() }
            throw DistributedError.unusable(call: call)
        }
        var request: MPI_Request? = nil
        let started = start(&request)
        guard started == MPI_SUCCESS else {
            buffers.forEach { $0.free() }
            try Self.check(started, call)
            fatalError("unreachable")
        }
        let deadline = ProcessInfo.processInfo.systemUptime + timeout
        var polls = 0
        while true {
            var done: Int32 = 0
            let code = MPI_Test(&request, &done, diffuse_mpi_status_ignore())
            if code != MPI_SUCCESS {
                Self.broken = true
                try Self.check(code, call)
            }
            if done != 0 { break }
            polls += 1
            if polls > 2000 {
                usleep(50)
                if polls % 1000 == 0 && ProcessInfo.processInfo.systemUptime > deadline {
                    Self.broken = true
                    throw DistributedError.timeout(call: call, seconds: timeout, rank: rank, size: size)
                }
            }
        }
        let result = finish()
        buffers.forEach { $0.free() }
        return result
    }

    private func datatype<S: TensorScalar>(_: S.Type) -> MPI_Datatype {
        S.self == Float.self ? diffuse_mpi_float() : diffuse_mpi_double()
    }

    private func count(_ n: Int, _ call: String) throws -> Int32 {
        guard n <= Int(Int32.max) else { throw DistributedError.tooLarge(call: call, count: n) }
        return Int32(n)
    }

    public func barrier() throws {
        try run("MPI_Ibarrier", [], start: { MPI_Ibarrier(comm, &$0) }, finish: {})
    }

    public func allReduceSum<S: TensorScalar>(_ values: inout [S]) throws {
        let n = try count(values.count, "MPI_Iallreduce")
        // Separate send and receive buffers: Open MPI's in-place non-blocking all-reduce
        // reduces through rank 0; this way it may use its ring and other algorithms.
        let send = Buffer(copying: values), receive = Buffer(bytes: values.count * MemoryLayout<S>.stride)
        let count = values.count
        values = try run("MPI_Iallreduce", [send, receive],
                         start: { MPI_Iallreduce(send.pointer, receive.pointer, n, datatype(S.self), diffuse_mpi_sum(), comm, &$0) },
                         finish: { receive.values(S.self, count: count) })
    }

    private func broadcastRaw<T>(_ values: [T], type: MPI_Datatype, root: Int, call: String) throws -> [T] {
        let n = try count(values.count, call)
        let buffer = Buffer(copying: values)
        let count = values.count
        return try run(call, [buffer], start: { MPI_Ibcast(buffer.pointer, n, type, Int32(root), comm, &$0) },
                       finish: { buffer.values(T.self, count: count) })
    }

    public func broadcast<S: TensorScalar>(_ values: inout [S], from root: Int) throws {
        precondition((0..<size).contains(root), "root \(root) is not a rank of \(size)")
        // The root's count first, so that a mismatch is an error and not a truncated message.
        let counts = try broadcastRaw([Int64(values.count)], type: diffuse_mpi_int64(), root: root, call: "MPI_Ibcast")
        // Every process learns whether any count differs, so that all of them throw (none is
        // left waiting in the data broadcast).
        var mismatches: [Double] = [counts[0] == Int64(values.count) ? 0 : 1]
        try allReduceSum(&mismatches)
        guard mismatches[0] == 0 else {
            throw CollectiveError(call: "broadcast", reason: counts[0] == Int64(values.count)
                ? "rank \(root) sends \(counts[0]) values and \(Int(mismatches[0])) process(es) expect another count"
                : "rank \(root) sends \(counts[0]) values, rank \(rank) expects \(values.count)")
        }
        values = try broadcastRaw(values, type: datatype(S.self), root: root, call: "MPI_Ibcast")
    }

    public func allGather<S: TensorScalar>(_ values: [S]) throws -> [[S]] {
        let size = self.size
        let mine = Buffer(copying: [Int64(values.count)]), counts = Buffer(bytes: size * 8)
        let gathered = try run("MPI_Iallgather", [mine, counts],
                               start: { MPI_Iallgather(mine.pointer, 1, diffuse_mpi_int64(), counts.pointer, 1, diffuse_mpi_int64(), comm, &$0) },
                               finish: { counts.values(Int64.self, count: size) })
        let receiveCounts = try gathered.map { try count(Int($0), "MPI_Iallgatherv") }
        let total = gathered.reduce(0, +)
        _ = try count(Int(total), "MPI_Iallgatherv")
        var displacements = [Int32](repeating: 0, count: size)
        for r in 1..<Swift.max(size, 1) where r < size { displacements[r] = displacements[r - 1] + receiveCounts[r - 1] }
        let n = try count(values.count, "MPI_Iallgatherv")
        let send = Buffer(copying: values), receive = Buffer(bytes: Int(total) * MemoryLayout<S>.stride)
        let countsBuffer = Buffer(copying: receiveCounts), displacementsBuffer = Buffer(copying: displacements)
        let all = try run("MPI_Iallgatherv", [send, receive, countsBuffer, displacementsBuffer],
                          start: { MPI_Iallgatherv(send.pointer, n, datatype(S.self), receive.pointer,
                                                   countsBuffer.pointer.assumingMemoryBound(to: Int32.self),
                                                   displacementsBuffer.pointer.assumingMemoryBound(to: Int32.self),
                                                   datatype(S.self), comm, &$0) },
                          finish: { receive.values(S.self, count: Int(total)) })
        return (0..<size).map { r in Array(all[Int(displacements[r])..<(Int(displacements[r]) + Int(receiveCounts[r]))]) }
    }
}
