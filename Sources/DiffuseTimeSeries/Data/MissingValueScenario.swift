import DiffuseTensor
import Foundation

/// The missing-value scenarios of TSDiff's experiments (reference `utils.MaskInput`): a fraction
/// of each forecast context is hidden, and the hidden values leave both the guidance energy and
/// the mean scale, exactly as missing data would.
public enum MissingValueScenario: Codable, Hashable, Sendable {
    /// k random context steps (RM).
    case random(fraction: Double)
    /// The first k context steps (BM-B).
    case blockAtBeginning(fraction: Double)
    /// The last k context steps (BM-E).
    case blockAtEnd(fraction: Double)

    public var fraction: Double {
        switch self {
        case let .random(f), let .blockAtBeginning(f), let .blockAtEnd(f): return f
        }
    }

    /// The series with `k = round(fraction · contextLength)` steps of the context before
    /// `forecastStart` marked missing. Values after the start are untouched.
    public func apply(to series: TimeSeries, forecastStart start: Int, contextLength: Int, key: RandomKey) throws -> TimeSeries {
        guard (0...1).contains(fraction) else { throw TimeSeriesError.invalidOption("missing fraction must be in [0, 1] (got \(fraction))") }
        guard start >= contextLength && start <= series.count else {
            throw TimeSeriesError.tooShort(series: series.name, needed: contextLength, available: start)
        }
        let k = Int((fraction * Double(contextLength)).rounded())
        let contextStart = start - contextLength
        let hidden: [Int]
        switch self {
        case .random:
            var stream = RandomStream(key: key)
            hidden = stream.choice(from: contextLength, count: k, replace: false).map { contextStart + $0 }
        case .blockAtBeginning:
            hidden = Array(contextStart..<(contextStart + k))
        case .blockAtEnd:
            hidden = Array((start - k)..<start)
        }
        var result = series
        for i in hidden { result.observed[i] = false; result.values[i] = 0 }
        return result
    }
}
