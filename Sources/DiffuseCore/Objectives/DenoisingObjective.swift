import DiffuseNN
import DiffuseTensor
import Foundation

/// How diffusion times are drawn for training.
public enum TimeSampling: Codable, Hashable, Sendable {
    /// Uniform over the schedule's continuous time range.
    case uniform
    /// Uniform over the integer steps 0..<N of a discrete schedule (DDPM).
    case uniformSteps
    /// t = sigmoid(m + s·n), n ~ N(0, 1), scaled to the range: the logit-normal sampling of
    /// rectified-flow training (Esser et al. 2024).
    case logitNormal(mean: Double, standardDeviation: Double)
    /// Stratified (antithetic) uniform times: sample i of a batch of n uses (i + u)/n with one
    /// shared u, which reduces the variance of the batch loss (Kingma et al. 2021).
    case stratified
    /// Integer steps t = ⌊N·u^p⌋, u uniform, p > 0: p = 1 is ``uniformSteps``, p > 1 spends more of the
    /// batch on the low-noise steps (P(t < k) = (k/N)^(1/p)). The per-step minimiser of the
    /// loss is unchanged; only the network's capacity and the gradient signal shift toward low
    /// noise, where a schedule with large late β (e.g. linear 0.001 → 0.2) leaves few steps.
    case powerSteps(exponent: Double)
}

/// The per-sample weight of the squared error, as a function of the SNR α²/σ².
public enum LossWeighting: Codable, Hashable, Sendable {
    /// Weight 1 on the squared error of the prediction's own output.
    case plain
    /// Weight SNR (for noise prediction, the ε loss becomes the x₀ loss).
    case signalToNoise
    /// Min-SNR-γ (Hang et al. 2023): the x₀-space weight min(SNR, γ), expressed in the
    /// prediction's own space (÷SNR for noise, ÷(SNR + 1) for v).
    case minSNR(gamma: Double)
    /// EDM (Karras et al. 2022): λ(σ) = (σ² + σ_d²)/(σ·σ_d)² on the denoiser error, with σ = σ/α.
    case edm(sigmaData: Double)
}

/// Denoising score matching for a ``NoiseSchedule`` and a ``PredictionType`` (Ho et al. 2020;
/// Song et al. 2021; Salimans & Ho 2022; Karras et al. 2022): draw t, ε, form x_t = α x₀ + σ ε,
/// and regress the network's output onto the target of its parameterisation (ε, x₀,
/// v = αε − σx₀, the score −ε/σ, the flow velocity α′x₀ + σ′ε, or the denoiser x₀), with a
/// per-sample loss weight.
public struct DenoisingObjective: Sendable {
    public var schedule: any NoiseSchedule
    public var prediction: PredictionType
    public var weighting: LossWeighting
    public var timeSampling: TimeSampling

    public init(schedule: any NoiseSchedule, prediction: PredictionType = .noise, weighting: LossWeighting = .plain,
                timeSampling: TimeSampling = .uniform) {
        self.schedule = schedule
        self.prediction = prediction
        self.weighting = weighting
        self.timeSampling = timeSampling
    }

    /// One batch of training inputs: the noisy states, their times and points, the targets and
    /// the per-sample weights.
    public struct Example<S: TensorScalar> {
        public var noisy: Tensor<S>
        public var points: [TimePoint]
        public var target: Tensor<S>
        public var noise: Tensor<S>
        public var weights: Tensor<S>
        /// The times as a `[n]` list for the network's time input.
        public var times: [Double] { points.map(\.time) }

        /// The examples with batch indices in `range` (views of the tensors).
        public func rows(_ range: Range<Int>) -> Example {
            Example(noisy: noisy.slice(axis: 0, range), points: Array(points[range]), target: target.slice(axis: 0, range),
                    noise: noise.slice(axis: 0, range), weights: weights.slice(axis: 0, range))
        }
    }

