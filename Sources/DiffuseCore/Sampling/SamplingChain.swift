import DiffuseTensor

/// Anything the run loop can drive one step at a time: a sampler bound to its model and grid, a
/// particle method, an inversion, an interpolant SDE, a likelihood ODE. ``sample(_:from:key:sampleOffset:observer:)``
/// is the one loop: it numbers the steps, threads the context and the chain's state, reports
/// every step to the observer, stops with a status when the state stops being finite, and
/// returns a ``SampleResult``.
///
/// The value type is anything: a vector space, or a batch of tokens that is not one.
public protocol SamplingChain {
    associatedtype Value
    associatedtype ModelState = Void
    associatedtype State = Void

    /// The number of steps.
    var stepCount: Int { get }
    /// The model state at the start of a run.
    func makeModelState() -> ModelState
    /// The chain's own state at the start of a run from `x`.
    func makeState(for x: Value) -> State
    /// Advances `x` by step `index` (the context's `stepIndex` is `index`).
    func step(_ x: Value, index: Int, context: inout SamplingContext<Value, ModelState>, state: inout State) -> Value
    /// The chain's times at the start and end of step `index`, for observers.
    func times(ofStep index: Int) -> (from: Double, to: Double)
    /// Whether a state is finite (a non-finite state ends the run with a status).
    func isFinite(_ x: Value) -> Bool
    /// Adds what the state counted (adaptive steps, resamplings) to the statistics at the end.
    func record(_ state: State, into statistics: inout SamplingStatistics)
}

extension SamplingChain {
    public func isFinite(_ x: Value) -> Bool { true }
    public func record(_ state: State, into statistics: inout SamplingStatistics) {}
    public func times(ofStep index: Int) -> (from: Double, to: Double) { (Double(index), Double(index + 1)) }
}

extension SamplingChain where ModelState == Void {
    public func makeModelState() {}
}

extension SamplingChain where State == Void {
    public func makeState(for x: Value) {}
}

extension SamplingChain where Value: VectorSpace {
    public func isFinite(_ x: Value) -> Bool { x.isFinite }
}

/// Runs a chain from `x`: the one run loop of every method.
///
/// - Parameters:
///   - chain: the chain to run.
///   - x: the initial state.
///   - key: the root of all random draws (step i uses `key.folding(in: i)`).
///   - sampleOffset: the global index of the first sample in `x`.
///   - observer: called after every step.
public func sample<C: SamplingChain>(_ chain: C, from x: C.Value, key: RandomKey = RandomKey(seed: 0), sampleOffset: Int = 0,
                                  observer: SamplingObserver<C.Value>? = nil) -> SampleResult<C.Value> {
    var context = SamplingContext<C.Value, C.ModelState>(modelState: chain.makeModelState(), key: key, sampleOffset: sampleOffset)
    var state = chain.makeState(for: x)
    var current = x
    var statistics = SamplingStatistics()
    for i in 0..<chain.stepCount {
        context.begin(step: i)
        current = chain.step(current, index: i, context: &context, state: &state)
        statistics.steps += 1
        if let observer {
            let (from, to) = chain.times(ofStep: i)
            observer(StepEvent(index: i, stepCount: chain.stepCount, fromTime: from, toTime: to, x: current, denoised: context.lastDenoised))
        }
        if !chain.isFinite(current) {
            statistics.status = .nonFinite(step: i)
            break
        }
    }
    statistics.functionEvaluations = context.evaluations
    statistics.sampleEvaluations = Double(context.evaluations)
    statistics.acceptedSteps = statistics.steps
    chain.record(state, into: &statistics)
    return SampleResult(samples: current, statistics: statistics)
}
