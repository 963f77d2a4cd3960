import DiffuseTensor

/// What a step of any chain may use besides its own state: the run's random key, the global
/// offset of the first sample, the step index, the count of model evaluations, the model's run
/// state and the last clean-data estimate (for observers). Particle methods count reward
/// evaluations themselves.
///
/// Every field is public and settable, so a sampler, guidance term or particle kernel written in
/// another package advances the same noise stream and counts its evaluations exactly as the
/// built-in ones do. Nothing here is specific to Gaussian processes: the Gaussian helpers
/// (noise shaped like a state, model evaluation at a ``TimePoint``) are extensions.
public struct SamplingContext<Value, ModelState> {
    /// The model's run state (guidance state, for example).
    public var modelState: ModelState
    /// The root key of the run; step i draws from `key.folding(in: i)`.
    public var key: RandomKey
    /// The global index of the first sample in the state (batch-size independence).
    public var sampleOffset: Int
    /// The step being taken.
    public var stepIndex: Int
    /// Model evaluations so far (network function evaluations, NFE: a call on a batch is one).
    public var evaluations: Int
    /// Model evaluations of the current step (also numbers the step's model keys).
    public var evaluationsInStep: Int
    /// The last prediction's clean-data estimate.
    public var lastDenoised: Value?
    /// Rows of counted evaluations that were not run because the batch held the same row
    /// earlier (a model whose rows are independent is evaluated once per distinct row); particle
    /// methods subtract them when they count model evaluations per sample.
    public var rowsNotEvaluated = 0

    public init(modelState: ModelState, key: RandomKey, sampleOffset: Int = 0, stepIndex: Int = 0, evaluations: Int = 0) {
        self.modelState = modelState
        self.key = key
        self.sampleOffset = sampleOffset
        self.stepIndex = stepIndex
        self.evaluations = evaluations
        self.evaluationsInStep = 0
        self.lastDenoised = nil
    }

    /// The key of the current step: `key.folding(in: stepIndex)`.
    public var stepKey: RandomKey { key.folding(in: stepIndex) }

    /// The key a model receives for its next evaluation in this step: step key folded with
    /// −1 − (evaluations so far in the step), a stream disjoint from the step's noise draws
    /// (which fold non-negative draw numbers).
    public var modelKey: SampleKey {
        SampleKey(key: stepKey.folding(in: -1 - evaluationsInStep), sampleOffset: sampleOffset)
    }

    /// Counts `count` model evaluations (a call that evaluates a batch once counts one).
    public mutating func countEvaluations(_ count: Int) {
        evaluations += count
        evaluationsInStep += count
    }

    /// Runs `body` with a context whose model state is the part of this one's at `keyPath` (a
    /// guidance term whose state wraps its base's forwards hooks to the base this way); counts,
    /// keys and the last estimate carry over both ways.
    public mutating func withModelState<Part, Result>(_ keyPath: WritableKeyPath<ModelState, Part>,
                                                      _ body: (inout SamplingContext<Value, Part>) -> Result) -> Result {
        var inner = SamplingContext<Value, Part>(modelState: modelState[keyPath: keyPath], key: key, sampleOffset: sampleOffset,
                                                 stepIndex: stepIndex, evaluations: evaluations)
        inner.evaluationsInStep = evaluationsInStep
        inner.lastDenoised = lastDenoised
        inner.rowsNotEvaluated = rowsNotEvaluated
        let result = body(&inner)
        modelState[keyPath: keyPath] = inner.modelState
        evaluations = inner.evaluations
        evaluationsInStep = inner.evaluationsInStep
        lastDenoised = inner.lastDenoised
        rowsNotEvaluated = inner.rowsNotEvaluated
        return result
    }

    /// Moves to step `index`.
    public mutating func begin(step index: Int) {
        stepIndex = index
        evaluationsInStep = 0
    }
}

extension SamplingContext where Value: NoiseSampleable {
    /// Standard normal noise shaped like `x` for draw `draw` of the current step; sample i of
    /// `x` draws from `key.folding(in: stepIndex).folding(in: draw).folding(in: sampleOffset + i)`.
    public func noise(like x: Value, draw: Int = 0) -> Value {
        x.standardNormal(key: stepKey.folding(in: draw), sampleOffset: sampleOffset)
    }
}

extension SamplingContext where Value: VectorSpace {
    /// Evaluates a Gaussian model at `point` with this step's model key, counts its
    /// evaluations and records its clean-data estimate.
    public mutating func predict<M: PredictionModel>(_ model: M, _ x: Value, at point: TimePoint) -> Prediction<Value>
        where M.Value == Value, M.State == ModelState {
        let prediction = model.predict(x, at: point, key: modelKey, state: &modelState)
        countEvaluations(prediction.evaluations)
        lastDenoised = prediction.denoised
        return prediction
    }
}
