import DiffuseCore
import DiffuseTensor
import DiffuseTimeSeries
import Foundation

/// The method the run recommends, chosen on the windows before the test period
/// (`--choose-on-validation`): TSDiff-Q at each scale of ``ForecastCommand/scaleGrid`` and, at
/// the best of them, with every one of the T diffusion steps (when the sampler and steps are the
/// defaults), every baseline, and TSDiff refining the best baseline. The test period plays no
/// part in it.
struct ValidationSelection {
    /// The scores on the validation windows.
    var choice: ValidationChoice
    /// The TSDiff-Q scale with the best validation score (nil when TSDiff-Q was not a candidate
    /// or failed at every scale).
    var bestQuantileScale: Double?
    /// The TSDiff-Q sampler with the best validation score at that scale (nil: the default).
    var bestQuantileSampler: ForecastSampler?
    /// The baseline that the refinement candidate refines.
    var refinedBase: ForecastCommand.Baseline?

    /// The row of the results table that the chosen candidate stands for: `tsdiff-q` for every
    /// scale of TSDiff-Q (the test row is drawn at the chosen scale), else the candidate's name.
    var chosenRow: String {
        choice.chosen.name.hasPrefix(ValidationSelection.quantilePrefix) ? "tsdiff-q" : choice.chosen.name
    }

    static let quantilePrefix = "tsdiff-q@"
    static let refinementSuffix = "+ml"

    /// The name of the TSDiff-Q candidate at `scale`, with `/N` for a sampler of N steps other
    /// than the default.
    static func quantileName(_ scale: Double, steps: Int? = nil) -> String {
        quantilePrefix + String(format: "%g", scale) + (steps.map { "/\($0)" } ?? "")
    }
}

extension ForecastCommand {
    /// Multiples of the default TSDiff-Q scale tried on validation: half, the default, double.
    static let scaleGrid: [Double] = [0.5, 1, 2]

    /// Scores every candidate on `validation` and chooses. TSDiff-Q draws
    /// `--validation-samples` paths per window at each scale of the grid (the grid is the
    /// `--scale` alone when it was given); a scale that diverges is a failed candidate. `known`
    /// holds scores already measured on these windows with these options (the training's
    /// validation of the kept parameters at the default scale), which are not drawn again.
    func selectOnValidation(_ validation: Backtest, model: TSDiff, quantileOptions: ForecastOptions?, known: [Double: Double] = [:],
                            baselines: [Baseline], refinementStep: () throws -> Int, key: RandomKey) throws -> ValidationSelection {
        let windows = try model.configuration.layout.windows(for: validation.testTargets)
        var candidates: [ValidationChoice.Candidate] = []
        var bestScale: (scale: Double, crps: Double)?
        var bestSampler: ForecastSampler?
        if var options = quantileOptions {
            options.samples = validationSamples
            // The validation CRPS of TSDiff-Q with `options`; infinite when the guidance diverges.
            func score(_ options: ForecastOptions) throws -> Double {
                do {
                    return validation.score(try model.forecast(windows, options: options)).crps
                } catch TimeSeriesError.guidanceDiverged, TimeSeriesError.nonFiniteForecast {
                    return .infinity
                }
            }
            let scales = scale == nil ? Self.scaleGrid.map { $0 * options.scale } : [options.scale]
            for s in scales {
                options.scale = s
                let crps = try known[s] ?? score(options)
                candidates.append(.init(name: ValidationSelection.quantileName(s), crps: crps))
                if crps.isFinite && crps < (bestScale?.crps ?? .infinity) { bestScale = (s, crps) }
            }
            // The default strided DDPM against all T steps (the reference's sampler) at the best scale.
            let diffusionSteps = model.configuration.diffusionSteps
            if let best = bestScale, steps == nil, sampler == nil, case .stridedDDPM = options.sampler {
                options.scale = best.scale
                options.sampler = .ddpm
                let crps = try score(options)
                candidates.append(.init(name: ValidationSelection.quantileName(best.scale, steps: diffusionSteps), crps: crps))
                if crps < best.crps { bestSampler = .ddpm }
            }
        }
        var baseScores: [(base: Baseline, crps: Double)] = []
        for base in baselines {
            let crps: Double
            do {
                crps = validation.score(try validation.forecast(base.forecaster, samples: base.samples, key: key.folding(in: 7))).crps
            } catch is TimeSeriesError {
                crps = .infinity
            }
            candidates.append(.init(name: base.name, crps: crps))
            baseScores.append((base, crps))
        }
        // TSDiff as a prior refining the best baseline's paths (maximum likelihood, quantile loss).
        var refinedBase: Baseline?
        // (Refinement refines each series alone: not a candidate for a joint model.)
        if model.configuration.jointSeries == 1, let best = baseScores.filter({ $0.crps.isFinite }).min(by: { $0.crps < $1.crps }) {
            refinedBase = best.base
            let paths = try refined(best.base.forecaster, backtest: validation, windows: windows, model: model,
                                    step: try refinementStep(), key: key)
            candidates.append(.init(name: best.base.name + ValidationSelection.refinementSuffix, crps: validation.score(paths).crps))
        }
        return ValidationSelection(choice: try ValidationChoice(candidates: candidates), bestQuantileScale: bestScale?.scale, bestQuantileSampler: bestSampler,
                                   refinedBase: refinedBase)
    }

    /// TSDiff refining `base`'s paths on `backtest`'s windows (maximum likelihood, quantile
    /// regulariser, `--samples` paths per window).
    func refined(_ base: BaseForecaster, backtest: Backtest, windows: [WindowLayout.Window], model: TSDiff, step: Int,
                key: RandomKey) throws -> [[[Double]]] {
        let initial = try backtest.forecast(base, samples: samples, key: key.folding(in: 8))
        return try model.refine(windows, initial: initial, options: RefinementOptions(
            method: .maximumLikelihood, loss: .quantile, diffusionStep: step, seed: seed))
    }
}
