import DiffusePlot
import DiffuseTensor
import DiffuseTimeSeries
import Foundation

/// Forecast fan charts: per series, the last history before the test period, the truth, the
/// median forecast and its 50% and 90% bands over all test windows.
enum FanChart {
    static func render(backtest: Backtest, samples: [[[Double]]], method: String, historySteps: Int) -> [(String, String)] {
        var charts: [(String, String)] = []
        var w = 0
        for target in backtest.testTargets {
            let s = target.series
            let first = target.starts[0]
            let historyStart = Swift.max(0, first - historySteps)
            var plot = SVGPlot(title: "\(s.name): \(method) forecast, \(backtest.windows) windows × \(backtest.predictionLength) steps",
                               xLabel: "steps (0 = start of the test period)", yLabel: s.name)
            let observedRange = (historyStart..<s.count).filter { s.observed[$0] }
            var x: [Double] = [], q05: [Double] = [], q25: [Double] = [], q50: [Double] = [], q75: [Double] = [], q95: [Double] = []
            for start in target.starts {
                for h in 0..<backtest.predictionLength {
                    let values = samples[w].map { $0[h] }.sorted()
                    x.append(Double(start + h - first))
                    q05.append(ForecastMetrics.sampleQuantile(values, 0.05))
                    q25.append(ForecastMetrics.sampleQuantile(values, 0.25))
                    q50.append(ForecastMetrics.sampleQuantile(values, 0.5))
                    q75.append(ForecastMetrics.sampleQuantile(values, 0.75))
                    q95.append(ForecastMetrics.sampleQuantile(values, 0.95))
                }
                w += 1
            }
            plot.band(x: x, lower: q05, upper: q95, color: "#1f77b4", opacity: 0.18, label: "90% band")
            plot.band(x: x, lower: q25, upper: q75, color: "#1f77b4", opacity: 0.35, label: "50% band")
            plot.line(x: observedRange.map { Double($0 - first) }, y: observedRange.map { s.values[$0] }, color: "#222222", width: 1.2, label: "observed")
            plot.line(x: x, y: q50, color: "#d62728", width: 1.5, label: "median")
            plot.verticalLine(at: 0)
            charts.append((s.name, plot.render()))
        }
        return charts
    }

    /// A file name for a series name (letters, digits, `-` and `_`).
    static func fileName(_ name: String) -> String {
        "fan-" + String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
    }

    /// ``fileName(_:)`` of each series name, with a counter for names that differ only in
    /// characters a file name cannot hold.
    static func fileNames(_ names: [String]) -> [String] {
        var used = Set<String>()
        return names.map { name in
            var file = fileName(name), copy = 2
            while used.contains(file) { file = fileName(name) + "-\(copy)"; copy += 1 }
            used.insert(file)
            return file
        }
    }
}

/// The training loss (a 50-step running mean) and validation CRPS over steps.
enum LossCurve {
    static func render(_ report: TrainingReport) -> String {
        var plot = SVGPlot(title: "TSDiff training", xLabel: "step", yLabel: "denoising loss (50-step mean)")
        plot.logY = true
        var smoothed: [Double] = []
        var sum = 0.0
        for (i, l) in report.losses.enumerated() {
            sum += l
            if i >= 50 { sum -= report.losses[i - 50] }
            smoothed.append(sum / Double(Swift.min(i + 1, 50)))
        }
        plot.line(x: smoothed.indices.map { Double($0 + 1) }, y: smoothed, label: "loss")
        return plot.render()
    }
}

/// A few unconditional samples (scaled units), one line each.
enum SyntheticPlot {
    static func write(_ samples: [[Double]], to url: URL) throws {
        var plot = SVGPlot(title: "TSDiff unconditional samples (mean-scaled)", xLabel: "step", yLabel: "value / context mean")
        let colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
        for (i, s) in samples.enumerated() {
            plot.line(x: s.indices.map(Double.init), y: s, color: colors[i % colors.count], width: 1, label: i == 0 ? "samples" : nil)
        }
        try AtomicFile.write(Data(plot.render().utf8), to: url)
    }
}
