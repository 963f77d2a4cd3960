/// One step's event for observers (progress display, trajectories, diagnostics), the same for
/// every way of running a chain.
public struct StepEvent<Value> {
    /// The step index (0-based).
    public var index: Int
    /// The number of steps in the run.
    public var stepCount: Int
    /// The chain's time at the start and at the end of the step, in the chain's own units (model
    /// time for Gaussian samplers; integration variable for likelihood ODEs).
    public var fromTime: Double
    public var toTime: Double
    /// The state after the step.
    public var x: Value
    /// The clean-data estimate of the step's last model evaluation, when the chain has one.
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

/// Counters of a run: what every method reports, so that methods can be compared at equal
/// compute.
public struct SamplingStatistics: Equatable, Sendable {
    /// Model calls (NFE): a call on a batch counts one.
    public var functionEvaluations = 0
    /// Model evaluations per sample: Σ over calls of (rows evaluated ÷ samples returned). Equal
    /// to ``functionEvaluations`` for a plain sampler; M times it for a method that propagates M
    /// particles per returned sample.
    public var sampleEvaluations = 0.0
    /// Reward (or value) evaluations per returned sample.
    public var rewardEvaluations = 0.0
    /// Chain steps taken.
    public var steps = 0
    /// Accepted and rejected internal steps of adaptive integrators (accepted = steps otherwise).
    public var acceptedSteps = 0
    public var rejectedSteps = 0
    /// Resampling events per returned sample (a sample's particles resampled at k steps count
    /// k), for particle methods.
    public var resamplings = 0.0
    public var status: SamplingStatus = .completed

    public init() {}
}

/// Samples and statistics of a run: what every sampler, particle method, inversion and
/// likelihood integration returns.
public struct SampleResult<Value> {
    public var samples: Value
    public var statistics: SamplingStatistics
    /// The reward of each returned sample, for reward-guided methods (empty otherwise).
    public var rewards: [Double]
    /// log p of each sample at the data end, for likelihood runs (empty otherwise); `samples` is
    /// then the state at the noise end.
    public var logDensities: [Double]

    public init(samples: Value, statistics: SamplingStatistics, rewards: [Double] = [], logDensities: [Double] = []) {
        self.samples = samples
        self.statistics = statistics
        self.rewards = rewards
        self.logDensities = logDensities
    }
}

/// Called after every step of a run.
public typealias SamplingObserver<Value> = (StepEvent<Value>) -> Void
