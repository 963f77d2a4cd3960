import DiffuseNN
import DiffuseTensor
import Foundation

/// A model that can also differentiate its clean-data estimate with respect to its input:
/// given a cotangent ∂E/∂x̂₀ it returns ∂E/∂x = (∂x̂₀/∂x)ᵀ·∂E/∂x̂₀. Guidance that acts through
/// the denoiser (DPS, TSDiff's observation self-guidance) needs this.
public protocol DifferentiablePredictionModel: PredictionModel {
    /// The prediction at x and the gradient with respect to x of an energy of x̂₀, whose
    /// gradient with respect to x̂₀ `cotangent` computes from the prediction.
    func predictWithGradient(_ x: Value, at point: TimePoint, state: inout State,
                             cotangent: (Prediction<Value>) -> Value) -> (prediction: Prediction<Value>, gradient: Value)
}

/// An energy E(x̂₀) whose gradient steers sampling toward observations, with its gradient.
public protocol GuidanceEnergy<Value>: Sendable {
    associatedtype Value: VectorSpace
    /// E per sample.
    func energy(_ denoised: Value) -> [Double]
    /// ∂E/∂x̂₀.
    func gradient(_ denoised: Value) -> Value
}

/// Energies on observed entries of a tensor: Σ_observed ℓ(x̂₀ − y).
///
/// - `.squared`: ℓ = e² (TSDiff-MS: summed, no ½, no σ);
/// - `.quantile(levels:)`: ℓ = max(q·e, (q − 1)·e) with e = y − x̂₀ and q per sample (TSDiff-Q gives
///   sample k of N the level (k + 1)/(N + 1));
/// - `.norm`: E = ‖mask ⊙ (y − x̂₀)‖ per sample, not squared (DPS, Chung et al. 2023).
public struct ObservationEnergy<S: TensorScalar>: GuidanceEnergy {
    public enum Loss: Sendable {
        case squared
        case quantile(levels: [Double])
        case norm
    }

    public let observed: Tensor<S>
    public let mask: Tensor<S>
    public let loss: Loss

    /// Observations `y` and a 0/1 mask of the same shape as the state (or broadcastable to it).
    public init(observed: Tensor<S>, mask: Tensor<S>, loss: Loss) {
        self.observed = observed
        self.mask = mask
        self.loss = loss
    }

    private func levelTensor(_ levels: [Double], like x: Tensor<S>) -> Tensor<S> {
        precondition(levels.count == x.shape[0], "one quantile level per sample: \(levels.count) levels for \(x.shape[0]) samples")
        var shape = [Int](repeating: 1, count: x.rank)
        shape[0] = levels.count
        return Tensor(shape: shape, scalars: levels.map { S($0) })
    }

    public func energy(_ denoised: Tensor<S>) -> [Double] {
        let e = (observed - denoised) * mask
        switch loss {
        case .squared: return e.sampleDots(e)
        case .norm: return e.sampleDots(e).map { $0.squareRoot() }
        case .quantile(let levels):
            let q = levelTensor(levels, like: denoised)
            let pinball = (e * q).maximum(e * (q - 1)) * mask
            return pinball.reshaped([denoised.shape[0], -1]).sum(alongAxis: 1).scalars.map(Double.init)
        }
    }

    public func gradient(_ denoised: Tensor<S>) -> Tensor<S> {
        let e = (observed - denoised) * mask
        switch loss {
        case .squared:
            return e * -2
        case .norm:
            let norms = e.sampleDots(e).map { 1 / Swift.max($0.squareRoot(), 1e-12) }
            return e.scaledPerSample(by: norms) * -1
        case .quantile(let levels):
            // ∂/∂x̂₀ max(q·e, (q−1)·e) = −q where e > 0, 1 − q where e < 0 (e = 0 taken as e > 0).
            let q = levelTensor(levels, like: denoised)
            let positive = e.isGreaterOrEqual(to: Tensor(0))
            return (positive * (q * -1) + (1 - positive) * (1 - q)) * mask
        }
    }
}

/// Gradient guidance at the prediction level: ε̃ = ε̂ + w·σ·∇ₓE, x̂₀ re-derived from ε̃ — a shift of
/// the score by −w·∇ₓE.
///
/// - With a *classifier* gradient (`.classifier`), E = −log p_φ(y | x_t, t) and ∇ₓE is supplied
///   by the caller (Dhariwal & Nichol 2021; DPM-Solver's `classifier` guidance ε̃ = ε − wσ∇log p).
/// - With an *energy of the clean estimate* (`.throughDenoiser`), ∇ₓE = (∂x̂₀/∂x)ᵀ∇E(x̂₀) is taken
///   through the model; with ``ObservationEnergy`` this is TSDiff's DDIM self-guidance
///   ε̃ = ε − s·√(1 − ᾱ)·(−∇E) (Kollovieh et al. 2023, `DDIMGuidance`).
public struct GradientGuidedModel<Base: DifferentiablePredictionModel, Energy: GuidanceEnergy>: PredictionModel where Energy.Value == Base.Value {
    public enum Source {
        /// ∇ₓE(x, t) from a classifier or any other function of the noisy state.
        case classifier((Base.Value, TimePoint) -> Base.Value)
        /// E of the clean estimate, differentiated through the model.
        case throughDenoiser(Energy)
    }

