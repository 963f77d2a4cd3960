import Foundation

/// A one-line progress display on standard error for long runs: `label done/total  detail
/// elapsed, left`, redrawn in place (carriage return) at most every `interval` seconds, and ended
/// with a newline when the run completes or when a caller wants the line kept (a validation
/// score). The time left is extrapolated from the mean time per unit so far.
public final class ProgressLine {
    public let label: String
    public let interval: Double
    /// The clock starts at the first update (a line made before its run starts does not count
    /// the wait).
    var start: Date?
    var lastDraw = Date.distantPast
    var open = false

    public init(label: String, interval: Double = 0.5) {
        self.label = label
        self.interval = interval
    }

    /// Redraws the line if `interval` has passed, the run is complete (`done == total`, which
    /// also ends the line) or `keep` is set (the line is drawn and ended, so it stays visible).
    public func update(_ done: Int, of total: Int, detail: String = "", keep: Bool = false) {
        let now = Date()
        let started = start ?? now
        start = started
        guard done >= total || keep || now.timeIntervalSince(lastDraw) > interval else { return }
        lastDraw = now
        let elapsed = now.timeIntervalSince(started)
        let remaining = done > 0 ? elapsed / Double(done) * Double(Swift.max(total - done, 0)) : .nan
        let middle = detail.isEmpty ? "  " : "  \(detail)  "
        var line = "\r\(label) \(done)/\(total)\(middle)\(Self.duration(elapsed)) elapsed, \(Self.duration(remaining)) left   "
        open = !(done >= total || keep)
        if !open { line += "\n" }
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// Ends a line left open (a run stopped before its total).
    public func finish() {
        if open { FileHandle.standardError.write(Data("\n".utf8)) }
        open = false
    }

    /// `1h02m`, `3m05s`, `12.3s`, or `?` for a time not known yet.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite && seconds >= 0 else { return "?" }
        if seconds >= 3600 { return String(format: "%dh%02dm", Int(seconds) / 3600, Int(seconds) % 3600 / 60) }
        if seconds >= 60 { return String(format: "%dm%02ds", Int(seconds) / 60, Int(seconds) % 60) }
        return String(format: "%.1fs", seconds)
    }
}
