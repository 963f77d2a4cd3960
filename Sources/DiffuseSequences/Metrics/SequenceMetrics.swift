import Foundation

/// Metrics of designed sequences against real ones, as the SVDD evaluation reports them.
public enum SequenceMetrics {
    /// The q-quantile of values by linear interpolation between order statistics (NumPy's
    /// default): the median is q = 0.5, SVDD's "top 10%" the 0.9-quantile. NaN for no values.
    public static func quantile(_ values: [Double], _ q: Double) -> Double {
        precondition(q >= 0 && q <= 1, "a quantile level must be in [0, 1], got \(q)")
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        let position = q * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down)), upper = Swift.min(lower + 1, sorted.count - 1)
        return sorted[lower] + (position - Double(lower)) * (sorted[upper] - sorted[lower])
    }

    /// The frequencies of every k-mer (4^k of them, lexicographic order) over all windows of the
    /// sequences.
    public static func kmerSpectrum(_ sequences: [[Int]], k: Int = 3) -> [Double] {
        precondition(k >= 1 && k <= 10, "k must be in 1...10, got \(k)")
        precondition(sequences.allSatisfy { $0.allSatisfy { $0 >= 0 && $0 < 4 } }, "k-mer spectra need bases 0–3 (no mask tokens)")
        var counts = [Double](repeating: 0, count: 1 << (2 * k))
        var total = 0.0
        for x in sequences where x.count >= k {
            for start in 0...(x.count - k) {
                var code = 0
                for j in 0..<k { code = code * 4 + x[start + j] }
                counts[code] += 1
                total += 1
            }
        }
        return total > 0 ? counts.map { $0 / total } : counts
    }

    /// Pearson's correlation of two equally long vectors (NaN when either is constant).
    public static func correlation(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count && !a.isEmpty, "correlation needs two non-empty vectors of one length")
        let ma = a.reduce(0, +) / Double(a.count), mb = b.reduce(0, +) / Double(b.count)
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for i in a.indices {
            sab += (a[i] - ma) * (b[i] - mb)
            saa += (a[i] - ma) * (a[i] - ma)
            sbb += (b[i] - mb) * (b[i] - mb)
        }
        return sab / (saa * sbb).squareRoot()
    }

    /// The correlation of the 3-mer spectra of designed and real sequences.
    public static func threeMerCorrelation(_ designed: [[Int]], _ real: [[Int]]) -> Double {
        correlation(kmerSpectrum(designed, k: 3), kmerSpectrum(real, k: 3))
    }

    /// Diversity: the mean over pairs of the share of positions at which two sequences differ
    /// (sequences of one length; 0 for fewer than two).
    public static func meanPairwiseHamming(_ sequences: [[Int]]) -> Double {
        guard sequences.count >= 2 else { return 0 }
        let length = sequences[0].count
        precondition(length > 0 && sequences.allSatisfy { $0.count == length }, "Hamming distances need sequences of one positive length")
        var total = 0.0
        for i in 0..<sequences.count {
            for j in (i + 1)..<sequences.count {
                var differ = 0
                for p in 0..<length where sequences[i][p] != sequences[j][p] { differ += 1 }
                total += Double(differ) / Double(length)
            }
        }
        return total / Double(sequences.count * (sequences.count - 1) / 2)
    }
}