    public let base: Base
    public let source: Source
    public let scale: Double

    public init(_ base: Base, source: Source, scale: Double) {
        self.base = base
        self.source = source
        self.scale = scale
    }

    public func makeState() -> Base.State { base.makeState() }

    public func predict(_ x: Base.Value, at point: TimePoint, state: inout Base.State) -> Prediction<Base.Value> {
        typealias V = Base.Value
        let prediction: Prediction<V>
        let gradient: V
        switch source {
        case .classifier(let g):
            prediction = base.predict(x, at: point, state: &state)
            gradient = g(x, point)
        case .throughDenoiser(let energy):
            (prediction, gradient) = base.predictWithGradient(x, at: point, state: &state) { energy.gradient($0.denoised) }
        }
        let noise = V.combine(1, prediction.noise, scale * point.sigma, gradient)
        let denoised = V.combine(1 / point.alpha, x, -point.sigma / point.alpha, noise)
        return Prediction(denoised: denoised, noise: noise, evaluations: prediction.evaluations)
    }
}

/// Guidance applied after each step of a base sampler: x′ ← x′ − c·∇ₓE(x̂₀(x)), the gradient taken
/// through the model.
///
/// - `.diffusionPosteriorSampling(step:)` (Chung et al. 2023, DPS): the gradient is taken at the
///   state *before* the step, c = ζ (use with ``ObservationEnergy`` `.norm`).
/// - `.tsdiff(scale:)` (Kollovieh et al. 2023, `DDPMGuidance`): the gradient is taken at the
///   state *after* the step but with the model time of the step's start (a quirk of the
///   reference code, kept so that published scales transfer), c = s·σ̃², σ̃² the DDPM posterior
///   variance of the step, (1 − ᾱ_{t′})/(1 − ᾱ_t)·(1 − ᾱ_t/ᾱ_{t′}).
///
/// Each guided step costs one more model evaluation with a backward pass.
public struct PostStepGuidance<Base: Sampler, Energy: GuidanceEnergy>: Sampler {
    public enum Rule: Sendable {
        case diffusionPosteriorSampling(step: Double)
        case tsdiff(scale: Double)
    }

    public let base: Base
    public let energy: Energy
    public let rule: Rule

    public init(_ base: Base, energy: Energy, rule: Rule) {
        self.base = base
        self.energy = energy
        self.rule = rule
    }

    public var identifier: String { base.identifier + "+guidance" }
    public var order: Int { base.order }
    public var isStochastic: Bool { base.isStochastic }
    public func makeState() -> Base.State { base.makeState() }

    public func step<M: PredictionModel>(_ x: M.Value, index: Int, grid: TimeGrid, model: M,
                                         context: inout SamplingContext<M>, state: inout Base.State) -> M.Value where M.Value: NoiseSampleable {
        guard let differentiable = model as? any DifferentiablePredictionModel else {
            preconditionFailure("PostStepGuidance needs a DifferentiablePredictionModel")
        }
        let (p, q) = grid[step: index]
        switch rule {
        case .diffusionPosteriorSampling(let zeta):
            let gradient = Self.energyGradient(differentiable, x, at: p, energy: energy, context: &context)
            let next = base.step(x, index: index, grid: grid, model: model, context: &context, state: &state)
            return M.Value.combine(1, next, -zeta, gradient)
        case .tsdiff(let scale):
            let next = base.step(x, index: index, grid: grid, model: model, context: &context, state: &state)
            if q.isClean { return next }
            let ab = p.alpha * p.alpha, abNext = q.alpha * q.alpha
            let variance = (1 - abNext) / (1 - ab) * (1 - ab / abNext)
            let gradient = Self.energyGradient(differentiable, next, at: p, energy: energy, context: &context)
            return M.Value.combine(1, next, -scale * variance, gradient)
        }
    }

    private static func energyGradient<M: PredictionModel, D: DifferentiablePredictionModel>(_ model: D, _ x: M.Value, at point: TimePoint, energy: Energy,
                                                                                           context: inout SamplingContext<M>) -> M.Value {
        var s = context.modelState as! D.State
        let (prediction, gradient) = model.predictWithGradient(x as! D.Value, at: point, state: &s) { energy.gradient($0.denoised as! Energy.Value) as! D.Value }
        context.modelState = s as! M.State
        context.evaluations += prediction.evaluations
        return gradient as! M.Value
    }
}
