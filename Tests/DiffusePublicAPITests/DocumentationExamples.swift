import DiffuseCore
import DiffuseDistributed
import DiffuseNN
import DiffuseTensor
import DiffuseTheory
import DiffuseTimeSeries
import Foundation

// The Swift snippets of README.md and docs/*.md that are not elsewhere in this target, verbatim
// (DocumentationSnippetTests checks that every snippet is here or in another file of the target).
// Each runs in a test unless it needs data or minutes (then it only compiles).

/// docs/GettingStarted.md, "Arrays" and "Randomness".
func gettingStarted() throws -> (values: Tensor<Double>, same: Tensor<Float>, noise: Tensor<Float>) {
    let x = Tensor<Double>(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
    let y = (x * 2 + 1).exp().sum(alongAxis: 1)        // shape [2]
    let z = matmul(x, x.transposed())                  // BLAS gemm; the transpose is a view
    let (values, vectors) = try z.symmetricEigendecomposition()   // LAPACK syevd
    _ = (y, vectors)

    let key = RandomKey(seed: 42)
    let noise = Tensor<Float>.randomNormal(shape: [1024, 32], key: key)
    let same  = Tensor<Float>.randomNormal(shape: [16, 32], key: key, sampleOffset: 64)  // rows 64..<80 of the above
    return (values, same, noise)
}

/// docs/NeuralNetworks.md, "Automatic differentiation".
func neuralNetworksTape() -> (ParameterSet<Float>, Tensor<Float>?) {
    let model = MLP(name: "mlp", sizes: [3, 16, 2])                 // 3 → 16 → 2, ReLU between
    let parameters: ParameterSet<Float> = model.makeParameters(key: RandomKey(seed: 0))
    let input = Tensor<Float>.randomNormal(shape: [8, 3], key: RandomKey(seed: 1))
    let target = Tensor<Float>(zeros: [8, 2])

    let tape = Tape<Float>()
    let params = parameters.bound(to: tape)          // watched: their gradients are computed
    let x = tape.watch(input)                         // watch an input too, for guidance
    let loss = Loss.meanSquaredError(model(x, params), target)
    let grads = tape.gradient(of: loss)
    let parameterGradients = params.gradients(grads)  // a ParameterSet, same names as the weights
    let inputGradient = grads[x]
    return (parameterGradients, inputGradient)
}

/// docs/Core.md, the first program.
func corePrograms() -> Int {
    // Two modes at (±2, 0) with standard deviation 0.3, and its exact denoiser.
    let mixture = GaussianMixture(means: Tensor<Double>(rows: [[-2, 0], [2, 0]]), standardDeviation: 0.3)
    let model = ExactMixtureModel<Float>(mixture: mixture)
    let schedule = DiscreteVPSchedule(trainingSteps: 1000, betaSchedule: .scaledLinear(start: 0.00085, end: 0.012))
    let noise = Tensor<Float>.randomNormal(shape: [512, 2], key: RandomKey(seed: 1))
    let grid = TimeGrid.diffusers(schedule, scheduler: .dpmSolver, steps: 20)
    let result = sample(model, from: noise, grid: grid, using: DPMSolverPlusPlus(order: 2), key: RandomKey(seed: 0))
    let right = result.samples.scalars.enumerated().filter { $0.offset % 2 == 0 && $0.element > 0 }.count
    print("\(right) of 512 samples in the right mode; \(result.statistics.functionEvaluations) model calls")
    return right
}

/// docs/Forecasting.md, "From Swift" (compiled only: it needs a CSV file and minutes of training).
func forecastingFromSwift() throws {
    let data = try TimeSeriesDataset.loadWide(URL(fileURLWithPath: "my.csv"))
    let layout = TSDiffConfiguration.standard(frequency: data.frequency)
    var model = TSDiff(configuration: layout, seed: 0)
    let backtest = try Backtest(series: data.series, predictionLength: 24, windows: 7,
                                history: layout.layout.history, seasonality: data.frequency.seasonality)
    _ = try TSDiffTrainer(options: TSDiffTrainingOptions(steps: 3000, emaDecay: 0.999))
        .train(&model, series: data.series, trainingEnd: backtest.trainingEnd)
    let evaluation = try model.evaluate(backtest.testTargets,
                                        options: ForecastOptions(samples: 16, loss: .quantile, scale: 4, sampler: .stridedDDPM(steps: 25)))
    print(evaluation.tsdiff.crps)
}

/// docs/Forecasting.md, "From Swift", the conditional model (compiled only: it needs CSV files and minutes of training).
func conditionalForecastingFromSwift() throws {
    let data = try TimeSeriesDataset.loadWide(URL(fileURLWithPath: "traffic.csv"), columns: ["volume"],
                                              covariates: ["temp", "holiday"])
    var configuration = TSDiffConfiguration.standard(frequency: data.frequency)
    let backtest = try Backtest(series: data.series, predictionLength: 24, windows: 7,
                                history: configuration.layout.history, seasonality: data.frequency.seasonality)
    configuration.layout.conditioning = try SeriesConditioning.fitted(
        calendar: CalendarFeature.defaults(for: data.frequency),
        holidays: HolidayCalendar(contentsOf: URL(fileURLWithPath: "holidays.csv")),
        covariates: ["temp", "holiday"], knownFuture: ["holiday"],
        series: data.series, trainingEnd: backtest.trainingEnd)
    configuration.backbone.conditioningChannels = configuration.layout.conditioning.channels
    var model = TSDiff(configuration: configuration, seed: 0)
    _ = try TSDiffTrainer(options: TSDiffTrainingOptions(steps: 1500, emaDecay: 0.999))
        .train(&model, series: data.series, trainingEnd: backtest.trainingEnd)
    let windows = try configuration.layout.windows(for: backtest.testTargets)   // each with its conditioning
    let paths = try model.forecast(windows, options: ForecastOptions(samples: 32, scale: 8, sampler: .stridedDDPM(steps: 50)))
    print(backtest.score(paths).crps)
}

/// docs/Theory.md, re-running a check from Swift (compiled only: 50 full trials take minutes).
func theoryFromSwift() throws {
    var check = SubspaceRecoveryCheck(ambientDimension: 48)
    check.trials = 50
    let report = try check.run(effort: .full, seed: 1)
    for row in report.results { print(row.claim, row.measured, row.pass) }
}

/// docs/Distributed.md, sampling over processes (compiled only: it belongs under mpirun).
func distributedSampling() throws {
    let world = try MPICommunicator()
    let model = ExactMixtureModel<Float>(mixture: GaussianMixture(means: Tensor<Double>(rows: [[-2, 0], [2, 0]]), standardDeviation: 0.3))
    let schedule = DiscreteVPSchedule(trainingSteps: 1000, betaSchedule: .scaledLinear(start: 0.00085, end: 0.012))
    let grid = TimeGrid.diffusers(schedule, scheduler: .dpmSolver, steps: 20)
    let rows = world.shard(100_000)                          // this process's samples
    let noise = Tensor<Float>.randomNormal(shape: [rows.count, 2], key: RandomKey(seed: 1), sampleOffset: rows.lowerBound)
    let part = sample(model, from: noise, grid: grid, using: DPMSolverPlusPlus(order: 2), key: RandomKey(seed: 0), sampleOffset: rows.lowerBound)
    let samples = try world.gatherRows(part.samples)         // every process's rows, in order
    if world.isRoot { try NumPyFile.write(samples, to: URL(fileURLWithPath: "samples.npy")) }
}
