import DiffuseTensor
import Foundation

/// An energy E(x̂₀) whose gradient steers sampling toward observations, with its gradient.
public protocol GuidanceEnergy<Value>: Sendable {
    associatedtype Value: VectorSpace
    /// E per sample.
    func energy(_ denoised: Value) -> [Double]
    /// ∂E/∂x̂₀.
    func gradient(_ denoised: Value) -> Value
}

/// Energies on observed entries of a tensor: Σ_observed ℓ(x̂₀ − y).
///
/// - `.squared`: ℓ = e² (TSDiff-MS: summed, no ½, no σ);
/// - `.quantile(levels:)`: ℓ = max(q·e, (q − 1)·e) with e = y − x̂₀ and q per sample (TSDiff-Q gives
///   sample k of N the level (k + 1)/(N + 1));
/// - `.norm`: E = ‖mask ⊙ (y − x̂₀)‖ per sample, not squared (DPS, Chung et al. 2023).
public struct ObservationEnergy<S: TensorScalar>: GuidanceEnergy {
    public enum Loss: Sendable {
        case squared
        case quantile(levels: [Double])
        case norm
    }

    public let observed: Tensor<S>
    public let mask: Tensor<S>
    public let loss: Loss

    /// Observations `y` and a 0/1 mask of the same shape as the state (or broadcastable to it).
    public init(observed: Tensor<S>, mask: Tensor<S>, loss: Loss) {
        self.observed = observed
        self.mask = mask
        self.loss = loss
    }

    private func levelTensor(_ levels: [Double], like x: Tensor<S>) -> Tensor<S> {
        precondition(levels.count == x.shape[0], "one quantile level per sample: \(levels.count) levels for \(x.shape[0]) samples")
        var shape = [Int](repeating: 1, count: x.rank)
        shape[0] = levels.count
        return Tensor(shape: shape, scalars: levels.map { S($0) })
    }

    public func energy(_ denoised: Tensor<S>) -> [Double] {
        let e = (observed - denoised) * mask
        switch loss {
        case .squared: return e.sampleDots(e)
        case .norm: return e.sampleDots(e).map { $0.squareRoot() }
        case .quantile(let levels):
            let q = levelTensor(levels, like: denoised)
            let pinball = (e * q).maximum(e * (q - 1)) * mask
            return pinball.reshaped([denoised.shape[0], -1]).sum(alongAxis: 1).scalars.map(Double.init)
        }
    }

    public func gradient(_ denoised: Tensor<S>) -> Tensor<S> {
        let e = (observed - denoised) * mask
        switch loss {
        case .squared:
            return e * -2
        case .norm:
            let norms = e.sampleDots(e).map { 1 / Swift.max($0.squareRoot(), 1e-12) }
            return e.scaledPerSample(by: norms) * -1
        case .quantile(let levels):
            // ∂/∂x̂₀ max(q·e, (q−1)·e) = −q where e > 0, 1 − q where e < 0 (e = 0 taken as e > 0).
            let q = levelTensor(levels, like: denoised)
            let positive = e.isGreaterOrEqual(to: Tensor(0))
            return (positive * (q * -1) + (1 - positive) * (1 - q)) * mask
        }
    }
}
