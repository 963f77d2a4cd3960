/// The history of a multistep exponential integrator: the clean-data estimates x̂₀ at previous
/// grid points with their log-SNR λ, newest first, typed by the state. DPM-Solver++ and UniPC
/// share it, with ``MultistepOrderRule``.
public struct DenoisedHistory<Value>: Sendable where Value: Sendable {
    /// (λ, x̂₀) pairs, newest first.
    public private(set) var entries: [(lambda: Double, denoised: Value)] = []
    /// How many entries are kept.
    public let capacity: Int

    public init(capacity: Int) {
        precondition(capacity >= 1, "a history keeps at least one entry")
        self.capacity = capacity
    }

    /// Adds the newest entry, dropping the oldest beyond the capacity.
    public mutating func insert(lambda: Double, denoised: Value) {
        entries.insert((lambda, denoised), at: 0)
        if entries.count > capacity { entries.removeLast() }
    }

    public var count: Int { entries.count }
    public var newest: (lambda: Double, denoised: Value)? { entries.first }
    public subscript(i: Int) -> (lambda: Double, denoised: Value) { entries[i] }
}

/// Which order a multistep solver of nominal order p uses at step i of N (DPM-Solver++ and UniPC,
/// as diffusers does):
///
/// - **warm-up**: at most i + 1, since only i earlier estimates exist;
/// - **lower order at the end** (``LowerOrderFinal``): at most N − i, so the last step is
///   first order and the one before at most second order; diffusers' DPM-Solver++ applies it
///   only to runs of fewer than 15 steps (it stabilises few-step sampling), its UniPC always;
/// - **a step that ends at σ = 0** is first order (the exact data-prediction step).
///
/// Limitation: the warm-up's lower-order steps have local errors O(h²) (first step), so a
/// method of order 3 reaches global order 3 only where those are damped; see
/// ``Sampler/asymptoticOrder``.
public struct MultistepOrderRule: Hashable, Sendable {
    /// When the last steps drop to lower orders.
    public enum LowerOrderFinal: Hashable, Sendable {
        case never
        case always
        /// Only for runs of fewer than this many steps (diffusers' DPM-Solver++: 15).
        case belowSteps(Int)
    }

    public var order: Int
    public var lowerOrderFinal: LowerOrderFinal

    public init(order: Int, lowerOrderFinal: LowerOrderFinal) {
        self.order = order
        self.lowerOrderFinal = lowerOrderFinal
    }

    /// The global order as h → 0 of a method of nominal order `nominal` whose first step has
    /// order `firstStepOrder`: that step's local error O(h^{q+1}) is not damped, so the global
    /// error is O(h^min(p, q+1)). DPM-Solver++ (first step DDIM, q = 1) is asymptotically of order
    /// 2 at most; UniPC with its corrector (q = 2) of order 3 at most. With `.always`, the last step
    /// is first order too (and uncorrected in UniPC), a local error O(h²) that caps the global
    /// order at 2 on grids that end above σ = 0 (a step into σ = 0 is exact for the data
    /// prediction). Where these steps lie where x̂₀ barely moves in λ, the nominal order is seen over
    /// practical step counts.
    public func asymptoticOrder(nominal: Int, firstStepOrder: Int) -> Int {
        let start = Swift.min(nominal, firstStepOrder + 1)
        return lowerOrderFinal == .always ? Swift.min(start, 2) : start
    }

    /// The order of step `index` of `stepCount`, which ends at the clean point if `endsClean`.
    public func order(at index: Int, of stepCount: Int, endsClean: Bool) -> Int {
        if endsClean { return 1 }
        var used = Swift.min(order, index + 1)
        let lowersAtEnd: Bool
        switch lowerOrderFinal {
        case .never: lowersAtEnd = false
        case .always: lowersAtEnd = true
        case .belowSteps(let n): lowersAtEnd = stepCount < n
        }
        if lowersAtEnd { used = Swift.min(used, stepCount - index) }
        return used
    }
}
