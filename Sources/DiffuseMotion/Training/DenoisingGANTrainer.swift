import DiffuseCore
import DiffuseNN
import DiffuseTensor
import Foundation

/// The configuration of an EMDM model: networks, the few-step schedule and the training recipe.
public struct DenoisingGANConfiguration: Codable, Equatable, Sendable {
    public var generator: MotionTransformer
    public var discriminator: MotionDiscriminator
    /// Denoising steps T (EMDM: 10).
    public var steps: Int
    /// DDGAN's VP schedule: var(t) = 1 − exp(−½t²(β_max − β_min) − tβ_min) on T + 1 points in [10⁻³, 1].
    public var betaMin: Double
    public var betaMax: Double
    public var batchSize: Int
    public var trainingSteps: Int
    public var generatorLearningRate: Double
    public var discriminatorLearningRate: Double
    /// R1 weight γ (the penalty is γ/2·‖∇ₓD‖² on real pairs) and how often it is applied (lazily).
    public var r1Gamma: Double
    public var r1Interval: Int
    /// Step ε of the directional finite difference of the R1 estimate.
    public var r1Step: Double
    /// Weight of the non-saturating adversarial loss in the generator's loss.
    public var adversarialWeight: Double
    public var losses: MotionLossWeights
    /// Probability that a training label is replaced by the "no condition" token (classifier-free guidance).
    public var conditionDropProbability: Double
    public var emaDecay: Double
    public var normalization: FeatureNormalization

    public init(generator: MotionTransformer, discriminator: MotionDiscriminator, steps: Int = 10, betaMin: Double = 0.1, betaMax: Double = 20,
                batchSize: Int = 32, trainingSteps: Int = 2000, generatorLearningRate: Double = 2e-4, discriminatorLearningRate: Double = 2e-4,
                r1Gamma: Double = 0.02, r1Interval: Int = 15, r1Step: Double = 1e-2, adversarialWeight: Double = 0.1,
                losses: MotionLossWeights = MotionLossWeights(), conditionDropProbability: Double = 0.1, emaDecay: Double = 0.999,
                normalization: FeatureNormalization) {
        self.generator = generator
        self.discriminator = discriminator
        self.steps = steps
        self.betaMin = betaMin
        self.betaMax = betaMax
        self.batchSize = batchSize
        self.trainingSteps = trainingSteps
        self.generatorLearningRate = generatorLearningRate
        self.discriminatorLearningRate = discriminatorLearningRate
        self.r1Gamma = r1Gamma
        self.r1Interval = r1Interval
        self.r1Step = r1Step
        self.adversarialWeight = adversarialWeight
        self.losses = losses
        self.conditionDropProbability = conditionDropProbability
        self.emaDecay = emaDecay
        self.normalization = normalization
    }

    /// DDGAN's discrete schedule with T steps: step k has ᾱ_k = ᾱ(t_{k+1})/ᾱ(t_0) for the T + 1
    /// points t_i = 10⁻³ + (1 − 10⁻³)·i/T (`get_sigma_schedule`; the first point is the data).
    public var schedule: DiscreteVPSchedule {
        let times = (0...steps).map { 1e-3 + (1 - 1e-3) * Double($0) / Double(steps) }
        let alphaBar = times.map { exp(-0.5 * $0 * $0 * (betaMax - betaMin) - $0 * betaMin) }
        return DiscreteVPSchedule(betas: (1...steps).map { 1 - alphaBar[$0] / alphaBar[$0 - 1] })
    }
}

