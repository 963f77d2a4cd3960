import CBLAS
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What Diffuse found and chose for OpenBLAS in this process.
public struct BLASDiagnostics: Sendable, Codable, Equatable, CustomStringConvertible {
    /// How the kernel in use came to be chosen.
    public enum Selection: String, Sendable, Codable {
        /// The user set `OPENBLAS_CORETYPE`; Diffuse left it alone.
        case userEnvironment
        /// OpenBLAS recognised the CPU; its own choice was kept.
        case openBLASChoice
        /// OpenBLAS fell back to a generic kernel; Diffuse selected a faster one and verified it.
        case automaticUpgrade
        /// A faster kernel was tried but failed its check; the fallback was kept.
        case upgradeRejected
        /// The OpenBLAS build cannot switch kernels at run time (no dynamic architecture).
        case switchingUnavailable
    }

    /// The kernel OpenBLAS chose when it was loaded.
    public var initialKernel: String
    /// The kernel in use now.
    public var kernel: String
    /// How it was chosen.
    public var selection: Selection
    /// The SIMD features of the CPU relevant to the choice (from `/proc/cpuinfo`).
    public var cpuFeatures: [String]
    /// The value of `OPENBLAS_CORETYPE` the user set, if any.
    public var userCoreType: String?

    public var description: String {
        var text = "OpenBLAS kernel \(kernel) (\(selection.rawValue)"
        if kernel != initialKernel { text += ", OpenBLAS chose \(initialKernel)" }
        if let user = userCoreType { text += ", OPENBLAS_CORETYPE=\(user)" }
        return text + "); CPU features: " + (cpuFeatures.isEmpty ? "none detected" : cpuFeatures.joined(separator: " "))
    }
}

/// Process-wide OpenBLAS set-up: the compute kernel and the thread count.
///
/// Debian's OpenBLAS 0.3.21 does not recognise some recent CPUs (measured: Intel family 6
/// model 207) and falls back to its generic "Prescott" kernel, 4–5× slower for `sgemm`.
/// On the first BLAS call Diffuse checks this: when the user has not set `OPENBLAS_CORETYPE`,
/// OpenBLAS reports a pre-AVX2 kernel, and the CPU has AVX-512 (or AVX2), it selects SkylakeX
/// (or Haswell) through OpenBLAS's own dynamic-architecture switch, verifies a small `sgemm` and
/// `dgemm` against a direct product, and keeps the fallback if the check fails. A value the user
/// set is always respected. ``diagnostics`` reports what happened.
public enum BLAS {
    /// Kernels that predate AVX2; on a CPU with AVX2 they indicate OpenBLAS's fallback.
    static let preAVX2Kernels: Set<String> = [
        "Prescott", "Katmai", "Coppermine", "Northwood", "Banias", "Core2", "Penryn", "Dunnington",
        "Nehalem", "Atom", "Opteron", "Opteron(SSE3)", "Barcelona", "Bobcat", "Nano", "Unknown",
    ]

    /// The kernel to try instead of OpenBLAS's choice, or `nil` to keep it.
    ///
    /// - Parameters:
    ///   - userCoreType: the value of `OPENBLAS_CORETYPE`, if set (then nothing is changed).
    ///   - reportedKernel: what `openblas_get_corename` reports.
    ///   - cpuFeatures: CPU flags as `/proc/cpuinfo` spells them (`avx2`, `avx512f`, ...).
    public static func kernelUpgrade(userCoreType: String?, reportedKernel: String, cpuFeatures: Set<String>) -> String? {
        if let user = userCoreType, !user.isEmpty { return nil }
        guard preAVX2Kernels.contains(reportedKernel) else { return nil }
        if cpuFeatures.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq"]) { return "SkylakeX" }
        if cpuFeatures.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
        return nil
    }

    /// What was chosen for this process (configures OpenBLAS on first access).
    public static var diagnostics: BLASDiagnostics { configured }

    nonisolated(unsafe) private static var productThreads = ProcessInfo.processInfo.activeProcessorCount

    /// The number of threads one matrix product uses (default: the active processors).
    ///
    /// OpenBLAS itself runs single-threaded: Diffuse splits a large product into row (or
    /// column) blocks, one single-threaded `gemm` per thread of its own pool. With OpenBLAS's
    /// own threads, their spin-waiting between calls (`sched_yield`, 15% of a training step's
    /// samples in a profile) competed with Diffuse's parallel elementwise loops on the two cores.
    /// Splitting the output does not change the order of any element's sum, so a product is
    /// bit-identical whatever the thread count.
    public static var threadCount: Int {
        get { timingLock.lock(); defer { timingLock.unlock() }; return productThreads }
        set {
            precondition(newValue >= 1, "BLAS thread count must be at least 1")
            timingLock.lock(); productThreads = newValue; timingLock.unlock()
        }
    }

