import DiffuseTensor
import Foundation

/// Log-likelihoods through the probability-flow ODE (Song et al. 2021, appendix D; Chen et al.
/// 2018 for the instantaneous change of variables).
///
/// In the EDM form y = x/α, s = σ/α, the flow is dy/ds = F(y, s) = ε̂(αy, t(s)) and along it
/// d log p(y, s)/ds = −∇·F, so log p₀(y₀) = log p_T(y_T) + ∫ ∇·F ds from the data end s₀ to the
/// noise end s_T; log pₓ(x) = log p_y(y) − d·log α. With ε̂ = (x − αx̂₀)/σ,
/// ∇_y·F = (d − α·tr J)/s where J = ∂x̂₀/∂x, whose trace is computed
/// - `.exact`: as Σᵢ eᵢᵀJᵀeᵢ with d vector–Jacobian products (small dimensions);
/// - `.hutchinson`: as zᵀJᵀz with one Rademacher or Gaussian z per sample, fixed along the
///   trajectory (Hutchinson 1989; FFJORD), unbiased but noisy.
/// The augmented ODE is solved by Dormand–Prince with the given controller. Limitation: the step
/// sizes follow the error of the whole batch and the Hutchinson probes are drawn for the batch's
/// rows from `key` without a sample offset, so a sample's estimate depends on its batch.
public enum ProbabilityFlowLikelihood {
    public enum Divergence: Sendable {
        case exact
        case hutchinson(rademacher: Bool)
    }

    /// The augmented ODE from the data end to the noise end, integrated adaptively in one chain
    /// step (so it reports through the common loop).
    struct Chain<S: TensorScalar>: SamplingChain {
        let field: (FlowState<S>, Double) -> FlowState<S>
        let interval: (Double, Double)
        let controller: PIDController
        var stepCount: Int { 1 }
        func makeState(for x: FlowState<S>) -> ProbabilityFlowODESampler<Tensor<S>>.State { .init() }
        func times(ofStep index: Int) -> (from: Double, to: Double) { interval }
        func step(_ x: FlowState<S>, index: Int, context: inout SamplingContext<FlowState<S>, Void>,
                  state: inout ProbabilityFlowODESampler<Tensor<S>>.State) -> FlowState<S> {
            let solution = integrate(field, from: x, over: interval, method: .dormandPrince, controller: controller)
            state.accepted = solution.accepted
            state.rejected = solution.rejected
            state.hitLimit = !solution.reachedEnd
            return solution.y
        }
        func record(_ state: ProbabilityFlowODESampler<Tensor<S>>.State, into statistics: inout SamplingStatistics) { state.record(into: &statistics) }
    }

