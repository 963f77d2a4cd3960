import DiffuseTimeSeries
import Foundation

/// The scores of every method, printed as an aligned table or as JSON
/// (`{"methods": {"tsdiff-q": {"crps": …, "nd": …, "nrmse": …, "mase": …}, …}, "seconds": …}`,
/// with `"multivariate": {"tsdiff-q": {"mean_crps": …, "sum_crps": …, "energy_score": …}, …}`
/// for several series, and `"settings": {"tsdiff-q": {"samples": …, "sampler": "ddpm", "steps": …,
/// "scale": …}, …}` for the rows TSDiff drew).
struct ResultsTable {
    /// How a guided row was drawn: the sampler's name (`ddpm` for the ancestral form, strided or
    /// not, `ddim`), its steps, the guidance scale that gave the row (after any halving on
    /// divergence) and the sample paths per window.
    struct GuidedSettings {
        var name: String
        var samples: Int
        var sampler: ForecastSampler
        var steps: Int
        var scale: Double

        init(name: String, samples: Int, sampler: ForecastSampler, diffusionSteps: Int, scale: Double) {
            self.name = name
            self.samples = samples
            self.sampler = sampler
            switch sampler {
            case .ddpm: steps = diffusionSteps
            case .stridedDDPM(let n), .ddim(let n): steps = n
            }
            self.scale = scale
        }
    }

    var methods: [(name: String, metrics: ForecastMetrics)]
    /// The settings of the guided rows in `methods`.
    var settings: [GuidedSettings] = []
    /// Linear predictive scores (ridge fitted on synthetic or real windows), when requested.
    var linearPredictiveScores: [(name: String, metrics: ForecastMetrics)] = []
    /// The row chosen on validation windows, with the validation scores.
    var choice: (row: String, validation: ValidationChoice)?
    /// Scores of the group of series together, per method (when there are several series).
    var multivariate: [(name: String, metrics: MultivariateMetrics)] = []
    var seconds: Double

    func text() -> String {
        // Names are padded to the longest (at least 24 characters).
        let width = Swift.max(24, (methods + linearPredictiveScores).map(\.name.count).max() ?? 0)
        var lines = ["method".padding(toLength: width + 6, withPad: " ", startingAt: 0) + "CRPS      ND     NRMSE    MASE"]
        // The best CRPS is marked.
        let best = methods.filter { $0.metrics.crps.isFinite }.min { $0.metrics.crps < $1.metrics.crps }?.name
        for (name, m) in methods {
            lines.append((name == best ? "* " : "  ") + name.padding(toLength: width, withPad: " ", startingAt: 0)
                         + String(format: "%9.4f %8.4f %8.4f %7.3f", m.crps, m.nd, m.nrmse, m.mase))
        }
        if !linearPredictiveScores.isEmpty {
            lines.append("linear predictive score (ridge on windows → the first test window of each series; CRPS = ND)")
            for (name, m) in linearPredictiveScores {
                lines.append("  " + name.padding(toLength: width, withPad: " ", startingAt: 0) + String(format: "%9.4f %8.4f %8.4f %7.3f", m.crps, m.nd, m.nrmse, m.mase))
            }
        }
        if !multivariate.isEmpty {
            lines.append("the series together (GluonTS's multivariate scores; energy score in units of each window's scale):")
            lines.append("  " + "method".padding(toLength: width, withPad: " ", startingAt: 0) + " mean CRPS  CRPS of sum  energy")
            for (name, m) in multivariate {
                lines.append("  " + name.padding(toLength: width, withPad: " ", startingAt: 0) + String(format: "%9.4f %11.4f %9.4f", m.meanSeriesCRPS, m.sumCRPS, m.energyScore))
            }
        }
        if let choice {
            let test = methods.first { $0.name == choice.row }.map { String(format: "test CRPS %.4f", $0.metrics.crps) } ?? "no test row"
            lines.append("chosen on the validation windows: \(choice.row) (\(test)); validation CRPS: \(choice.validation.summary)")
        }
        lines.append(String(format: "(%.1f s; CRPS = mean weighted quantile loss over q = 0.1…0.9; * the lowest CRPS)", seconds))
        return lines.joined(separator: "\n")
    }

    func json() -> String {
        func number(_ x: Double) -> String { x.isFinite ? String(format: "%.6g", x) : "null" }
        let entries = methods.map { name, m in
            "\"\(name)\": {\"crps\": \(number(m.crps)), \"nd\": \(number(m.nd)), \"nrmse\": \(number(m.nrmse)), \"mase\": \(number(m.mase))}"
        }
        var text = "{\"methods\": {\(entries.joined(separator: ", "))}"
        if !linearPredictiveScores.isEmpty {
            let lps = linearPredictiveScores.map { "\"\($0.name)\": {\"crps\": \(number($0.metrics.crps)), \"nd\": \(number($0.metrics.nd)), \"nrmse\": \(number($0.metrics.nrmse))}" }
            text += ", \"linear_predictive_score\": {\(lps.joined(separator: ", "))}"
        }
        if !multivariate.isEmpty {
            let entries = multivariate.map { "\"\($0.name)\": {\"mean_crps\": \(number($0.metrics.meanSeriesCRPS)), \"sum_crps\": \(number($0.metrics.sumCRPS)), \"energy_score\": \(number($0.metrics.energyScore))}" }
            text += ", \"multivariate\": {\(entries.joined(separator: ", "))}"
        }
        if !settings.isEmpty {
            let entries = settings.map {
                "\"\($0.name)\": {\"samples\": \($0.samples), \"sampler\": \"\($0.sampler.isAncestral ? "ddpm" : "ddim")\", \"steps\": \($0.steps), \"scale\": \(number($0.scale))}"
            }
            text += ", \"settings\": {\(entries.joined(separator: ", "))}"
        }
        if let choice {
            let scores = choice.validation.candidates.map { "\"\($0.name)\": \(number($0.crps))" }
            text += ", \"chosen\": {\"method\": \"\(choice.row)\", \"crps\": \(number(methods.first { $0.name == choice.row }?.metrics.crps ?? .nan)), "
                + "\"validation\": {\(scores.joined(separator: ", "))}}"
        }
        return text + ", \"seconds\": \(number(seconds))}"
    }
}