    private static let timingLock = NSLock()
    nonisolated(unsafe) private static var timingEnabled = false
    nonisolated(unsafe) private static var accumulatedSeconds = 0.0
    nonisolated(unsafe) private static var accumulatedCalls = 0

    /// Whether matrix products record the time they spend in BLAS (off by default; the cost is
    /// two clock reads per product). Read the totals from ``timeInBLAS``.
    public static var isTimingEnabled: Bool {
        get { timingLock.lock(); defer { timingLock.unlock() }; return timingEnabled }
        set { timingLock.lock(); timingEnabled = newValue; timingLock.unlock() }
    }

    /// Total seconds and calls spent in BLAS products since timing was last reset.
    public static var timeInBLAS: (seconds: Double, calls: Int) {
        timingLock.lock(); defer { timingLock.unlock() }
        return (accumulatedSeconds, accumulatedCalls)
    }

    /// Resets the BLAS time totals to zero.
    public static func resetTiming() {
        timingLock.lock(); accumulatedSeconds = 0; accumulatedCalls = 0; timingLock.unlock()
    }

    /// Runs a BLAS call, adding its duration to the totals when timing is enabled.
    @inline(__always)
    static func timed(_ body: () -> Void) {
        guard timingEnabled else { body(); return }
        var start = timespec(), end = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        body()
        clock_gettime(CLOCK_MONOTONIC, &end)
        let seconds = Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) * 1e-9
        timingLock.lock()
        accumulatedSeconds += seconds
        accumulatedCalls += 1
        timingLock.unlock()
    }

    /// Makes sure OpenBLAS is configured; every BLAS and LAPACK entry point calls this first.
    @inline(__always)
    static func ensureConfigured() { _ = configured }

    private static let configured: BLASDiagnostics = configure()

    private static func currentKernel() -> String {
        guard let name = openblas_get_corename() else { return "Unknown" }
        return String(cString: name).trimmingCharacters(in: .whitespaces)
    }

    static func readCPUFeatures() -> [String] {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        let interesting: Set<String> = ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq"]
        return line[line.index(after: colon)...].split(separator: " ").map(String.init).filter(interesting.contains).sorted()
    }

    private static func configure() -> BLASDiagnostics {
        defer { openblas_set_num_threads(1) }
        let user = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"]
        let features = readCPUFeatures()
        let initial = currentKernel()
        var result = BLASDiagnostics(initialKernel: initial, kernel: initial, selection: .openBLASChoice,
                                     cpuFeatures: features, userCoreType: user)
        if let user, !user.isEmpty {
            result.selection = .userEnvironment
            return result
        }
        guard let target = kernelUpgrade(userCoreType: user, reportedKernel: initial, cpuFeatures: Set(features)) else {
            return result
        }
        guard let quit = dlsym(nil, "gotoblas_dynamic_quit"), let initialize = dlsym(nil, "gotoblas_dynamic_init") else {
            result.selection = .switchingUnavailable
            return result
        }
        typealias VoidFunction = @convention(c) () -> Void
        let quitFunction = unsafeBitCast(quit, to: VoidFunction.self)
        let initFunction = unsafeBitCast(initialize, to: VoidFunction.self)
        setenv("OPENBLAS_CORETYPE", target, 1)
        quitFunction()
        initFunction()
        unsetenv("OPENBLAS_CORETYPE")
        if currentKernel().caseInsensitiveCompare(target) == .orderedSame && productsAreCorrect() {
            result.kernel = currentKernel()
            result.selection = .automaticUpgrade
        } else {
            quitFunction()
            initFunction()
            result.kernel = currentKernel()
            result.selection = .upgradeRejected
        }
        return result
    }

    /// Checks `sgemm` and `dgemm` on odd-sized products against a direct triple loop in Double.
    private static func productsAreCorrect() -> Bool {
        let m = 67, k = 45, n = 53
        var a = [Double](repeating: 0, count: m * k), b = [Double](repeating: 0, count: k * n)
        var state: UInt64 = 0x9E3779B97F4A7C15
        func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53) - 0.5
        }
        for i in 0..<a.count { a[i] = next() }
        for i in 0..<b.count { b[i] = next() }
        var reference = [Double](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n { var s = 0.0; for l in 0..<k { s += a[i * k + l] * b[l * n + j] }; reference[i * n + j] = s } }
        var c = [Double](repeating: 0, count: m * n)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(k), b, Int32(n), 0, &c, Int32(n))
        let af = a.map(Float.init), bf = b.map(Float.init)
        var cf = [Float](repeating: 0, count: m * n)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1, af, Int32(k), bf, Int32(n), 0, &cf, Int32(n))
        for i in 0..<(m * n) {
            if Swift.abs(c[i] - reference[i]) > 1e-10 { return false }
            if Swift.abs(Double(cf[i]) - reference[i]) > 1e-4 { return false }
        }
        return true
    }
}
