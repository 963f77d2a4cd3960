import ArgumentParser
import DiffuseTensor
import Foundation

/// Wall-clock seconds since an arbitrary origin (monotonic).
func monotonicSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

/// The median of `repeats` timings of `body` after `warmup` untimed calls, in seconds.
func medianTime(repeats: Int = 5, warmup: Int = 1, _ body: () -> Void) -> Double {
    for _ in 0..<warmup { body() }
    var times: [Double] = []
    for _ in 0..<repeats {
        let t0 = monotonicSeconds()
        body()
        times.append(monotonicSeconds() - t0)
    }
    times.sort()
    return times[times.count / 2]
}

/// Runs `body` once with BLAS timing on: its wall seconds, and the seconds spent in BLAS products
/// summed over threads and divided by the thread count (the wall time the products alone would
/// take with the threads kept busy: the floor any implementation calling the same products has).
func timeInProducts(_ body: () -> Void) -> (seconds: Double, productSeconds: Double) {
    BLAS.resetTiming()
    BLAS.isTimingEnabled = true
    let t0 = monotonicSeconds()
    body()
    let elapsed = monotonicSeconds() - t0
    BLAS.isTimingEnabled = false
    return (elapsed, BLAS.timeInBLAS.seconds / Double(Parallel.threadCount))
}

/// Runs `body` enough times to take at least `minimumSeconds` and returns seconds per call
/// (median over 5 such batches).
func secondsPerCall(minimumSeconds: Double = 0.05, _ body: () -> Void) -> Double {
    body()
    var calls = 1
    while true {
        let t0 = monotonicSeconds()
        for _ in 0..<calls { body() }
        if monotonicSeconds() - t0 >= minimumSeconds { break }
        calls *= 2
    }
    return medianTime(repeats: 5, warmup: 0) { for _ in 0..<calls { body() } } / Double(calls)
}

/// Encodes a value as pretty JSON text (unmeasured NaN figures as the string "nan").
func jsonText<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return String(decoding: try! encoder.encode(value), as: UTF8.self)
}

/// Left-pads or right-pads a cell to a width for table output.
func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
    if text.count >= width { return text }
    let fill = String(repeating: " ", count: width - text.count)
    return right ? fill + text : text + fill
}

/// A number with a fixed number of decimals.
func fixed(_ x: Double, _ decimals: Int = 1) -> String {
    String(format: "%.\(decimals)f", x)
}

/// Checks a command-line count against its documented range (beyond it a run would not fit in
/// memory or time, or would index an empty list).
func checkRange(_ option: String, _ value: Int?, _ range: ClosedRange<Int>) throws {
    if let value, !range.contains(value) {
        throw ValidationError("\(option) must be in \(range.lowerBound)…\(range.upperBound) (got \(value))")
    }
}
