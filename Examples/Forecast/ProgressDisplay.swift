import DiffuseTensor
import DiffuseTimeSeries
import Foundation

/// A one-line progress display on standard error: step, running loss, elapsed and remaining time,
/// and the last validation score.
struct ProgressDisplay {
    var label: String
    var lastValidation: Double?
    var lastDraw = Date.distantPast

    init(label: String) { self.label = label }

    mutating func update(_ p: TrainingProgress) {
        if let v = p.validationCRPS { lastValidation = v }
        let now = Date()
        guard p.step == p.totalSteps || p.validationCRPS != nil || now.timeIntervalSince(lastDraw) > 0.5 else { return }
        lastDraw = now
        var line = "\r\(label) \(p.step)/\(p.totalSteps)  loss \(String(format: "%.4f", p.loss))  "
            + "\(Duration.text(p.secondsElapsed)) elapsed, \(Duration.text(p.secondsRemaining)) left"
        if let v = lastValidation { line += "  validation CRPS \(String(format: "%.4f", v))" }
        FileHandle.standardError.write(Data((line + "   ").utf8))
        if p.validationCRPS != nil { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    func finish() { FileHandle.standardError.write(Data("\n".utf8)) }
}

enum Duration {
    /// `1h02m`, `3m05s` or `12.3s`.
    static func text(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        if seconds >= 3600 { return String(format: "%dh%02dm", Int(seconds) / 3600, Int(seconds) % 3600 / 60) }
        if seconds >= 60 { return String(format: "%dm%02ds", Int(seconds) / 60, Int(seconds) % 60) }
        return String(format: "%.1fs", seconds)
    }
}

/// The training losses and validation scores of a run, as CSV and an SVG loss curve.
struct TrainingLog {
    var report: TrainingReport

    func write(to folder: URL) throws {
        var csv = "step,loss\n"
        for (i, l) in report.losses.enumerated() { csv += "\(i + 1),\(l)\n" }
        try AtomicFile.write(Data(csv.utf8), to: folder.appendingPathComponent("training-loss.csv"))
        var validation = "step,crps\n"
        for v in report.validations { validation += "\(v.step),\(v.crps)\n" }
        try AtomicFile.write(Data(validation.utf8), to: folder.appendingPathComponent("validation.csv"))
        try AtomicFile.write(Data(LossCurve.render(report).utf8), to: folder.appendingPathComponent("training-loss.svg"))
    }
}
