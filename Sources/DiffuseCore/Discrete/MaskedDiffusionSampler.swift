import DiffuseTensor
import Foundation

/// Ancestral sampling of masked diffusion (MDLM, Sahoo et al. 2024, `_ddpm_update` and
/// `_ddpm_caching_update`), a ``SamplingChain`` over ``TokenBatch``: from all-masked sequences
/// over the times `times[0] = 1 > … > times[T] = t_min`, each step evaluates p(x₀ | x_t) (SUBS) and
///
/// - `.ancestral`: unmasks each masked position with probability (α_s − α_t)/(1 − α_t), drawing
///   its token from p(x₀ | x_t) (the exact reverse posterior of one position; positions unmasked in
///   the same step are drawn independently, MDLM's approximation, exact as T → ∞);
/// - `.tokensPerStep(k)`: unmasks k masked positions chosen uniformly (exact with k = 1 and an
///   exact model: one token per step from its exact conditional);
/// - `.confident(noise: c)`: unmasks as many positions as `.ancestral` would (each masked
///   position counts with the same probability), but draws a token at every masked position and
///   keeps the ones with the highest confidence log p(drawn token) + c·t·G, G standard Gumbel
///   noise, t the step's start time (MaskGIT's annealed confidence order, Chang et al. 2022, whose
///   noise falls linearly to 0 over the steps; c = 0 is LLaDA's low-confidence remasking, Nie et
///   al. 2025). It is not the reverse process: it commits the easy positions first, which helps
///   grammars with long-range constraints (SMILES branches and ring closures) at a cost in
///   diversity that the noise buys back; as c → ∞ the chosen positions are a uniform subset of
///   the binomial count, which is `.ancestral` again.
///
/// With `temperature` τ ≠ 1 tokens are drawn from p(x₀ | x_t)^{1/τ} (renormalised); τ < 1 sharpens.
/// Unmasked tokens are carried over. With `finalNoiseRemoval`, positions still masked after the
/// last step take the most probable token of one more evaluation (MDLM's `noise_removal`). With
/// `cache` and a deterministic model without time input, an evaluation is reused while the
/// batch's tokens are unchanged (MDLM's exact cache: the result is the same bit for bit, with fewer
/// model calls; the whole batch must be unchanged, so large batches rarely hit). All draws are
/// Float64 (``CategoricalDraw``); sample i draws from `key.folding(in: step).folding(in: offset + i)`,
/// so results do not depend on the batch. A model whose rows are independent
/// (``TokenDenoiser/rowsAreIndependent``) is run once per distinct row, and with the cache only
/// on rows that differ from every row of its last evaluation: the all-masked start, the copies
/// particle methods make and resampled particles cost one row each or nothing.
public struct MaskedDiffusionSampler<M: TokenDenoiser>: SamplingChain {
    public typealias Value = TokenBatch

    /// How many positions a step unmasks.
    public enum Unmasking: Hashable, Sendable {
        case ancestral
        case tokensPerStep(Int)
        case confident(noise: Double)
    }

    public let model: M
    public let schedule: any MaskingSchedule
    public let times: [Double]
    public let unmasking: Unmasking
    public let usesCache: Bool
    public let finalNoiseRemoval: Bool
    /// The temperature of the token draws (1: the model's distribution).
    public let temperature: Double

    /// `steps` steps uniform in time from 1 to `minimumTime` (MDLM: 10⁻⁵).
    public init(model: M, schedule: any MaskingSchedule, steps: Int, minimumTime: Double = 1e-5, unmasking: Unmasking = .ancestral,
                temperature: Double = 1, cache: Bool = true, finalNoiseRemoval: Bool = true) {
        precondition(temperature > 0 && temperature.isFinite, "the token temperature must be positive and finite, got \(temperature)")
        precondition(steps >= 1, "a masked sampler needs at least one step, got \(steps)")
        precondition(minimumTime >= 0 && minimumTime < 1, "the minimum time must be in [0, 1), got \(minimumTime)")
        if case .tokensPerStep(let k) = unmasking { precondition(k >= 1, "at least one token per step, got \(k)") }
        if case .confident(let c) = unmasking { precondition(c >= 0 && c.isFinite, "the confidence noise must be finite and non-negative, got \(c)") }
        self.model = model
        self.schedule = schedule
        self.times = (0...steps).map { 1 + (minimumTime - 1) * Double($0) / Double(steps) }
        self.unmasking = unmasking
        self.usesCache = cache
        self.finalNoiseRemoval = finalNoiseRemoval
        self.temperature = temperature
    }