/// Trains EMDM (Zhou et al. 2024, "EMDM: Efficient Motion Diffusion Model for Fast and High-Quality
/// Motion Generation"), a denoising-diffusion GAN (Xiao et al. 2022) over motion: the generator
/// G(x_k, k, z, y) predicts x̂₀ and the sample of the less noisy step is the DDPM posterior
/// q(x_{k−1} | x_k, x̂₀) (DiffuseCore's `DDPMPosterior`); the discriminator D(x_{k−1}, x_k, k, y) tells real
/// forward-process pairs from generated ones.
///
/// - **Losses.** Non-saturating: D minimises softplus(−D(real)) + softplus(D(fake)); G minimises
///   w·softplus(−D(fake)) plus the reconstruction and geometric losses of ``MotionLossWeights``.
/// - **R1** every `r1Interval` steps on real pairs: γ/2·‖∇D‖² estimated without second derivatives
///   as ((D(x + εv) − D(x − εv))/(2ε))² with v ~ N(0, I) — an unbiased estimate of ‖∇D‖² since
///   E[(v·∇D)²] = ‖∇D‖², up to the central difference's O(ε²) error; the tape then differentiates the
///   estimate with respect to D's weights exactly. (DiffuseNN has no double backward.)
/// - **Optimiser** Adam(β₁ 0.5, β₂ 0.9) for both, an EMA of G's weights for sampling.
/// - **Conditioning**: action labels, dropped with probability `conditionDropProbability` so that
///   classifier-free guidance works at sampling time.
///
/// Every random draw comes from `key`: step s folds in s, row i its sample index.
public struct DenoisingGANTrainer {
    public var configuration: DenoisingGANConfiguration
    public var generatorParameters: ParameterSet<Float>
    public var discriminatorParameters: ParameterSet<Float>
    /// The exponential moving average of the generator's weights, used for sampling.
    public var averageParameters: ParameterSet<Float>
    var generatorOptimizer: Adam<Float>
    var discriminatorOptimizer: Adam<Float>
    var generatorState: Adam<Float>.State
    var discriminatorState: Adam<Float>.State
    public private(set) var step = 0
    let key: RandomKey

    /// Losses of one training step.
    public struct StepLosses: Sendable {
        public var discriminator: Double
        public var generatorAdversarial: Double
        public var generatorReconstruction: Double
        public var r1: Double?
    }

    public init(configuration: DenoisingGANConfiguration, key: RandomKey) {
        self.configuration = configuration
        self.key = key
        generatorParameters = configuration.generator.makeParameters(as: Float.self, key: key.folding(in: 0))
        discriminatorParameters = configuration.discriminator.makeParameters(as: Float.self, key: key.folding(in: 1))
        averageParameters = generatorParameters
        generatorOptimizer = Adam<Float>(beta1: 0.5, beta2: 0.9)
        discriminatorOptimizer = Adam<Float>(beta1: 0.5, beta2: 0.9)
        generatorState = generatorOptimizer.makeState(for: generatorParameters)
        discriminatorState = discriminatorOptimizer.makeState(for: discriminatorParameters)
    }

    // MARK: Pairs

    /// A real pair per row: x_{k−1} ~ q(x_{k−1} | x₀) (x₀ itself for k = 0) and x_k from one forward step.
    public static func realPairs<S: TensorScalar>(_ x0: Tensor<S>, steps k: [Int], schedule: DiscreteVPSchedule, key: RandomKey) -> (lessNoisy: Tensor<S>, noisier: Tensor<S>) {
        let b = x0.shape[0]
        let abar = schedule.alphasCumulativeProduct
        let e1 = Tensor<S>.randomNormal(shape: x0.shape, key: key.folding(in: 0))
        let e2 = Tensor<S>.randomNormal(shape: x0.shape, key: key.folding(in: 1))
        func column(_ f: (Int) -> Double) -> Tensor<S> { Tensor(shape: [b] + Array(repeating: 1, count: x0.rank - 1), scalars: k.map { S(f($0)) }) }
        let lessNoisy = x0 * column { $0 == 0 ? 1 : abar[$0 - 1].squareRoot() } + e1 * column { $0 == 0 ? 0 : (1 - abar[$0 - 1]).squareRoot() }
        let noisier = lessNoisy * column { (1 - schedule.betas[$0]).squareRoot() } + e2 * column { schedule.betas[$0].squareRoot() }
        return (lessNoisy, noisier)
    }

