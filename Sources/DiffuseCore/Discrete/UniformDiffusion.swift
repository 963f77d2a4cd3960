import DiffuseNN
import DiffuseTensor
import Foundation

/// Uniform-noise discrete diffusion (D3PM with uniform transitions, Austin et al. 2021, in the
/// continuous-time form of Schiff et al. 2024): each token of x₀ is kept with probability α(t)
/// and otherwise replaced by a uniformly random token of the K (which may be x₀ again), so
/// q(x_t | x₀) = α_t·δ(x₀) + (1 − α_t)/K. Unlike masking, a token can change many times and is
/// never known to be clean: no carry-over, no cache. The same ``MaskingSchedule`` gives α.
///
/// The reverse posterior is written once, in ``reverseProbabilities(logits:state:from:to:schedule:)``: with
/// a = α_t/α_s, A_j = a·[j = i] + (1 − a)/K for the current token i, Z_k = α_t·[k = i] + (1 − α_t)/K
/// (= q(x_t = i | x₀ = k)) and the model's π = softmax(logits),
/// p(x_s = j | x_t = i) = A_j·(α_s·π_j/Z_j + ((1 − α_s)/K)·Σ_k π_k/Z_k),
/// which is Σ_{x₀} π(x₀)·q(x_s = j | x_t = i, x₀) exactly (each position independently).
public enum UniformDiffusion {
    /// p(x_s | x_t) per position, `[count, length, K]`, from the logits of p(x₀ | x_t); `from`
    /// holds t and `to` holds s < t, per sample. Differentiable in the logits (it is the training
    /// loss's distribution too).
    public static func reverseProbabilities<S: TensorScalar>(logits: Variable<S>, state x: TokenBatch, from t: [Double], to s: [Double],
                                                             schedule: any MaskingSchedule) -> Variable<S> {
        let n = x.sampleCount, l = x.length, k = x.vocabularySize
        precondition(logits.shape == [n, l, k], "logits must have shape [\(n), \(l), \(k)], got \(logits.shape)")
        precondition(t.count == n && s.count == n, "one time pair per sample")
        var a = [S](), inverseZ = [S](), stateWeight = [S](), sum = [S]()
        a.reserveCapacity(n * l * k); inverseZ.reserveCapacity(n * l * k)
        for i in 0..<n {
            let at = schedule.alpha(at: t[i]), as_ = s[i] <= 0 ? 1 : schedule.alpha(at: s[i])
            let ratio = at / as_
            for position in 0..<l {
                let token = x.tokens[i * l + position]
                precondition(token < k, "uniform diffusion has no mask token; got \(token) at sample \(i), position \(position)")
                for j in 0..<k {
                    a.append(S(ratio * (j == token ? 1 : 0) + (1 - ratio) / Double(k)))
                    inverseZ.append(S(1 / (at * (j == token ? 1 : 0) + (1 - at) / Double(k))))
                }
                stateWeight.append(S(as_))
                sum.append(S((1 - as_) / Double(k)))
            }
        }
        let pi = logits.softmax(alongAxis: 2)
        let weighted = pi * Tensor<S>(shape: [n, l, k], scalars: inverseZ)
        let total = weighted.sum(alongAxes: [2], keepingDimensions: true)
        let inner = weighted * Tensor<S>(shape: [n, l, 1], scalars: stateWeight) + total * Tensor<S>(shape: [n, l, 1], scalars: sum)
        return inner * Tensor<S>(shape: [n, l, k], scalars: a)
    }

    /// q(x_s = j | x_t = i, x₀ = c) for one position: A_j·B_j/Z with B_j = α_s·[j = c] + (1 − α_s)/K.
    public static func posterior(current i: Int, clean c: Int, vocabularySize k: Int, alphaT: Double, alphaS: Double) -> [Double] {
        let ratio = alphaT / alphaS
        let z = alphaT * (i == c ? 1 : 0) + (1 - alphaT) / Double(k)
        return (0..<k).map { j in
            (ratio * (j == i ? 1 : 0) + (1 - ratio) / Double(k)) * (alphaS * (j == c ? 1 : 0) + (1 - alphaS) / Double(k)) / z
        }
    }
}

/// Ancestral sampling of uniform-noise diffusion, a ``SamplingChain`` over ``TokenBatch``: from
/// uniformly random tokens at t = 1, each of T steps draws every position from p(x_s | x_t)
/// (``UniformDiffusion``) in Float64; the last step, to s = 0, draws x₀ from the model's
/// posterior. Sample i draws from `key.folding(in: step).folding(in: offset + i)`.
public struct UniformDiffusionSampler<M: TokenDenoiser>: SamplingChain {
    public typealias Value = TokenBatch
    public let model: M
    public let schedule: any MaskingSchedule
    public let times: [Double]

    /// `steps` steps uniform in time from 1 to 0.
    public init(model: M, schedule: any MaskingSchedule, steps: Int) {
        precondition(steps >= 1, "a uniform-noise sampler needs at least one step, got \(steps)")
        self.model = model
        self.schedule = schedule
        self.times = (0...steps).map { 1 - Double($0) / Double(steps) }
    }

    public var stepCount: Int { times.count - 1 }
    public func makeModelState() -> M.State { model.makeState() }
    public func times(ofStep index: Int) -> (from: Double, to: Double) { (times[index], times[index + 1]) }