    /// The last evaluation, for the exact cache.
    public struct State {
        var input: TokenBatch? = nil
        var output: SUBSDistribution? = nil
        /// The row of `input` holding each distinct sequence (models with independent rows).
        var rowIndex: [ArraySlice<Int>: Int] = [:]
        /// Evaluations the cache saved.
        var cacheHits = 0
    }

    public var stepCount: Int { times.count - 1 }
    public func makeModelState() -> M.State { model.makeState() }
    public func makeState(for x: TokenBatch) -> State { State() }
    public func times(ofStep index: Int) -> (from: Double, to: Double) { (times[index], times[index + 1]) }

    /// p(x₀ | x_t) under SUBS, from the cache when it is exact.
    ///
    /// With a model whose rows are independent the cache works per row: a row equal to a row of
    /// the last evaluation (a particle copied by resampling, a sequence no token of which changed)
    /// is taken from it, equal rows are evaluated once, and only the rest reach the model (one call
    /// for them, the rows spared counted in ``SamplingContext/rowsNotEvaluated``).
    func distribution(_ x: TokenBatch, at t: Double, context: inout SamplingContext<TokenBatch, M.State>, state: inout State) -> SUBSDistribution {
        let reusable = usesCache && !model.usesTime && model.isDeterministic
        if reusable, let input = state.input, let output = state.output, input == x {
            state.cacheHits += 1
            return output
        }
        let output: SUBSDistribution
        if model.rowsAreIndependent && model.isDeterministic {
            // Each row's source: the cached output's row, or a row of the fresh evaluation.
            var sources: [(cached: Bool, row: Int)] = []
            var missing: [Int] = [], missingIndex: [ArraySlice<Int>: Int] = [:]
            for i in 0..<x.sampleCount {
                let row = x[sample: i]
                if reusable, state.output != nil, let j = state.rowIndex[row] {
                    sources.append((true, j))
                } else if let k = missingIndex[row] {
                    sources.append((false, k))
                } else {
                    missingIndex[row] = missing.count
                    sources.append((false, missing.count))
                    missing.append(i)
                }
            }
            var fresh: SUBSDistribution? = nil
            if !missing.isEmpty {
                let unique = x.gatheringSamples(missing)
                let logits = model.logits(unique, at: [Double](repeating: t, count: unique.sampleCount), key: context.modelKey, state: &context.modelState)
                fresh = SUBSDistribution(logits: logits, state: unique)
                context.countEvaluations(1)
                context.rowsNotEvaluated += x.sampleCount - missing.count
            } else {
                state.cacheHits += 1
            }
            output = SUBSDistribution(rows: sources.map { ($0.cached ? state.output! : fresh!, $0.row) }, length: x.length, vocabularySize: x.vocabularySize)
        } else {
            let logits = model.logits(x, at: [Double](repeating: t, count: x.sampleCount), key: context.modelKey, state: &context.modelState)
            output = SUBSDistribution(logits: logits, state: x)
            context.countEvaluations(1)
        }
        state.input = x
        state.output = output
        if reusable && model.rowsAreIndependent {
            state.rowIndex = [:]
            for i in 0..<x.sampleCount where state.rowIndex[x[sample: i]] == nil { state.rowIndex[x[sample: i]] = i }
        }
        return output
    }