    /// The posterior draw x_{k−1} ~ q(x_{k−1} | x_k, x̂₀) per row (the mean, x̂₀, at k = 0), differentiable in x̂₀.
    public static func posteriorDraw<S: TensorScalar>(_ denoised: Variable<S>, noisier: Tensor<S>, steps k: [Int], schedule: DiscreteVPSchedule, key: RandomKey) -> Variable<S> {
        let b = noisier.shape[0]
        let posteriors = k.map { DDPMPosterior(from: schedule.point(at: Double($0)), to: $0 == 0 ? TimePoint(time: -1, alpha: 1, sigma: 0) : schedule.point(at: Double($0 - 1))) }
        func column(_ f: (DDPMPosterior) -> Double) -> Tensor<S> { Tensor(shape: [b] + Array(repeating: 1, count: noisier.rank - 1), scalars: posteriors.map { S(f($0)) }) }
        let noise = Tensor<S>.randomNormal(shape: noisier.shape, key: key)
        return denoised * column(\.denoisedCoefficient) + (noisier * column(\.stateCoefficient) + noise * column { $0.variance.squareRoot() })
    }

    /// Labels with some replaced by nil (the "no condition" token), one draw per row.
    public static func dropLabels(_ labels: [Int], probability: Double, key: RandomKey) -> [Int?] {
        labels.enumerated().map { i, l in
            var r = RandomStream(key: key.folding(in: i))
            return r.uniformDouble() < probability ? nil : l
        }
    }

    /// One step index per row, uniform in 0..<steps, row i from `key` and i.
    static func steps(count: Int, below steps: Int, key: RandomKey) -> [Int] {
        (0..<count).map { i in
            var r = RandomStream(key: key.folding(in: i))
            return r.integer(below: steps)
        }
    }

    static func latents<S: TensorScalar>(count: Int, size: Int, key: RandomKey) -> Tensor<S>? {
        size > 0 ? Tensor<S>.randomNormal(shape: [count, size], key: key) : nil
    }

    /// The discriminator's non-saturating loss: mean softplus(−D(real)) + mean softplus(D(fake)).
    public static func discriminatorLoss<S: TensorScalar>(real: Variable<S>, fake: Variable<S>) -> Variable<S> {
        (-real).softplus().mean() + fake.softplus().mean()
    }

    /// The generator's non-saturating adversarial loss: mean softplus(−D(fake)).
    public static func generatorAdversarialLoss<S: TensorScalar>(fake: Variable<S>) -> Variable<S> {
        (-fake).softplus().mean()
    }

    // MARK: R1

    /// The directional finite-difference estimate of ‖∇ₓD‖² per row: ((D(x + εv) − D(x − εv))/(2ε))²,
    /// v ~ N(0, I) from `key`. Unbiased for ‖∇ₓD‖² up to O(ε²), and differentiable in D's weights.
    /// `d` maps B rows to B logits and is evaluated once, on the 2B rows [x + εv; x − εv].
    public static func r1Estimate<S: TensorScalar>(_ d: (Variable<S>) -> Variable<S>, at x: Tensor<S>, step epsilon: Double, key: RandomKey) -> Variable<S> {
        let b = x.shape[0]
        let v = Tensor<S>.randomNormal(shape: x.shape, key: key)
        let shift = v * S(epsilon)
        let both = d(Variable(Tensor.concatenate([x + shift, x - shift], alongAxis: 0)))
        let difference = (both.slice(axis: 0, 0..<b) - both.slice(axis: 0, b..<(2 * b))) / S(2 * epsilon)
        return difference.squared()
    }

    // MARK: Training

