import DiffuseTensor
import Foundation

/// A learning rate as a function of the step (0-based).
public enum LearningRateSchedule: Codable, Hashable, Sendable {
    /// The same rate at every step.
    case constant(Double)
    /// A linear ramp from 0 to `rate` over `warmupSteps`, then constant.
    case linearWarmup(rate: Double, warmupSteps: Int)
    /// A linear warm-up, then a half-cosine decay from `rate` to `minimum` at `totalSteps`
    /// (Loshchilov & Hutter 2017, without restarts).
    case cosine(rate: Double, totalSteps: Int, warmupSteps: Int = 0, minimum: Double = 0)

    /// The rate at `step`.
    public func rate(at step: Int) -> Double {
        switch self {
        case .constant(let r):
            return r
        case .linearWarmup(let r, let w):
            return w > 0 && step < w ? r * Double(step + 1) / Double(w) : r
        case .cosine(let r, let total, let w, let minimum):
            if w > 0 && step < w { return r * Double(step + 1) / Double(w) }
            let progress = min(1, Double(step - w) / Double(max(total - w, 1)))
            return minimum + 0.5 * (r - minimum) * (1 + Foundation.cos(Double.pi * progress))
        }
    }
}

extension ParameterSet {
    /// Scales all tensors together so that their global Euclidean norm is at most `maxNorm`, as
    /// PyTorch's `clip_grad_norm_` does (factor maxNorm/(norm + 1e-6) when it is below 1).
    /// Returns the norm before clipping.
    @discardableResult
    public mutating func clipByGlobalNorm(_ maxNorm: Scalar) -> Scalar {
        let norm = globalNorm()
        let factor = maxNorm / (norm + 1e-6)
        if factor < 1 {
            for name in names { modify(name) { $0 *= factor } }
        }
        return norm
    }
}

/// An exponential moving average of parameters, θ̄ ← d·θ̄ + (1 − d)·θ, as used for the
/// sampling weights of diffusion models (Song & Ermon 2020; Ho et al. 2020). With `warmup`,
/// the decay at update t is min(d, (1 + t)/(10 + t)).
public struct ExponentialMovingAverage: Codable, Hashable, Sendable {
    public var decay: Double
    public var warmup: Bool

    public init(decay: Double = 0.999, warmup: Bool = false) {
        precondition(decay >= 0 && decay <= 1, "EMA decay must be in [0, 1]")
        self.decay = decay
        self.warmup = warmup
    }

    /// The decay used at update number `step` (0-based).
    public func decay(at step: Int) -> Double {
        warmup ? min(decay, Double(1 + step) / Double(10 + step)) : decay
    }

    /// Moves `average` towards `parameters`.
    public func update<S: TensorScalar>(_ average: inout ParameterSet<S>, toward parameters: ParameterSet<S>, step: Int) {
        let d = S(decay(at: step))
        for name in parameters.names {
            guard let current = average[name] else { average[name] = parameters[name]; continue }
            average[name] = current.scaled(by: d, adding: parameters[name]!, scaledBy: 1 - d)
        }
    }
}

/// A training run could not start from the parameters it was given, or stopped because a value
/// stopped being finite.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    /// The initial parameters do not fit the model (``ParameterSet/firstMismatch(against:)``'s
    /// description of the first difference).
    case incompatibleParameters(String)
    /// The loss at `step` was NaN or infinite.
    case nonFiniteLoss(step: Int, value: Double)
    /// The gradient of `parameter` at `step` contained NaN or infinity.
    case nonFiniteGradient(step: Int, parameter: String)

    public var description: String {
        switch self {
        case let .incompatibleParameters(mismatch):
            return "training cannot start from these parameters: \(mismatch)"
        case let .nonFiniteLoss(step, value):
            return "training stopped at step \(step): the loss is \(value); lower the learning rate or check the data for NaN/Inf"
        case let .nonFiniteGradient(step, parameter):
            return "training stopped at step \(step): the gradient of '\(parameter)' contains NaN or infinity"
        }
    }

    /// Throws if the loss or any gradient is not finite.
    public static func check<S: TensorScalar>(loss: S, gradients: ParameterSet<S>, step: Int) throws {
        guard loss.isFinite else { throw TrainingError.nonFiniteLoss(step: step, value: Double(loss)) }
        if let name = gradients.firstNonFiniteName() { throw TrainingError.nonFiniteGradient(step: step, parameter: name) }
    }
}