    public func step(_ x: TokenBatch, index: Int, context: inout SamplingContext<TokenBatch, M.State>, state: inout Void) -> TokenBatch {
        let n = x.sampleCount, k = x.vocabularySize
        let (t, s) = (times[index], times[index + 1])
        let logits = model.logits(x, at: [Double](repeating: t, count: n), key: context.modelKey, state: &context.modelState)
        context.countEvaluations(1)
        let doubleLogits = Tensor<Double>(shape: logits.shape, scalars: logits.scalars.map { Double($0) })
        let p = UniformDiffusion.reverseProbabilities(logits: Variable(doubleLogits), state: x, from: [Double](repeating: t, count: n),
                                                      to: [Double](repeating: s, count: n), schedule: schedule).value.scalars
        var next = x
        for i in 0..<n {
            var stream = RandomStream(key: context.stepKey.folding(in: context.sampleOffset + i))
            for position in 0..<x.length {
                let row = i * x.length + position
                next.tokens[row] = CategoricalDraw.index(Array(p[(row * k)..<((row + 1) * k)]), uniform: stream.uniformDouble())
            }
        }
        return next
    }

    /// Uniformly random tokens for `count` sequences (sample i from its own stream).
    public func prior(count: Int, length: Int, key: RandomKey, sampleOffset: Int = 0) -> TokenBatch {
        let k = model.vocabularySize
        var tokens: [Int] = []
        for i in 0..<count {
            var stream = RandomStream(key: key.folding(in: sampleOffset + i))
            for _ in 0..<length { tokens.append(stream.integer(below: k)) }
        }
        return TokenBatch(tokens: tokens, length: length, vocabularySize: k)
    }
}

/// The discrete-time negative ELBO of uniform-noise diffusion with T steps (Austin et al. 2021):
/// E_k[T·Σ_ℓ KL(q(x_s | x_t, x₀) ‖ p(x_s | x_t))]/L with t = k/T, s = (k − 1)/T, k uniform in 1…T
/// (at k = 1 the KL is the reconstruction −log p(x₀ | x_{1/T})), plus the prior term
/// KL(q(x₁ | x₀) ‖ uniform). It bounds −log p(x₀) from above for every T and approaches the
/// continuous-time bound as T grows (tested by enumeration on a toy model).
public struct UniformDiffusionObjective: DiscreteDiffusionObjective {
    public var schedule: any MaskingSchedule
    public var steps: Int

    public init(schedule: any MaskingSchedule = LogLinearMasking(), steps: Int = 1000) {
        precondition(steps >= 1, "need at least one step, got \(steps)")
        self.schedule = schedule
        self.steps = steps
    }

    /// A batch of training inputs: the noised sequences and each sample's step k.
    public struct Example: Sendable {
        public var clean: TokenBatch
        public var noisy: TokenBatch
        public var steps: [Int]

        public init(clean: TokenBatch, noisy: TokenBatch, steps: [Int]) {
            self.clean = clean
            self.noisy = noisy
            self.steps = steps
        }
    }

    /// The times (t, s) of step k.
    public func times(ofStep k: Int) -> (t: Double, s: Double) { (Double(k) / Double(steps), Double(k - 1) / Double(steps)) }

    public func input(of example: Example) -> (tokens: TokenBatch, times: [Double]) {
        (example.noisy, example.steps.map { times(ofStep: $0).t })
    }

    /// Noises `x0` at a uniformly drawn step per sample (sample i from its own stream).
    public func example(for x0: TokenBatch, key: RandomKey, sampleOffset: Int = 0) -> Example {
        var noisy = x0
        var drawn: [Int] = []
        for i in 0..<x0.sampleCount {
            var stream = RandomStream(key: key.folding(in: sampleOffset + i))
            let k = 1 + stream.integer(below: steps)
            drawn.append(k)
            let keep = schedule.alpha(at: times(ofStep: k).t)
            for position in 0..<x0.length where stream.uniformDouble() >= keep {
                noisy.tokens[i * x0.length + position] = stream.integer(below: x0.vocabularySize)
            }
        }
        return Example(clean: x0, noisy: noisy, steps: drawn)
    }

    /// Per sample: T·Σ_ℓ KL(q(x_s | x_t, x₀) ‖ p(x_s | x_t))/L + KL(q(x₁ | x₀) ‖ uniform)/L per
    /// position, in nats per token, `[count]`.
    public func perSampleLosses<S: TensorScalar>(logits: Variable<S>, _ example: Example) -> Variable<S> {
        let x = example.noisy, n = x.sampleCount, l = x.length, k = x.vocabularySize
        let t = example.steps.map { times(ofStep: $0).t }, s = example.steps.map { times(ofStep: $0).s }
        let p = UniformDiffusion.reverseProbabilities(logits: logits, state: x, from: t, to: s, schedule: schedule)
        var q = [S](), entropyTerms = [Double](repeating: 0, count: n)
        let alpha1 = schedule.alpha(at: 1)
        let prior = (0..<k).reduce(0.0) { total, j in
            let qj = alpha1 * (j == 0 ? 1 : 0) + (1 - alpha1) / Double(k)
            return total + qj * Foundation.log(qj * Double(k))
        }
        for i in 0..<n {
            let at = schedule.alpha(at: t[i]), as_ = s[i] <= 0 ? 1 : schedule.alpha(at: s[i])
            for position in 0..<l {
                let row = i * l + position
                let posterior = UniformDiffusion.posterior(current: x.tokens[row], clean: example.clean.tokens[row], vocabularySize: k, alphaT: at, alphaS: as_)
                q += posterior.map { S($0) }
                entropyTerms[i] += posterior.reduce(0) { $0 + ($1 > 0 ? $1 * Foundation.log($1) : 0) }
            }
        }
        let scale = S(Double(steps) / Double(l))
        let crossEntropy = -(Variable(Tensor<S>(shape: [n, l, k], scalars: q)) * (p + S(1e-30)).log()).sum(alongAxes: [1, 2])
        let constants = Tensor<S>(shape: [n], scalars: entropyTerms.map { S(Double(steps) / Double(l) * $0 + prior) })
        return crossEntropy * scale + constants
    }
}
