import Foundation

/// A cache of large, freed tensor buffers, reused by later allocations of the same size.
///
/// Freshly mapped memory costs a page fault per 4 KiB on first touch, which made a simple
/// elementwise operation on 2²⁴ floats run at ~3 GB/s instead of the ~27 GB/s a warm loop
/// reaches. Training and sampling loops allocate the same shapes over and over, so keeping freed
/// buffers (64 KiB and larger, rounded up to whole pages) for reuse removes that cost. The cache
/// holds at most ``cacheLimit`` bytes; small buffers go straight to `malloc`, whose own bins
/// already reuse them.
///
/// The limit must exceed what one training or sampling step frees at its end, or the buffers
/// evicted there are mapped afresh in the next step: a guided TSDiff step on 256 windows frees
/// about 1.1 GB, and with a 1 GiB limit a quarter of its time went to the kernel zeroing new
/// pages (378 against 600 sample-steps/s with the larger default). Buffers are reused only for
/// the same rounded size, so a program that cycles through many shapes can hold up to the limit
/// in unused buffers; ``releaseCachedBuffers()`` returns them and ``cacheLimit`` lowers the cap.
public enum TensorMemory {
    static let minimumPooledBytes = 1 << 16
    private static let lock = NSLock()
    nonisolated(unsafe) private static var freeBuffers: [Int: [UnsafeMutableRawPointer]] = [:]
    nonisolated(unsafe) private static var cached = 0
    nonisolated(unsafe) private static var limit = defaultCacheLimit

    /// A quarter of the memory the process may use — the physical memory, or the cgroup's
    /// `memory.max` when a container sets a lower one — and at most 4 GiB.
    public static let defaultCacheLimit: Int = {
        var available = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        if let text = try? String(contentsOfFile: "/sys/fs/cgroup/memory.max", encoding: .utf8),
           let limit = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), limit > 0 {
            available = Swift.min(available, limit)
        }
        return Swift.min(4 << 30, available / 4)
    }()

    /// The most bytes of freed buffers kept for reuse (default ``defaultCacheLimit``). Lowering it
    /// frees the excess.
    public static var cacheLimit: Int {
        get { lock.lock(); defer { lock.unlock() }; return limit }
        set {
            precondition(newValue >= 0, "cache limit must be non-negative")
            lock.lock(); limit = newValue; lock.unlock()
            trim()
        }
    }

    /// The bytes currently held in the cache.
    public static var cachedBytes: Int {
        lock.lock(); defer { lock.unlock() }
        return cached
    }

    /// Returns every cached buffer to the system.
    public static func releaseCachedBuffers() {
        lock.lock()
        let all = freeBuffers
        freeBuffers = [:]
        cached = 0
        lock.unlock()
        for (_, list) in all { for p in list { p.deallocate() } }
    }

    private static func trim() {
        lock.lock()
        var excess: [UnsafeMutableRawPointer] = []
        while cached > limit, let size = freeBuffers.keys.max(), var list = freeBuffers[size], let p = list.popLast() {
            freeBuffers[size] = list.isEmpty ? nil : list
            cached -= size
            excess.append(p)
        }
        lock.unlock()
        for p in excess { p.deallocate() }
    }

    private static func pooledSize(_ byteCount: Int) -> Int { (byteCount + 4095) & ~4095 }

    /// 64-byte aligned memory for `byteCount` bytes.
    static func allocate(byteCount: Int) -> UnsafeMutableRawPointer {
        if byteCount < minimumPooledBytes {
            return UnsafeMutableRawPointer.allocate(byteCount: Swift.max(byteCount, 1), alignment: 64)
        }
        let size = pooledSize(byteCount)
        lock.lock()
        if var list = freeBuffers[size], let p = list.popLast() {
            freeBuffers[size] = list.isEmpty ? nil : list
            cached -= size
            lock.unlock()
            return p
        }
        lock.unlock()
        return UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
    }

    /// Gives memory from ``allocate(byteCount:)`` back, to the cache when it has room.
    static func release(_ p: UnsafeMutableRawPointer, byteCount: Int) {
        if byteCount < minimumPooledBytes {
            p.deallocate()
            return
        }
        let size = pooledSize(byteCount)
        lock.lock()
        if cached + size <= limit {
            freeBuffers[size, default: []].append(p)
            cached += size
            lock.unlock()
            return
        }
        lock.unlock()
        p.deallocate()
    }
}
