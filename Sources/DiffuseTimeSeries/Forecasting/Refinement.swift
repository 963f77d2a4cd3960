import DiffuseCore
import DiffuseNN
import DiffuseTensor
import Foundation

/// How a base forecast is refined with the diffusion model as a prior.
public enum RefinementMethod: String, Codable, Sendable, CaseIterable {
    /// Gradient descent on E (TSDiff's ML refiner: SGD, 20 iterations).
    case maximumLikelihood
    /// Unadjusted Langevin dynamics on E, y ← y − η∇E + √(2η)·γ·ξ (TSDiff's LMC refiner:
    /// γ = 0.1, 20 iterations).
    case langevin
}

/// Options of forecast refinement (Kollovieh et al. 2023, §3.2; reference `sampler/refiner.py`).
///
/// The default step size is 0.01, where the reference uses 0.1: with our models (trained for
/// thousands rather than 128 000 steps) a step of 0.1 on the summed loss overshoots and makes
/// forecasts worse (measured on the test suite's seasonal series: seasonal naive 0.053 → 0.084
/// with 0.1, → 0.039 with 0.01).
public struct RefinementOptions: Codable, Sendable {
    public var method: RefinementMethod
    /// The regulariser R tying the refined window to the observations.
    public var loss: GuidanceLoss
    public var iterations: Int
    public var stepSize: Double
    /// γ, the noise scale of Langevin steps.
    public var noiseScale: Double
    /// λ, the weight of R.
    public var regularization: Double
    /// The diffusion step τ of the prior term (nil: ``TSDiff/representativeStep(windows:conditioning:key:)``
    /// on training windows must be supplied by the caller).
    public var diffusionStep: Int?
    public var seed: UInt64
    /// Rows per model call (results do not depend on it).
    public var chunkSize: Int

    public init(method: RefinementMethod = .maximumLikelihood, loss: GuidanceLoss = .quantile, iterations: Int = 20, stepSize: Double = 0.01,
                noiseScale: Double = 0.1, regularization: Double = 1, diffusionStep: Int? = nil, seed: UInt64 = 0, chunkSize: Int = 256) {
        self.method = method
        self.loss = loss
        self.iterations = iterations
        self.stepSize = stepSize
        self.noiseScale = noiseScale
        self.regularization = regularization
        self.diffusionStep = diffusionStep
        self.seed = seed
        self.chunkSize = chunkSize
    }
}

extension TSDiff {
    /// The denoising loss at every diffusion step, averaged over `windows` `[B, L, C]` (with their
    /// `conditioning` `[B, L, F]` for a conditional model).
    public func stepLosses(windows: Tensor<Float>, conditioning: Tensor<Float>? = nil, key: RandomKey) -> [Double] {
        precondition(!isConditional || conditioning != nil, "a conditional TSDiff model needs the conditioning of its windows")
        let b = windows.shape[0]
        let given = isConditional ? conditioning.map { Variable($0) } : nil
        let bound = parameters.constants
        let kernels = backbone.circularKernels(length: windows.shape[1], bound).map { Variable($0.value) }
        return (0..<configuration.diffusionSteps).map { t in
            let ab = schedule.alphasCumulativeProduct[t]
            let noise = Tensor<Float>.randomNormal(shape: windows.shape, key: key.folding(in: t))
            let noisy = windows.scaled(by: Float(ab.squareRoot()), adding: noise, scaledBy: Float((1 - ab).squareRoot()))
            let predicted = backbone(Variable(noisy), conditioning: given, steps: [Double](repeating: Double(t), count: b), bound, kernels: kernels).value
            let error = predicted - noise
            return Double((error * error).mean().scalar)
        }
    }

    /// TSDiff's refinement step τ (`get_best_diffusion_step`): the step whose denoising loss on
    /// training windows is closest to the mean loss over all steps.
    public func representativeStep(windows: Tensor<Float>, conditioning: Tensor<Float>? = nil, key: RandomKey) -> Int {
        Self.representativeStep(losses: stepLosses(windows: windows, conditioning: conditioning, key: key))
    }

    /// argmin_t (L_t − mean L)²: the index of the loss closest to the mean of `losses`.
    public static func representativeStep(losses: [Double]) -> Int {
        precondition(!losses.isEmpty, "no losses")
        let mean = losses.reduce(0, +) / Double(losses.count)
        return losses.indices.min { Swift.abs(losses[$0] - mean) < Swift.abs(losses[$1] - mean) }!
    }

