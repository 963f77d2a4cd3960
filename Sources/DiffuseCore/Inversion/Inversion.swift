import DiffuseTensor

/// DDIM inversion (Song et al. 2021; Dhariwal & Nichol 2021): runs the deterministic DDIM map
/// backwards, from data to noise, x_{k} = α_k·x̂₀(x_{k+1}) + σ_k·ε̂(x_{k+1}) with the prediction taken
/// at the *less* noisy point — an approximation (exact only in the continuous-time limit) that
/// editing methods build on. The grid is given noise-first, as for sampling; the chain walks it
/// from its last point to its first. First order: the round trip DDIM(invert(x)) returns x with
/// an error O(h).
public struct DDIMInversion<M: PredictionModel>: SamplingChain {
    public typealias Value = M.Value
    public let model: M
    public let grid: TimeGrid

    public init(model: M, grid: TimeGrid) {
        self.model = model
        self.grid = grid
    }

    public var stepCount: Int { grid.stepCount }
    public func makeModelState() -> M.State { model.makeState() }
    public func times(ofStep index: Int) -> (from: Double, to: Double) {
        (grid.points[grid.stepCount - index].time, grid.points[grid.stepCount - index - 1].time)
    }

    public func step(_ x: Value, index: Int, context: inout SamplingContext<Value, M.State>, state: inout Void) -> Value {
        let k = grid.stepCount - index
        let p = grid.points[k], q = grid.points[k - 1]
        guard !p.isClean else {
            // From σ = 0, x is its own clean estimate; ε̂ is the model's at the next point (as
            // diffusers' inverse scheduler takes the model output of the first noisy timestep).
            return Value.combine(q.alpha, x, q.sigma, context.predict(model, x, at: q).noise)
        }
        return context.predict(model, x, at: p).ddimMap(to: q)
    }

    /// Inverts `x` (data at the grid's last point) to noise at its first point. `key` and
    /// `sampleOffset` reach a model that draws, as in sampling.
    public static func invert(_ model: M, data x: M.Value, grid: TimeGrid, key: RandomKey = RandomKey(seed: 0), sampleOffset: Int = 0,
                              observer: SamplingObserver<M.Value>? = nil) -> SampleResult<M.Value> {
        DiffuseCore.sample(DDIMInversion(model: model, grid: grid), from: x, key: key, sampleOffset: sampleOffset, observer: observer)
    }
}

/// Bidirectional integration approximation (BDIA; Zhang, Lewis & Kleijn, "Exact Diffusion
/// Inversion via Bi-directional Integration Approximation", ECCV 2024): an exactly invertible
/// DDIM-type sampler.
///
/// With Φ(x_k; k→j) = α_j·x̂₀(x_k) + σ_j·ε̂(x_k) the DDIM map from grid point k to j built from the
/// prediction at x_k, the first step is DDIM, x₁ = Φ(x₀; 0→1), and then
/// x_{k+1} = γ·x_{k−1} − γ·Φ(x_k; k→k−1) + Φ(x_k; k→k+1). Given the last two states, the
/// recursion runs backwards exactly: x_{k−1} = [x_{k+1} − Φ(x_k; k→k+1) + γ·Φ(x_k; k→k−1)]/γ, so
/// `invert(sample(x))` returns x to round-off. γ ∈ (0, 1]; γ = 1 is the symmetric form (the
/// reference code's default near 100 steps; ½ is suggested for few steps). One evaluation per step.
/// Limitation: the backward recursion divides by γ at every step, so with γ < 1 round-off grows
/// like γ^−N (measured: 5·10⁻⁸ after 30 steps at γ = ½ in Double; below 10⁻¹⁰ at γ = 1).
///
/// Both directions are chains on the pair (current, previous) and run through the common loop;
/// ``sample(_:from:grid:key:sampleOffset:observer:)`` and
/// ``invert(_:final:previous:grid:key:sampleOffset:observer:)`` return ``SampleResult``s of the pair.
public struct BDIA: Sendable {
    public var gamma: Double

    public init(gamma: Double = 1) {
        precondition(gamma > 0 && gamma <= 1, "BDIA γ must be in (0, 1], got \(gamma)")
        self.gamma = gamma
    }

    /// The two states BDIA carries: the current one and the one before it.
    public struct Pair<V: VectorSpace>: VectorSpace {
        public typealias Scalar = V.Scalar
        public var current: V
        public var previous: V

        public init(current: V, previous: V) {
            self.current = current
            self.previous = previous
        }