    /// log p of `x` `[n, d]` (given at the schedule point `start`) by integrating to `end`, where
    /// the density is `priorLogDensity` (for example N(0, σ²I) of the terminal noise).
    public static func logLikelihood<M: DifferentiablePredictionModel, S: TensorScalar>(
        _ model: M, of x: Tensor<S>, from start: TimePoint, to end: TimePoint, schedule: any NoiseSchedule,
        divergence: Divergence = .exact, key: RandomKey = RandomKey(seed: 0),
        controller: PIDController = PIDController(relativeTolerance: 1e-6, absoluteTolerance: 1e-6),
        observer: SamplingObserver<Tensor<S>>? = nil,
        priorLogDensity: (Tensor<S>) -> [Double]) -> SampleResult<Tensor<S>> where M.Value == Tensor<S> {
        precondition(x.rank == 2, "likelihoods are computed for [n, d] states")
        let n = x.shape[0], d = x.shape[1]
        var modelState = model.makeState()
        var evaluations = 0
        let probes: Tensor<S>? = {
            if case .hutchinson(let rademacher) = divergence {
                return rademacher ? Tensor<S>.randomRademacher(shape: x.shape, key: key) : Tensor<S>.randomNormal(shape: x.shape, key: key)
            }
            return nil
        }()
        func point(at s: Double) -> TimePoint {
            if s == start.edmSigma { return start }
            if s == end.edmSigma { return end }
            return schedule.point(atEDMSigma: s)
        }
        let field: (FlowState<S>, Double) -> FlowState<S> = { state, s in
            let p = point(at: s)
            let xs = state.y * S(p.alpha)
            var trace = [Double](repeating: 0, count: n)
            var slope: Tensor<S>? = nil
            if let z = probes {
                let (prediction, vjp) = model.predictWithGradient(xs, at: p, key: .fixed, state: &modelState) { _ in z }
                evaluations += prediction.evaluations
                slope = prediction.noise
                trace = (vjp * z).sum(alongAxis: 1).scalars.map(Double.init)
            } else {
                for i in 0..<d {
                    var e = Tensor<S>(zeros: [n, d])
                    e.assign(Tensor<S>(shape: [n, 1], repeating: 1), axis: 1, range: i..<(i + 1))
                    let (prediction, vjp) = model.predictWithGradient(xs, at: p, key: .fixed, state: &modelState) { _ in e }
                    evaluations += prediction.evaluations
                    if slope == nil { slope = prediction.noise }
                    let column = vjp.slice(axis: 1, i..<(i + 1)).scalars
                    for k in 0..<n { trace[k] += Double(column[k]) }
                }
            }
            let div = trace.map { (Double(d) - p.alpha * $0) / s }
            return FlowState(y: slope!, logTerm: Tensor(div))
        }
        let y0 = FlowState(y: x * S(1 / start.alpha), logTerm: Tensor<Double>(zeros: [n]))
        // The observer sees the state at the noise end, in the data scale x = α·y.
        let report: SamplingObserver<FlowState<S>>? = observer.map { observe in
            { event in
                observe(StepEvent(index: event.index, stepCount: event.stepCount, fromTime: event.fromTime, toTime: event.toTime,
                                  x: event.x.y * S(end.alpha), denoised: nil))
            }
        }
        var run = DiffuseCore.sample(Chain(field: field, interval: (start.edmSigma, end.edmSigma), controller: controller), from: y0, key: key,
                                     observer: report)
        run.statistics.functionEvaluations = evaluations
        run.statistics.sampleEvaluations = Double(evaluations)
        let solution = run.samples
        let xT = solution.y * S(end.alpha)
        let prior = priorLogDensity(xT)
        // log p_y(y_T) = log pₓ(x_T) + d log α_T; log pₓ(x₀) = log p_y(y₀) − d log α₀.
        let logDensity = (0..<n).map { prior[$0] + Double(d) * Foundation.log(end.alpha) + solution.logTerm[[$0]] - Double(d) * Foundation.log(start.alpha) }
        return SampleResult(samples: xT, statistics: run.statistics, logDensities: logDensity)
    }

    /// The log density of N(0, σ²I) per row, for the terminal distribution of a variance-
    /// exploding process or of N(0, I) for VP (σ = 1).
    public static func gaussianLogDensity<S: TensorScalar>(_ x: Tensor<S>, standardDeviation: Double) -> [Double] {
        let d = Double(x.shape[1])
        return x.sampleDots(x).map { -0.5 * $0 / (standardDeviation * standardDeviation) - 0.5 * d * Foundation.log(2 * Double.pi * standardDeviation * standardDeviation) }
    }
}

/// The probability-flow state augmented with the accumulated divergence of each sample.
struct FlowState<S: TensorScalar>: InnerProductSpace {
    typealias Scalar = S
    var y: Tensor<S>
    var logTerm: Tensor<Double>

    func adding(_ other: FlowState) -> FlowState { FlowState(y: y + other.y, logTerm: logTerm + other.logTerm) }
    func subtracting(_ other: FlowState) -> FlowState { FlowState(y: y - other.y, logTerm: logTerm - other.logTerm) }
    func scaled(by factor: S) -> FlowState { FlowState(y: y * factor, logTerm: logTerm * Double(factor)) }
    static func linearCombination(_ coefficients: [S], _ vectors: [FlowState]) -> FlowState {
        FlowState(y: Tensor.linearCombination(coefficients, vectors.map(\.y)),
                  logTerm: Tensor.linearCombination(coefficients.map(Double.init), vectors.map(\.logTerm)))
    }
    var isFinite: Bool { y.isFinite && logTerm.isFinite }
    func innerProduct(_ other: FlowState) -> Double { y.innerProduct(other.y) + logTerm.innerProduct(other.logTerm) }
    var dimension: Int { y.count + logTerm.count }
    func elementwiseProduct(_ other: FlowState) -> FlowState { FlowState(y: y * other.y, logTerm: logTerm * other.logTerm) }
}
