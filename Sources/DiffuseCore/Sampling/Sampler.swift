import DiffuseTensor

/// A method that advances a state of a Gaussian process along a ``TimeGrid`` using a
/// ``PredictionModel``: the state is a vector space `Value`, the estimate a ``Prediction``
/// (x̂₀, ε̂) and the grid points carry (α, σ).
///
/// Samplers are values typed by their state: a multistep method keeps a history of `Value`s in
/// its `State`, which `step` receives and updates; nothing else is stored, so one sampler value
/// serves any number of runs and threads. Samplers that need more than the grid (the schedule,
/// for points off the grid) hold it, so the requirement is in the type, not checked at run time.
public protocol Sampler<Value>: Sendable {
    associatedtype Value: VectorSpace
    associatedtype State = Void

    /// A stable identifier (`"ddim"`, `"dpmpp-2m"`, `"unipc-bh1-3"`, …), unique in the registry.
    var identifier: String { get }
    /// The order of accuracy of the method's full-order step (for stochastic samplers, the weak
    /// order).
    var order: Int { get }
    /// The global order as h → 0: lower than ``order`` when a multistep method's warm-up steps or
    /// a first-order last step leave a local error that is not damped (see
    /// ``MultistepOrderRule``). Defaults to ``order``.
    var asymptoticOrder: Int { get }
    /// Whether the sampler injects fresh noise.
    var isStochastic: Bool { get }
    /// Whether it chooses its own internal steps between grid points (then its results depend on
    /// the whole batch, whose error controls the step size). Defaults to false.
    var isAdaptive: Bool { get }

    /// The state at the start of a run.
    func makeState() -> State

    /// Advances `x` from `grid.points[index]` to `grid.points[index + 1]`.
    func step<M: PredictionModel>(_ x: Value, index: Int, grid: TimeGrid, model: M,
                                  context: inout SamplingContext<Value, M.State>, state: inout State) -> Value where M.Value == Value

    /// Adds what the state counted (adaptive internal steps) to a run's statistics.
    func record(_ state: State, into statistics: inout SamplingStatistics)
}

extension Sampler {
    public var asymptoticOrder: Int { order }
    public var isAdaptive: Bool { false }
    public func record(_ state: State, into statistics: inout SamplingStatistics) {}
}

extension Sampler where State == Void {
    public func makeState() {}
}

/// A sampler bound to its model and grid: the chain the run loop drives. After the sampler's
/// step, the model's ``PredictionModel/correct(_:from:step:context:)`` hook runs (post-step
/// guidance terms use it; it is the identity otherwise).
public struct GridChain<M: PredictionModel, S: Sampler>: SamplingChain where S.Value == M.Value {
    public typealias Value = M.Value
    public let model: M
    public let sampler: S
    public let grid: TimeGrid

    public init(model: M, sampler: S, grid: TimeGrid) {
        self.model = model
        self.sampler = sampler
        self.grid = grid
    }

    public var stepCount: Int { grid.stepCount }
    public func makeModelState() -> M.State { model.makeState() }
    public func makeState(for x: Value) -> S.State { sampler.makeState() }
    public func times(ofStep index: Int) -> (from: Double, to: Double) { (grid.points[index].time, grid.points[index + 1].time) }

    public func step(_ x: Value, index: Int, context: inout SamplingContext<Value, M.State>, state: inout S.State) -> Value {
        let next = sampler.step(x, index: index, grid: grid, model: model, context: &context, state: &state)
        return model.correct(next, from: x, step: grid[step: index], context: &context)
    }

    public func record(_ state: S.State, into statistics: inout SamplingStatistics) {
        sampler.record(state, into: &statistics)
    }
}

/// Runs a sampler over a grid.
///
/// - Parameters:
///   - model: what predicts x̂₀ and ε̂ (with any guidance terms wrapped around it).
///   - x: the initial state at `grid.points[0]` (for example `σ₀·noise`).
///   - grid: the points to visit.
///   - sampler: the method.
///   - key: the root of all random draws (step i uses `key.folding(in: i)`).
///   - sampleOffset: the global index of the first sample in `x`.
///   - observer: called after every step.
public func sample<M: PredictionModel, S: Sampler>(_ model: M, from x: M.Value, grid: TimeGrid, using sampler: S,
                                                   key: RandomKey = RandomKey(seed: 0), sampleOffset: Int = 0,
                                                   observer: SamplingObserver<M.Value>? = nil) -> SampleResult<M.Value>
    where S.Value == M.Value {
    DiffuseCore.sample(GridChain(model: model, sampler: sampler, grid: grid), from: x, key: key, sampleOffset: sampleOffset, observer: observer)
}
