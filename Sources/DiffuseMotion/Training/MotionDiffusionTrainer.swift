import DiffuseCore
import DiffuseNN
import DiffuseTensor
import Foundation

/// The configuration of the many-step baseline: MDM's recipe on the same generator network.
public struct MotionDiffusionConfiguration: Codable, Equatable, Sendable {
    /// The denoiser (``MotionTransformer`` with `latentSize` 0).
    public var network: MotionTransformer
    /// Training timesteps of the discrete VP schedule (MDM: 1000, cosine).
    public var trainingTimesteps: Int
    public var batchSize: Int
    public var trainingSteps: Int
    public var learningRate: Double
    public var losses: MotionLossWeights
    public var conditionDropProbability: Double
    public var emaDecay: Double
    public var normalization: FeatureNormalization

    public init(network: MotionTransformer, trainingTimesteps: Int = 1000, batchSize: Int = 32, trainingSteps: Int = 2000,
                learningRate: Double = 2e-4, losses: MotionLossWeights = MotionLossWeights(), conditionDropProbability: Double = 0.1,
                emaDecay: Double = 0.999, normalization: FeatureNormalization) {
        self.network = network
        self.trainingTimesteps = trainingTimesteps
        self.batchSize = batchSize
        self.trainingSteps = trainingSteps
        self.learningRate = learningRate
        self.losses = losses
        self.conditionDropProbability = conditionDropProbability
        self.emaDecay = emaDecay
        self.normalization = normalization
    }

    /// MDM's schedule: the squared-cosine betas over `trainingTimesteps` steps.
    public var schedule: DiscreteVPSchedule { DiscreteVPSchedule(trainingSteps: trainingTimesteps, betaSchedule: .squaredCosine) }
}

/// Trains the MDM-style baseline (Tevet et al. 2023, "Human Motion Diffusion Model"): x̂₀
/// prediction by the same ``MotionTransformer`` as EMDM's generator (without the latent token),
/// timesteps uniform over the discrete cosine schedule, the reconstruction and geometric losses of
/// ``MotionLossWeights``, action labels dropped for classifier-free guidance, Adam and an EMA of the
/// weights. Sampled through ``MotionDenoiserModel`` by any DiffuseCore sampler.
public struct MotionDiffusionTrainer {
    public var configuration: MotionDiffusionConfiguration
    public var parameters: ParameterSet<Float>
    public var averageParameters: ParameterSet<Float>
    var optimizer = Adam<Float>()
    var state: Adam<Float>.State
    public private(set) var step = 0
    let key: RandomKey

    public init(configuration: MotionDiffusionConfiguration, key: RandomKey) {
        self.configuration = configuration
        self.key = key
        parameters = configuration.network.makeParameters(as: Float.self, key: key.folding(in: 0))
        averageParameters = parameters
        state = optimizer.makeState(for: parameters)
    }

    /// One optimiser step; returns the loss.
    @discardableResult
    public mutating func trainStep(_ data: MotionWindows) throws -> Double {
        let c = configuration
        let stepKey = key.folding(in: 2).folding(in: step)
        let (x0, labels) = data.batch(size: c.batchSize, key: stepKey.folding(in: 0))
        let objective = DenoisingObjective(schedule: c.schedule, prediction: .data, timeSampling: .uniformSteps)
        let example = objective.example(for: x0, key: stepKey.folding(in: 1))
        let dropped = DenoisingGANTrainer.dropLabels(labels, probability: c.conditionDropProbability, key: stepKey.folding(in: 2))
        var (loss, gradients) = parameters.valueAndGradients { p in
            c.losses.loss(c.network(Variable(example.noisy), timesteps: example.times, actions: dropped, latent: nil, p), x0, normalization: c.normalization)
        }
        try TrainingError.check(loss: loss, gradients: gradients, step: step)
        gradients.clipByGlobalNorm(1)
        optimizer.update(&parameters, gradients: gradients, state: &state, learningRate: c.learningRate)
        ExponentialMovingAverage(decay: c.emaDecay, warmup: true).update(&averageParameters, toward: parameters, step: step)
        step += 1
        return Double(loss)
    }
}
