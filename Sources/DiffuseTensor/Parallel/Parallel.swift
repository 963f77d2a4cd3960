import _DiffuseKernels
import Foundation

/// Splits loops over the cores when the work pays for it.
///
/// Work is divided into chunks whose boundaries depend only on the problem size and
/// `minimumChunk`, never on the thread count, so any reduction that combines per-chunk results
/// in chunk order gives bit-identical results on 1 or many threads. Nested calls (a parallel
/// loop inside a parallel loop) run serially on the calling thread instead of oversubscribing.
///
/// The loops run on a pool of persistent threads (`diffuse_pool_run` in `_DiffuseKernels`) that
/// spin briefly between jobs, so that loops of a few hundred microseconds are worth sharing:
/// measured on the 2-core development machine, libdispatch's `concurrentPerform` (used
/// before) gave no speed-up on the 0.25 ms exact-mixture evaluation of 4096 × 32 points, as
/// waking a sleeping thread costs 10–13 µs there.
public enum Parallel {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var configuredThreadCount = ProcessInfo.processInfo.activeProcessorCount

    /// How many threads parallel loops use (default: the number of active processors).
    public static var threadCount: Int {
        get { lock.lock(); defer { lock.unlock() }; return configuredThreadCount }
        set {
            precondition(newValue >= 1, "thread count must be at least 1")
            lock.lock(); configuredThreadCount = newValue; lock.unlock()
        }
    }

    /// Whether the calling thread is already running inside a parallel loop.
    public static var isInsideParallelRegion: Bool {
        diffuse_pool_is_inside_job() != 0
    }

    /// The chunk ranges `0..<count` is cut into: chunks of `chunkSize` (the last may be shorter).
    public static func chunks(count: Int, chunkSize: Int) -> [Range<Int>] {
        precondition(chunkSize > 0)
        return stride(from: 0, to: count, by: chunkSize).map { $0..<Swift.min($0 + chunkSize, count) }
    }

    /// Runs `body` over consecutive sub-ranges of `0..<count`, in parallel when `count` is at
    /// least `2 * minimumChunk` and more than one thread is configured.
    ///
    /// The sub-ranges are at least `minimumChunk` long; their boundaries may depend on the
    /// thread count, so use ``forEachFixedChunk(count:chunkSize:_:)`` when results must not.
    public static func forEachChunk(count: Int, minimumChunk: Int, _ body: (Range<Int>) -> Void) {
        let threads = threadCount
        if count < 2 * minimumChunk || threads < 2 || isInsideParallelRegion {
            if count > 0 { body(0..<count) }
            return
        }
        let pieces = Swift.min(threads, count / minimumChunk)
        let size = (count + pieces - 1) / pieces
        run(iterations: pieces) { p in
            let lo = p * size
            let hi = Swift.min(lo + size, count)
            if lo < hi { body(lo..<hi) }
        }
    }

    /// Runs `body(chunkIndex, range)` for each fixed chunk of `0..<count`, in parallel when
    /// worthwhile. The chunking depends only on `count` and `chunkSize`.
    public static func forEachFixedChunk(count: Int, chunkSize: Int, _ body: (Int, Range<Int>) -> Void) {
        let pieces = (count + chunkSize - 1) / chunkSize
        if pieces <= 1 || threadCount < 2 || isInsideParallelRegion {
            for p in 0..<pieces { body(p, (p * chunkSize)..<Swift.min((p + 1) * chunkSize, count)) }
            return
        }
        run(iterations: pieces) { p in
            body(p, (p * chunkSize)..<Swift.min((p + 1) * chunkSize, count))
        }
    }

    /// Runs `body(i)` for `i` in `0..<iterations`, spread over at most `threads` threads
    /// (default ``threadCount``).
    public static func forEach(iterations: Int, threads: Int? = nil, _ body: (Int) -> Void) {
        let limit = threads ?? threadCount
        if iterations <= 1 || limit < 2 || isInsideParallelRegion {
            for i in 0..<iterations { body(i) }
            return
        }
        run(iterations: iterations, threads: limit, body)
    }

    /// `transform` applied to every element of `items`, spread over the threads like
    /// ``forEach(iterations:threads:_:)``; the results come back in the order of `items`.
    public static func map<Item, Result>(_ items: [Item], _ transform: (Item) -> Result) -> [Result] {
        var results = [Result?](repeating: nil, count: items.count)
        results.withUnsafeMutableBufferPointer { buffer in
            let slots = buffer
            forEach(iterations: items.count) { slots[$0] = transform(items[$0]) }
        }
        return results.map { $0! }
    }

    private static func run(iterations: Int, threads: Int? = nil, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            var task = body
            withUnsafeMutablePointer(to: &task) { context in
                diffuse_pool_run(iterations, Int32(clamping: threads ?? threadCount), { context, index in
                    context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(index)
                }, context)
            }
        }
    }
}