    /// Draws times for `count` samples; sample i uses `key.folding(in: sampleOffset + i)`
    /// (stratified sampling shares one offset per call, over `count` strata, or over
    /// `batchCount` strata for rows `sampleOffset…` of a larger batch — a data-parallel shard).
    public func sampleTimes(count: Int, key: RandomKey, sampleOffset: Int = 0, batchCount: Int? = nil) -> [Double] {
        precondition(batchCount.map { $0 >= sampleOffset + count } ?? true, "rows \(sampleOffset)..<\(sampleOffset + count) are not in a batch of \(batchCount ?? 0)")
        let strata = batchCount ?? count, firstStratum = batchCount == nil ? 0 : sampleOffset
        let range = schedule.timeRange
        var sharedStream = RandomStream(key: key.folding(in: -1))
        let shared = sharedStream.uniformDouble()
        /// The number of integer steps of a discrete schedule's range.
        func stepCount() -> Int { Int(range.upperBound - range.lowerBound) + 1 }
        return (0..<count).map { i in
            var stream = RandomStream(key: key.folding(in: sampleOffset + i))
            switch timeSampling {
            case .uniform:
                return range.lowerBound + (range.upperBound - range.lowerBound) * stream.uniformDouble()
            case .uniformSteps:
                return range.lowerBound + Double(stream.integer(below: stepCount()))
            case let .logitNormal(m, s):
                let u = 1 / (1 + Foundation.exp(-(m + s * stream.normal(Double.self))))
                return range.lowerBound + (range.upperBound - range.lowerBound) * u
            case .stratified:
                let u = (Double(firstStratum + i) + shared) / Double(strata)
                return range.lowerBound + (range.upperBound - range.lowerBound) * u
            case .powerSteps(let exponent):
                precondition(exponent > 0 && exponent.isFinite, "TimeSampling.powerSteps needs a positive, finite exponent, got \(exponent)")
                let n = stepCount()
                let step = Int(Double(n) * Foundation.pow(stream.uniformDouble(), exponent))
                return range.lowerBound + Double(Swift.min(step, n - 1))
            }
        }
    }

    /// The weight of a sample at a point.
    public func weight(at point: TimePoint) -> Double {
        let snr = point.alpha * point.alpha / (point.sigma * point.sigma)
        switch weighting {
        case .plain: return 1
        case .signalToNoise: return snr
        case .minSNR(let gamma):
            let w = Swift.min(snr, gamma)
            switch prediction {
            case .noise, .score: return w / snr
            case .velocity, .flowVelocity: return w / (snr + 1)
            case .data, .denoiser: return w
            }
        case .edm(let sd):
            let s = point.edmSigma
            return (s * s + sd * sd) / (s * sd * s * sd)
        }
    }

    /// A training batch for clean data `x0` `[n, ...]`.
    public func example<S: TensorScalar>(for x0: Tensor<S>, key: RandomKey, sampleOffset: Int = 0, batchCount: Int? = nil) -> Example<S> {
        let n = x0.shape[0]
        let times = sampleTimes(count: n, key: key.folding(in: 1), sampleOffset: sampleOffset, batchCount: batchCount)
        let points = times.map { schedule.point(at: $0) }
        let noise = Tensor<S>.randomNormal(shape: x0.shape, key: key.folding(in: 2), sampleOffset: sampleOffset)
        let a = x0.scaledPerSample(by: points.map(\.alpha)), s = noise.scaledPerSample(by: points.map(\.sigma))
        let noisy = a + s
        let target: Tensor<S>
        switch prediction {
        case .noise: target = noise
        case .data, .denoiser: target = x0
        case .velocity: target = noise.scaledPerSample(by: points.map(\.alpha)) - x0.scaledPerSample(by: points.map(\.sigma))
        case .score: target = noise.scaledPerSample(by: points.map { -1 / $0.sigma })
        case .flowVelocity:
            target = x0.scaledPerSample(by: times.map { schedule.alphaDerivative(at: $0) }) + noise.scaledPerSample(by: times.map { schedule.sigmaDerivative(at: $0) })
        }
        let weights = Tensor<S>(points.map { S(weight(at: $0)) })
        return Example(noisy: noisy, points: points, target: target, noise: noise, weights: weights)
    }

    /// The weighted mean squared error Σᵢ wᵢ‖outputᵢ − targetᵢ‖²/(n·d) of a network output
    /// (for `.denoiser` models, `output` is D evaluated on x_t/α).
    public func loss<S: TensorScalar>(_ output: Variable<S>, _ example: Example<S>) -> Variable<S> {
        precondition(output.shape == example.target.shape, "network output \(output.shape) differs from target \(example.target.shape)")
        var weightShape = [Int](repeating: 1, count: output.rank)
        weightShape[0] = example.weights.count
        let squared = (output - example.target).squared()
        return (squared * example.weights.reshaped(weightShape)).mean()
    }
}
