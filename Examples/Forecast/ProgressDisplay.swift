import DiffuseTensor
import DiffuseTimeSeries
import Foundation

/// The training progress line: step, running loss, elapsed and remaining time, and the last
/// validation score; a line with a new validation score is kept.
struct ProgressDisplay {
    let line: ProgressLine
    var lastValidation: Double?

    init(label: String) { line = ProgressLine(label: label) }

    mutating func update(_ p: TrainingProgress) {
        if let v = p.validationCRPS { lastValidation = v }
        var detail = "loss \(String(format: "%.4f", p.loss))"
        if let v = lastValidation { detail += "  validation CRPS \(String(format: "%.4f", v))" }
        line.update(p.step, of: p.totalSteps, detail: detail, keep: p.validationCRPS != nil)
    }

    func finish() { line.finish() }
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
