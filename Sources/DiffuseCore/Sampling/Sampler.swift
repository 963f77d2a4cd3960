import DiffuseTensor

/// A method that advances a state along a ``TimeGrid`` using a ``PredictionModel``.
///
/// Samplers are values with explicit state: `step` receives the state and updates it in place
/// (multistep history, for example), and nothing else is stored, so one sampler value can serve
/// any number of runs and threads. Every sampler has the same call shape, through
/// ``sample(_:from:grid:using:key:sampleOffset:schedule:observer:)``.
public protocol Sampler: Sendable {
    associatedtype State = Void

    /// A stable identifier (`"ddim"`, `"dpmpp-2m"`, …).
    var identifier: String { get }
    /// The order of accuracy in the step size (for stochastic samplers, the weak order).
    var order: Int { get }
    /// Whether the sampler injects fresh noise.
    var isStochastic: Bool { get }

    /// The state at the start of a run.
    func makeState() -> State

    /// Advances `x` from `grid.points[index]` to `grid.points[index + 1]`.
    func step<M: PredictionModel>(_ x: M.Value, index: Int, grid: TimeGrid, model: M,
                                  context: inout SamplingContext<M>, state: inout State) -> M.Value
        where M.Value: NoiseSampleable
}

extension Sampler where State == Void {
    public func makeState() {}
}

/// What a sampler step may use besides its own state: model evaluation (counted), the noise
/// stream, the schedule (for off-grid points such as EDM churn), and the model's own state.
public struct SamplingContext<M: PredictionModel> where M.Value: NoiseSampleable {
    /// The model's run state (guidance state, for example).
    public var modelState: M.State
    /// The root key of the run; step i draws from `key.folding(in: i)`.
    public let key: RandomKey
    /// The global index of the first sample in the state (batch-size independence).
    public let sampleOffset: Int
    /// The schedule, for samplers that evaluate off the grid.
    public let schedule: (any NoiseSchedule)?
    /// Network evaluations so far.
    public internal(set) var evaluations = 0
    /// The last prediction's clean-data estimate.
    public internal(set) var lastDenoised: M.Value? = nil
    /// The step being taken.
    public internal(set) var stepIndex = 0

    public init(modelState: M.State, key: RandomKey, sampleOffset: Int, schedule: (any NoiseSchedule)?) {
        self.modelState = modelState
        self.key = key
        self.sampleOffset = sampleOffset
        self.schedule = schedule
    }

    /// Evaluates the model (and counts the evaluations).
    public mutating func predict(_ model: M, _ x: M.Value, at point: TimePoint) -> Prediction<M.Value> {
        let p = model.predict(x, at: point, state: &modelState)
        evaluations += p.evaluations
        lastDenoised = p.denoised
        return p
    }

    /// Standard normal noise shaped like `x` for draw `draw` of the current step.
    public func noise(like x: M.Value, draw: Int = 0) -> M.Value {
        x.standardNormal(key: key.folding(in: stepIndex).folding(in: draw), sampleOffset: sampleOffset)
    }

    /// The schedule point at EDM noise level σ/α (for off-grid evaluations).
    public func point(atEDMSigma s: Double) -> TimePoint {
        guard let schedule else { preconditionFailure("this sampler evaluates off the grid and needs the schedule; pass `schedule:` to sample(...)") }
        let t = schedule.time(atEDMSigma: s)
        let a = schedule.alpha(at: t)
        // Keep σ/α exactly s (the bisection is exact only to round-off).
        return TimePoint(time: t, alpha: a, sigma: s * a)
    }
}

/// One step's event for observers (progress display, trajectories, diagnostics).
public struct StepEvent<Value> {
    /// The step index (0-based).
    public var index: Int
    /// The number of steps in the run.
    public var stepCount: Int
    /// The grid point the step started from.
    public var from: TimePoint
    /// The grid point it reached.
    public var to: TimePoint
    /// The state after the step.
    public var x: Value
    /// The clean-data estimate of the step's last model evaluation.
    public var denoised: Value?
}

/// How a run ended.
public enum SamplingStatus: Equatable, Sendable {
    case completed
    /// The state stopped being finite after this step.
    case nonFinite(step: Int)
    /// An adaptive integrator hit its step limit.
    case maximumStepsReached
}

/// Counters of a run.
public struct SamplingStatistics: Equatable, Sendable {
    /// Network evaluations (NFE).
    public var functionEvaluations = 0
    /// Grid steps taken.
    public var steps = 0
    /// Accepted and rejected internal steps of adaptive integrators.
    public var acceptedSteps = 0
    public var rejectedSteps = 0
    public var status: SamplingStatus = .completed
}

/// Samples and statistics of a run.
public struct SampleResult<Value> {
    public var samples: Value
    public var statistics: SamplingStatistics
}

/// Runs a sampler over a grid: the one entry point for every method.
///
/// - Parameters:
///   - model: what predicts x̂₀ and ε̂.
///   - x: the initial state at `grid.points[0]` (for example `σ₀·noise`).
///   - grid: the points to visit.
///   - sampler: the method.
///   - key: the root of all random draws (step i uses `key.folding(in: i)`).
///   - sampleOffset: the global index of the first sample in `x`.
///   - schedule: the noise schedule (needed by samplers that evaluate between grid points).
///   - observer: called after every step.
public func sample<M: PredictionModel, S: Sampler>(_ model: M, from x: M.Value, grid: TimeGrid, using sampler: S,
                                                   key: RandomKey = RandomKey(seed: 0), sampleOffset: Int = 0,
                                                   schedule: (any NoiseSchedule)? = nil,
                                                   observer: ((StepEvent<M.Value>) -> Void)? = nil) -> SampleResult<M.Value>
    where M.Value: NoiseSampleable {
    var context = SamplingContext<M>(modelState: model.makeState(), key: key, sampleOffset: sampleOffset, schedule: schedule)
    var state = sampler.makeState()
    var current = x
    var statistics = SamplingStatistics()
    for i in 0..<grid.stepCount {
        context.stepIndex = i
        current = sampler.step(current, index: i, grid: grid, model: model, context: &context, state: &state)
        statistics.steps += 1
        observer?(StepEvent(index: i, stepCount: grid.stepCount, from: grid.points[i], to: grid.points[i + 1],
                            x: current, denoised: context.lastDenoised))
        if !current.isFinite {
            statistics.status = .nonFinite(step: i)
            break
        }
    }
    statistics.functionEvaluations = context.evaluations
    if let adaptive = state as? AdaptiveStepCounts {
        statistics.acceptedSteps = adaptive.accepted
        statistics.rejectedSteps = adaptive.rejected
        if adaptive.hitLimit && statistics.status == .completed { statistics.status = .maximumStepsReached }
    } else {
        statistics.acceptedSteps = statistics.steps
    }
    return SampleResult(samples: current, statistics: statistics)
}

/// Implemented by the state of adaptive samplers to report their internal step counts.
public protocol AdaptiveStepCounts {
    var accepted: Int { get }
    var rejected: Int { get }
    var hitLimit: Bool { get }
}
