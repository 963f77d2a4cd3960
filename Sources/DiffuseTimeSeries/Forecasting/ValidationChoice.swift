import Foundation

/// A choice among forecasting methods made on validation windows only (``Backtest/validation(windows:history:)``):
/// the candidate with the lowest CRPS (mean weighted quantile loss), the earliest on a tie.
/// Candidates that failed (a guidance that diverged at every scale tried, a forecaster that
/// cannot use the history) take part with an infinite CRPS and are never chosen.
///
/// Limitations: the choice is as good as the validation windows are like the test windows; a
/// validation period that holds a holiday the test period lacks (or the reverse) can choose
/// the wrong method. Candidates scored from few sample paths have a slightly higher expected
/// CRPS than from many (their quantiles are noisier), which favours methods scored with more.
public struct ValidationChoice: Sendable, Equatable {
    public struct Candidate: Sendable, Equatable {
        /// The method's name as the results table prints it (`tsdiff-q@4`, `holt-winters`, …).
        public var name: String
        /// Mean weighted quantile loss on the validation windows (infinity: failed).
        public var crps: Double
        public init(name: String, crps: Double) {
            self.name = name
            self.crps = crps
        }
    }

    /// Every candidate in the order given.
    public var candidates: [Candidate]
    /// The candidate with the lowest finite CRPS.
    public var chosen: Candidate

    /// - Throws: ``TimeSeriesError/invalidOption(_:)`` when no candidate has a finite CRPS.
    public init(candidates: [Candidate]) throws {
        var best: Candidate?
        for c in candidates where c.crps.isFinite && c.crps < (best?.crps ?? .infinity) { best = c }
        guard let best else {
            throw TimeSeriesError.invalidOption("no method produced a finite validation score (\(candidates.map(\.name).joined(separator: ", ")))")
        }
        self.candidates = candidates
        self.chosen = best
    }

    /// "holt-winters 0.0412 (tsdiff-q@4 0.0455, seasonal-naive 0.0602, …)".
    public var summary: String {
        func format(_ x: Double) -> String { x.isFinite ? String(format: "%.4f", x) : "failed" }
        let others = candidates.filter { $0 != chosen }.map { "\($0.name) \(format($0.crps))" }
        return "\(chosen.name) \(format(chosen.crps))" + (others.isEmpty ? "" : " (\(others.joined(separator: ", ")))")
    }
}