    /// One discriminator step and one generator step on batches from `data`.
    @discardableResult
    public mutating func trainStep(_ data: MotionWindows) throws -> StepLosses {
        let c = configuration
        let schedule = c.schedule
        let stepKey = key.folding(in: 2).folding(in: step)
        let b = c.batchSize
        let discriminator = c.discriminator, generator = c.generator

        // Discriminator.
        let (x0, labels) = data.batch(size: b, key: stepKey.folding(in: 0))
        let k = Self.steps(count: b, below: c.steps, key: stepKey.folding(in: 1))
        let (realLess, realMore) = Self.realPairs(x0, steps: k, schedule: schedule, key: stepKey.folding(in: 2))
        let times = k.map(Double.init)
        let z: Tensor<Float>? = Self.latents(count: b, size: generator.latentSize, key: stepKey.folding(in: 3))
        let dropped = Self.dropLabels(labels, probability: c.conditionDropProbability, key: stepKey.folding(in: 4))
        let fakeDenoised = generator(Variable(realMore), timesteps: times, actions: dropped, latent: z.map { Variable($0) }, generatorParameters.constants)
        let fakeLess = Self.posteriorDraw(fakeDenoised, noisier: realMore, steps: k, schedule: schedule, key: stepKey.folding(in: 5)).value

        // D sees the real and the fake pairs as one batch of 2B rows (one product per layer; its rows are independent).
        var r1: Double? = nil
        var (dLossValue, dGradients) = discriminatorParameters.valueAndGradients { dp in
            func discriminate(_ less: Tensor<Float>, copies: Int) -> Variable<Float> {
                discriminator(lessNoisy: Variable(less), noisier: Variable(Tensor.concatenate(Array(repeating: realMore, count: copies), alongAxis: 0)),
                              timesteps: Array([[Double]](repeating: times, count: copies).joined()), actions: Array([[Int]](repeating: labels, count: copies).joined()), dp)
            }
            let logits = discriminate(Tensor.concatenate([realLess, fakeLess], alongAxis: 0), copies: 2)
            let dLoss = Self.discriminatorLoss(real: logits.slice(axis: 0, 0..<b), fake: logits.slice(axis: 0, b..<(2 * b)))
            guard c.r1Interval > 0, step % c.r1Interval == 0, c.r1Gamma > 0 else { return dLoss }
            let penalty = Self.r1Estimate({ discriminate($0.value, copies: 2) }, at: realLess, step: c.r1Step, key: stepKey.folding(in: 6)).mean()
            r1 = Double(penalty.value.scalar)
            return dLoss + penalty * Float(c.r1Gamma / 2)
        }
        try TrainingError.check(loss: dLossValue, gradients: dGradients, step: step)
        dGradients.clipByGlobalNorm(10)
        discriminatorOptimizer.update(&discriminatorParameters, gradients: dGradients, state: &discriminatorState, learningRate: c.discriminatorLearningRate)

        // Generator.
        let (g0, gLabels) = data.batch(size: b, key: stepKey.folding(in: 7))
        let gk = Self.steps(count: b, below: c.steps, key: stepKey.folding(in: 8))
        let (_, gMore) = Self.realPairs(g0, steps: gk, schedule: schedule, key: stepKey.folding(in: 9))
        let gTimes = gk.map(Double.init)
        let gz: Tensor<Float>? = Self.latents(count: b, size: generator.latentSize, key: stepKey.folding(in: 10))
        let gDropped = Self.dropLabels(gLabels, probability: c.conditionDropProbability, key: stepKey.folding(in: 11))
        var adversarialValue: Float = 0, reconstructionValue: Float = 0
        var (gLossValue, gGradients) = generatorParameters.valueAndGradients { gp in
            let denoised = generator(Variable(gMore), timesteps: gTimes, actions: gDropped, latent: gz.map { Variable($0) }, gp)
            let less = Self.posteriorDraw(denoised, noisier: gMore, steps: gk, schedule: schedule, key: stepKey.folding(in: 12))
            let adversarial = Self.generatorAdversarialLoss(fake: discriminator(lessNoisy: less, noisier: Variable(gMore), timesteps: gTimes, actions: gLabels,
                                                                             discriminatorParameters.constants))
            let reconstruction = c.losses.loss(denoised, g0, normalization: c.normalization)
            adversarialValue = adversarial.value.scalar
            reconstructionValue = reconstruction.value.scalar
            return adversarial * Float(c.adversarialWeight) + reconstruction
        }
        try TrainingError.check(loss: gLossValue, gradients: gGradients, step: step)
        gGradients.clipByGlobalNorm(1)
        generatorOptimizer.update(&generatorParameters, gradients: gGradients, state: &generatorState, learningRate: c.generatorLearningRate)
        ExponentialMovingAverage(decay: c.emaDecay, warmup: true).update(&averageParameters, toward: generatorParameters, step: step)
        step += 1
        return StepLosses(discriminator: Double(dLossValue), generatorAdversarial: Double(adversarialValue),
                          generatorReconstruction: Double(reconstructionValue), r1: r1)
    }
}