        public func adding(_ other: Pair) -> Pair { Pair(current: current.adding(other.current), previous: previous.adding(other.previous)) }
        public func subtracting(_ other: Pair) -> Pair { Pair(current: current.subtracting(other.current), previous: previous.subtracting(other.previous)) }
        public func scaled(by factor: Scalar) -> Pair { Pair(current: current.scaled(by: factor), previous: previous.scaled(by: factor)) }
        public var isFinite: Bool { current.isFinite && previous.isFinite }
    }

    static func phi<V: VectorSpace>(_ p: Prediction<V>, to q: TimePoint) -> V { p.ddimMap(to: q) }

    struct Forward<M: PredictionModel>: SamplingChain {
        let gamma: Double, model: M, grid: TimeGrid
        var stepCount: Int { grid.stepCount }
        func makeModelState() -> M.State { model.makeState() }
        func times(ofStep index: Int) -> (from: Double, to: Double) { (grid.points[index].time, grid.points[index + 1].time) }
        func step(_ x: Pair<M.Value>, index k: Int, context: inout SamplingContext<Pair<M.Value>, M.State>, state: inout Void) -> Pair<M.Value> {
            typealias V = M.Value
            var inner = SamplingContext<V, M.State>(modelState: context.modelState, key: context.key, sampleOffset: context.sampleOffset,
                                                   stepIndex: k, evaluations: context.evaluations)
            let p = inner.predict(model, x.current, at: grid.points[k])
            context.modelState = inner.modelState
            context.countEvaluations(p.evaluations)
            if k == 0 { return Pair(current: BDIA.phi(p, to: grid.points[1]), previous: x.current) }
            let next = V.linearCombination([V.Scalar(gamma), V.Scalar(-gamma), 1],
                                           [x.previous, BDIA.phi(p, to: grid.points[k - 1]), BDIA.phi(p, to: grid.points[k + 1])])
            return Pair(current: next, previous: x.current)
        }
    }

    struct Backward<M: PredictionModel>: SamplingChain {
        let gamma: Double, model: M, grid: TimeGrid
        var stepCount: Int { grid.stepCount - 1 }
        func makeModelState() -> M.State { model.makeState() }
        func times(ofStep index: Int) -> (from: Double, to: Double) {
            (grid.points[grid.stepCount - index].time, grid.points[grid.stepCount - index - 1].time)
        }
        // The pair is (x_{k+1}, x_k) going down: `current` is the later state, `previous` the earlier.
        func step(_ x: Pair<M.Value>, index: Int, context: inout SamplingContext<Pair<M.Value>, M.State>, state: inout Void) -> Pair<M.Value> {
            typealias V = M.Value
            let k = grid.stepCount - 1 - index
            // The step index of the forward pass that evaluated point k, so a model that draws
            // gets the same latents in both directions.
            var inner = SamplingContext<V, M.State>(modelState: context.modelState, key: context.key, sampleOffset: context.sampleOffset,
                                                   stepIndex: k, evaluations: context.evaluations)
            let p = inner.predict(model, x.previous, at: grid.points[k])
            context.modelState = inner.modelState
            context.countEvaluations(p.evaluations)
            let earlier = V.linearCombination([V.Scalar(1 / gamma), V.Scalar(-1 / gamma), 1],
                                              [x.current, BDIA.phi(p, to: grid.points[k + 1]), BDIA.phi(p, to: grid.points[k - 1])])
            return Pair(current: x.previous, previous: earlier)
        }
    }

    /// Samples along the grid; the result's pair holds the final state and the one before it
    /// (both are needed to invert).
    public func sample<M: PredictionModel>(_ model: M, from x: M.Value, grid: TimeGrid, key: RandomKey = RandomKey(seed: 0), sampleOffset: Int = 0,
                                           observer: SamplingObserver<Pair<M.Value>>? = nil) -> SampleResult<Pair<M.Value>> {
        DiffuseCore.sample(Forward(gamma: gamma, model: model, grid: grid), from: Pair(current: x, previous: x), key: key, sampleOffset: sampleOffset,
                           observer: observer)
    }

    /// Recovers the initial state from the final pair of
    /// ``sample(_:from:grid:key:sampleOffset:observer:)``; the result's `previous` is the initial state.
    public func invert<M: PredictionModel>(_ model: M, final: M.Value, previous: M.Value, grid: TimeGrid, key: RandomKey = RandomKey(seed: 0),
                                           sampleOffset: Int = 0, observer: SamplingObserver<Pair<M.Value>>? = nil) -> SampleResult<Pair<M.Value>> {
        DiffuseCore.sample(Backward(gamma: gamma, model: model, grid: grid), from: Pair(current: final, previous: previous), key: key,
                           sampleOffset: sampleOffset, observer: observer)
    }
}
