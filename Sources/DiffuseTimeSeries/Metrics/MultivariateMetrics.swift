import Foundation

/// Scores of forecasts of a group of series, as GluonTS's `MultivariateEvaluator` reports them,
/// plus the energy score:
///
/// - `meanSeriesCRPS`: each series' mean weighted quantile loss (``ForecastMetrics/crps``) over
///   its windows, averaged over the series;
/// - `sumCRPS`: the mean weighted quantile loss of the sum over the series (GluonTS's
///   `m_sum_mean_wQuantileLoss`): sample path s of the sum is the sum of path s of every series,
///   so it rewards forecasts whose series move together as the data do (for independent draws
///   it scores the sum of independent paths); steps where a series is unobserved are left out;
/// - `energyScore`: E‖X − y‖ − ½E‖X − X′‖ over the vector of every series' horizon (Gneiting &
///   Raftery 2007), from the N paths with the unbiased ("fair") estimator
///   (1/N)Σ‖xᵢ − y‖ − 1/(2N(N − 1))Σ_{i≠j}‖xᵢ − xⱼ‖ (for N = 1, ‖x₁ − y‖), so that rows drawn
///   with different numbers of paths compare fairly; each series is divided by its window's
///   scale (the context's mean absolute value) so that series of different magnitudes count
///   alike; over observed steps, averaged over the groups with an observed step. For one series
///   and one step it is the fair sample CRPS. Lower is better for all three. Its cost is
///   O(N²·K·H) per group.
public struct MultivariateMetrics: Codable, Equatable, Sendable {
    public var meanSeriesCRPS: Double
    public var sumCRPS: Double
    public var energyScore: Double

    /// Scores paths `[window][sample][step]` against truths, the windows grouped by `groups`
    /// (window indices, series by series; see `TSDiff.jointGroups(windowCount:)`), each series
    /// of a group scaled by `scales[window]` in the energy score. Every window of a group needs
    /// the same number of paths.
    public static func score(samples: [[[Double]]], truths: [([Double], [Bool])], groups: [[Int]], scales: [Double]) -> MultivariateMetrics {
        precondition(samples.count == truths.count && scales.count == truths.count, "one truth and scale per forecast window")
        let k = groups.first?.count ?? 0
        // Per series: its windows of every group.
        let perSeries = (0..<k).map { m -> Double in
            let windows = groups.map { $0[m] }
            return ForecastMetrics.score(samples: windows.map { samples[$0] }, truths: windows.map { truths[$0] }, histories: [], seasonality: 1).crps
        }
        var sumSamples: [[[Double]]] = [], sumTruths: [([Double], [Bool])] = []
        var energy = 0.0, scored = 0
        for group in groups {
            let n = samples[group[0]].count
            precondition(group.allSatisfy { samples[$0].count == n }, "every series of a group needs the same number of paths")
            let horizon = truths[group[0]].0.count
            let observed = (0..<horizon).map { t in group.allSatisfy { truths[$0].1[t] } }
            sumSamples.append((0..<n).map { s in (0..<horizon).map { t in group.reduce(0) { $0 + samples[$1][s][t] } } })
            sumTruths.append(((0..<horizon).map { t in group.reduce(0) { $0 + truths[$1].0[t] } }, observed))
            if let score = energyScore(group.map { samples[$0] }, truths: group.map { truths[$0] }, scales: group.map { scales[$0] }) {
                energy += score
                scored += 1
            }
        }
        let sum = ForecastMetrics.score(samples: sumSamples, truths: sumTruths, histories: [], seasonality: 1).crps
        return MultivariateMetrics(meanSeriesCRPS: perSeries.isEmpty ? .nan : perSeries.reduce(0, +) / Double(k), sumCRPS: sum,
                                   energyScore: scored == 0 ? .nan : energy / Double(scored))
    }

    /// The fair sample energy score of one group: `paths[m][s][t]` of series m, truths per
    /// series; nil when no step is observed.
    static func energyScore(_ paths: [[[Double]]], truths: [([Double], [Bool])], scales: [Double]) -> Double? {
        let n = paths[0].count
        // The observed (series, step) entries, scaled.
        var vectors = [[Double]](repeating: [], count: n)
        var y: [Double] = []
        for (m, series) in paths.enumerated() {
            let scale = scales[m] > 0 ? scales[m] : 1
            for t in truths[m].0.indices where truths[m].1[t] {
                y.append(truths[m].0[t] / scale)
                for s in 0..<n { vectors[s].append(series[s][t] / scale) }
            }
        }
        guard !y.isEmpty, n > 0 else { return nil }
        func distance(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot() }
        let toTruth = vectors.reduce(0) { $0 + distance($1, y) } / Double(n)
        var spread = 0.0
        for i in 0..<n { for j in (i + 1)..<n { spread += distance(vectors[i], vectors[j]) } }
        // Σ_{i≠j} over ordered pairs is twice Σ_{i<j}.
        return n > 1 ? toTruth - spread / Double(n * (n - 1)) : toTruth
    }
}