    public func step(_ x: TokenBatch, index: Int, context: inout SamplingContext<TokenBatch, M.State>, state: inout State) -> TokenBatch {
        let (t, s) = (times[index], times[index + 1])
        let p0 = distribution(x, at: t, context: &context, state: &state)
        var next = x
        let l = x.length
        for i in 0..<x.sampleCount {
            var stream = RandomStream(key: context.stepKey.folding(in: context.sampleOffset + i))
            let masked = (0..<l).filter { x.tokens[i * l + $0] == x.mask }
            func draw(_ position: Int) -> Int {
                CategoricalDraw.index(p0.probabilities(at: i * l + position, temperature: temperature), uniform: stream.uniformDouble())
            }
            switch unmasking {
            case .ancestral:
                let probability = schedule.unmaskingProbability(from: t, to: s)
                for position in masked where stream.uniformDouble() < probability {
                    next.tokens[i * l + position] = draw(position)
                }
            case .tokensPerStep(let k):
                var candidates = masked
                for c in 0..<Swift.min(k, candidates.count) {
                    candidates.swapAt(c, c + stream.integer(below: candidates.count - c))
                    next.tokens[i * l + candidates[c]] = draw(candidates[c])
                }
            case .confident(let noise):
                let probability = schedule.unmaskingProbability(from: t, to: s)
                let count = masked.reduce(0) { n, _ in stream.uniformDouble() < probability ? n + 1 : n }
                guard count > 0 else { continue }
                // Most confident first; equal confidences (positions whose distributions agree)
                // in a random order, so no side of the sequence is favoured.
                let drawn = masked.map { position -> (position: Int, token: Int, confidence: Double, tie: Double) in
                    let token = draw(position)
                    let logProbability = p0.logProbabilities[(i * l + position) * x.vocabularySize + token]
                    let confidence = noise > 0 ? logProbability + noise * t * stream.gumbel() : logProbability
                    return (position, token, confidence, stream.uniformDouble())
                }.sorted { ($0.confidence, $0.tie) > ($1.confidence, $1.tie) }
                for d in drawn.prefix(count) { next.tokens[i * l + d.position] = d.token }
            }
        }
        if index == stepCount - 1 && finalNoiseRemoval && next.maskedCount > 0 {
            let last = distribution(next, at: s, context: &context, state: &state)
            for p in next.tokens.indices where next.tokens[p] == next.mask { next.tokens[p] = last.mostProbable(at: p) }
        }
        return next
    }

    /// Samples `count` sequences of `length` from all-masked ones.
    public func sample(count: Int, length: Int, key: RandomKey, sampleOffset: Int = 0,
                       observer: SamplingObserver<TokenBatch>? = nil) -> SampleResult<TokenBatch> {
        DiffuseCore.sample(self, from: .masked(count: count, length: length, vocabularySize: model.vocabularySize), key: key,
                           sampleOffset: sampleOffset, observer: observer)
    }
}

/// The masked sampler's step as a particle kernel: `propagate` is the sampler's step; the clean
/// estimate fills every masked position with its most probable token under p(x₀ | x_s) at the
/// step's end time (SVDD's posterior-mean value for discrete states: one evaluation). The cache
/// saves the next step's evaluation when the population reaches it unchanged (Feynman–Kac steps
/// without resampling), and, for a model with independent rows, row by row: resampled particles
/// and SVDD's chosen candidate were all estimated already, so each step costs about one row per
/// particle or candidate.
public struct MaskedDiffusionKernel<M: TokenDenoiser>: ParticleKernel {
    public let sampler: MaskedDiffusionSampler<M>

    public init(sampler: MaskedDiffusionSampler<M>) {
        self.sampler = sampler
    }

    public struct State {
        public var model: M.State
        public var cache: MaskedDiffusionSampler<M>.State
    }

    public var stepCount: Int { sampler.stepCount }
    public func makeState() -> State { State(model: sampler.model.makeState(), cache: .init()) }

    public func propagate(_ particles: TokenBatch, step: Int, context: inout SamplingContext<TokenBatch, State>) -> TokenBatch {
        var cache = context.modelState.cache
        let next = context.withModelState(\.model) { sampler.step(particles, index: step, context: &$0, state: &cache) }
        context.modelState.cache = cache
        return next
    }

    public func estimate(_ particles: TokenBatch, afterStep step: Int, context: inout SamplingContext<TokenBatch, State>) -> TokenBatch {
        guard particles.maskedCount > 0 else { return particles }
        var cache = context.modelState.cache
        let p = context.withModelState(\.model) { sampler.distribution(particles, at: sampler.times[step + 1], context: &$0, state: &cache) }
        context.modelState.cache = cache
        var filled = particles
        for position in filled.tokens.indices where filled.tokens[position] == filled.mask { filled.tokens[position] = p.mostProbable(at: position) }
        return filled
    }
}
