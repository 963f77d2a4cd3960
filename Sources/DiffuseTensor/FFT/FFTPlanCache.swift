import CFFTW
import Foundation

/// Cache of FFTW plans, keyed by transform kind, precision, length, batch layout, the SIMD
/// alignment of the arrays and whether the transform is in place.
///
/// FFTW's planner is not thread-safe (planning from several threads crashed every time in a
/// test here), so plans are created under one lock; executing a plan on new arrays
/// (`fftw_execute_split_dft*`) is thread-safe and happens outside the lock. Plans use
/// `FFTW_ESTIMATE`: about 1.5 ms to plan n = 4096 × 256, and within 20% of `FFTW_MEASURE`'s
/// execution speed there, which costs ~250 ms to plan. `FFTW_ESTIMATE` does not touch the arrays
/// while planning, so planning with the caller's own arrays is safe, and — unlike measured
/// plans, which time candidate algorithms — it picks the same algorithm in every run, so
/// results are reproducible across runs. (For the channel-pair transforms of TSDiff, n = 720
/// with 32 channels, `FFTW_MEASURE` executes 2.4× faster in isolation but gave only 4–7% on a
/// whole guided step here.)
final class FFTPlanCache: @unchecked Sendable {
    enum Kind: Hashable { case complex, realToComplex, complexToReal }

    struct Key: Hashable {
        var kind: Kind
        var isDouble: Bool
        var length: Int
        /// (count, input stride, output stride) of each batch loop, outermost first.
        var batch: [[Int]]
        var transformStrides: [Int]
        var alignments: [Int]
        /// −1 for forward complex transforms, +1 for backward, 0 for real transforms.
        var sign: Int32
        /// Whether input and output are the same array (FFTW plans are made for one or the other).
        var inPlace: Bool
    }

    static let shared = FFTPlanCache()

    private var plans: [Key: OpaquePointer] = [:]
    private let lock = NSLock()

    /// The cached plan for `key`, created by `make` under the planner lock if missing.
    func plan(for key: Key, make: () -> OpaquePointer?) -> OpaquePointer {
        lock.lock()
        defer { lock.unlock() }
        if let p = plans[key] { return p }
        guard let p = make() else {
            preconditionFailure("FFTW could not create a plan for \(key)")
        }
        plans[key] = p
        return p
    }

    /// The number of plans created so far.
    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return plans.count
    }
}