    /// Refines base forecasts `initial` `[window][sample][step]` (unscaled) of `windows` (future
    /// masked) and returns refined paths of the same shape.
    ///
    /// Each path y (a whole scaled window with the base forecast in the future of channel 0)
    /// descends E(y) = ‖ε − ε_θ(√ᾱ_τ·y + √(1 − ᾱ_τ)·ε, τ)‖² + λ·R(y), a fresh ε at every
    /// iteration. R is the squared error on the observed entries (`.meanSquared`) or the pinball
    /// loss with sample k at level (k + 1)/(N + 1) on the observed entries *and* the future against
    /// the base forecast sorted per step (`.quantile`), as in the reference.
    ///
    /// Throws ``TimeSeriesError/invalidOption(_:)`` when τ is missing or outside 0..<T, the chunk
    /// size or iteration count is not usable, or `initial` is not `[windows][N][horizon]`.
    public func refine(_ windows: [WindowLayout.Window], initial: [[[Double]]], options: RefinementOptions) throws -> [[[Double]]] {
        let layout = configuration.layout
        let l = layout.length, c = layout.channels, ctx = layout.contextLength
        let n = initial.first?.count ?? 0
        guard configuration.jointSeries == 1 else {
            throw TimeSeriesError.invalidOption("refinement refines each series' forecast with a model of one series; this is a joint model of \(configuration.jointSeries) series")
        }
        guard windows.count == initial.count else {
            throw TimeSeriesError.invalidOption("refinement needs one base forecast per window (\(initial.count) for \(windows.count) windows)")
        }
        guard let tau = options.diffusionStep else {
            throw TimeSeriesError.invalidOption("refinement needs its diffusion step τ (RefinementOptions.diffusionStep; see representativeStep)")
        }
        guard (0..<configuration.diffusionSteps).contains(tau) else {
            throw TimeSeriesError.invalidOption("refinement diffusion step \(tau) is outside 0..<\(configuration.diffusionSteps)")
        }
        guard options.chunkSize >= 1, options.iterations >= 0 else {
            throw TimeSeriesError.invalidOption("refinement needs a chunk size ≥ 1 and iterations ≥ 0 (got \(options.chunkSize), \(options.iterations))")
        }
        guard initial.allSatisfy({ $0.count == n && $0.allSatisfy { $0.count == layout.predictionLength } }) else {
            throw TimeSeriesError.invalidOption("base forecasts must be [window][\(n)][\(layout.predictionLength)]")
        }
        let rows = windows.count * n
        let ab = schedule.alphasCumulativeProduct[tau]
        let bound = parameters.constants
        let kernels = backbone.circularKernels(length: l, bound).map { Variable($0.value) }
        let key = RandomKey(seed: options.seed)
        var result = [[[Double]]](repeating: [], count: windows.count)
        for start in stride(from: 0, to: rows, by: options.chunkSize) {
            let end = Swift.min(start + options.chunkSize, rows)
            let count = end - start
            var state: [Float] = [], target: [Float] = [], mask: [Float] = []
            var levels: [Double] = []
            var sortedCache: (window: Int, paths: [[Double]])? = nil
            for r in start..<end {
                let w = r / n, k = r % n
                if sortedCache?.window != w {
                    // Sort the base samples per step so that sample k pairs with level q_k.
                    let h = layout.predictionLength
                    var columns = (0..<h).map { t in initial[w].map { $0[t] }.sorted() }
                    sortedCache = (w, (0..<n).map { k in (0..<h).map { columns[$0][k] } })
                    columns.removeAll()
                }
                let path = sortedCache!.paths[k]
                var x = windows[w].input, m = windows[w].observed
                var y = windows[w].input
                for t in 0..<layout.predictionLength {
                    x[(ctx + t) * c] = Float(path[t] / windows[w].scale)
                    if options.loss == .quantile {
                        y[(ctx + t) * c] = x[(ctx + t) * c]
                        m[(ctx + t) * c] = 1
                    }
                }
                state += x
                target += y
                mask += m
                levels.append(Double(k + 1) / Double(n + 1))
            }
            let shape = [count, l, c]
            var y = Tensor<Float>(shape: shape, scalars: state)
            let energy = ObservationEnergy(observed: Tensor<Float>(shape: shape, scalars: target), mask: Tensor<Float>(shape: shape, scalars: mask),
                                           loss: options.loss == .quantile ? .quantile(levels: levels) : .squared)
            let steps = [Double](repeating: Double(tau), count: count)
            let given = conditioning(of: (start..<end).map { windows[$0 / n] }).map { Variable($0) }
            for iteration in 0..<options.iterations {
                let iterationKey = key.folding(in: iteration)
                let noise = Tensor<Float>.randomNormal(shape: shape, key: iterationKey.folding(in: 0), sampleOffset: start)
                let tape = Tape<Float>()
                let noisy = tape.watch(y.scaled(by: Float(ab.squareRoot()), adding: noise, scaledBy: Float((1 - ab).squareRoot())))
                let predicted = backbone(noisy, conditioning: given, steps: steps, bound, kernels: kernels)
                // ∂/∂ε̂ ‖ε − ε̂‖² = 2(ε̂ − ε); the chain rule through the noisy input adds √ᾱ_τ.
                let seed = (predicted.value - noise) * 2
                let priorGradient = tape.gradient(of: predicted, seed: seed)[noisy]
                let gradient = priorGradient.scaled(by: Float(ab.squareRoot()), adding: energy.gradient(y), scaledBy: Float(options.regularization))
                y = y.scaled(by: 1, adding: gradient, scaledBy: Float(-options.stepSize))
                if options.method == .langevin {
                    let xi = Tensor<Float>.randomNormal(shape: shape, key: iterationKey.folding(in: 1), sampleOffset: start)
                    y = y.scaled(by: 1, adding: xi, scaledBy: Float((2 * options.stepSize).squareRoot() * options.noiseScale))
                }
            }
            let values = y.scalars
            for (i, r) in (start..<end).enumerated() {
                let w = r / n
                result[w].append((ctx..<l).map { Double(values[(i * l + $0) * c]) * windows[w].scale })
            }
        }
        return result
    }
}
