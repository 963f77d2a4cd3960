import DiffuseTensor
import Foundation

/// A stochastic interpolant x_t = a(t)·x₀ + b(t)·x₁ + γ(t)·z between two distributions ρ₀ (t = 0)
/// and ρ₁ (t = 1), z ~ N(0, I) independent (Albergo, Boffi & Vanden-Eijnden, "Stochastic
/// Interpolants: A Unifying Framework for Flows and Diffusions", 2023).
///
/// Its velocity b(t, x) = E[ȧx₀ + ḃx₁ + γ̇z | x_t = x] and score s(t, x) = −E[z | x_t = x]/γ
/// define, for every ε ≥ 0, the forward SDE dX = (b + εs)dt + √(2ε)dW from ρ₀ with the marginals
/// of x_t (ε = 0 is the probability-flow ODE). Conditional flow matching and rectified flow are
/// the one-sided linear case with a Gaussian ρ₀ and γ = 0.
///
/// Time convention: data ρ₁ at t = 1 here, as in the paper and its code — the opposite of
/// ``NoiseSchedule``s, which put data at t = 0.
public struct StochasticInterpolant: Codable, Hashable, Sendable {
    /// The coefficients (a, b).
    public enum Path: String, Codable, Sendable, CaseIterable {
        /// a = 1 − t, b = t.
        case linear
        /// a = cos(πt/2), b = sin(πt/2).
        case trigonometric
        /// a = cos²(πt)·1[t < ½], b = cos²(πt)·1[t ≥ ½]: encode x₀ into noise, then decode x₁.
        case encoderDecoder
        /// One-sided linear: x₀ is the Gaussian base, a = 1 − t, b = t.
        case oneSidedLinear
        /// One-sided trigonometric: a = cos(πt/2), b = sin(πt/2).
        case oneSidedTrigonometric
    }

    /// The noise coefficient γ(t), zero at both ends.
    public enum Gamma: Codable, Hashable, Sendable {
        case zero
        /// √(a·t(1 − t)) (a = 1: the Brownian bridge).
        case brownian(scale: Double)
        /// t(1 − t).
        case squaredBrownian
        /// sin²(πt).
        case sineSquared
    }

    public var path: Path
    public var gamma: Gamma

    public init(path: Path = .linear, gamma: Gamma = .brownian(scale: 1)) {
        self.path = path
        self.gamma = gamma
    }

    /// a, b, γ and their time derivatives at t ∈ [0, 1].
    public func coefficients(at t: Double) -> (a: Double, b: Double, gamma: Double, aDot: Double, bDot: Double, gammaDot: Double) {
        let pi = Double.pi
        var a = 0.0, b = 0.0, da = 0.0, db = 0.0
        switch path {
        case .linear, .oneSidedLinear:
            (a, b, da, db) = (1 - t, t, -1, 1)
        case .trigonometric, .oneSidedTrigonometric:
            (a, b, da, db) = (Foundation.cos(pi * t / 2), Foundation.sin(pi * t / 2), -pi / 2 * Foundation.sin(pi * t / 2), pi / 2 * Foundation.cos(pi * t / 2))
        case .encoderDecoder:
            let c = Foundation.cos(pi * t), dc2 = -pi * Foundation.sin(2 * pi * t)
            if t < 0.5 { (a, da) = (c * c, dc2) } else { (b, db) = (c * c, dc2) }
        }
        var g = 0.0, dg = 0.0
        switch gamma {
        case .zero: break
        case .brownian(let s):
            g = (s * t * (1 - t)).squareRoot()
            dg = g > 0 ? s * (1 - 2 * t) / (2 * g) : 0
        case .squaredBrownian:
            (g, dg) = (t * (1 - t), 1 - 2 * t)
        case .sineSquared:
            (g, dg) = (Foundation.pow(Foundation.sin(pi * t), 2), pi * Foundation.sin(2 * pi * t))
        }
        return (a, b, g, da, db, dg)
    }

    /// The interpolant's sample x_t and the velocity target ȧx₀ + ḃx₁ + γ̇z for given endpoints and noise.
    public func interpolate<V: VectorSpace>(_ x0: V, _ x1: V, noise z: V, at t: Double) -> (point: V, velocity: V) {
        let c = coefficients(at: t)
        return (V.linearCombination([V.Scalar(c.a), V.Scalar(c.b), V.Scalar(c.gamma)], [x0, x1, z]),
                V.linearCombination([V.Scalar(c.aDot), V.Scalar(c.bDot), V.Scalar(c.gammaDot)], [x0, x1, z]))
    }
}

/// A model of an interpolant's fields: velocity b(t, x) and score s(t, x).
public protocol InterpolantModel<Value> {
    associatedtype Value: VectorSpace
    func fields(_ x: Value, at t: Double) -> (velocity: Value, score: Value)
}

/// Euler–Maruyama for the interpolant SDE dX = (b + ε(t)·s)dt + √(2ε(t))·dW from t₀ to t₁ over the
/// given times (forward, from ρ₀ to ρ₁), with a diffusion coefficient ε(t) ≥ 0 that may vary in
/// time (ε = 0 gives Euler's method for the probability-flow ODE). Step k's noise for sample i
/// comes from `key.folding(in: k).folding(in: 0).folding(in: sampleOffset + i)` (the common
/// context's `noise(like:)`). Strong order ½, weak order 1. A ``SamplingChain``: it runs through the
/// common loop and returns a ``SampleResult``.
public struct InterpolantSDESampler: Sendable {
    public var epsilon: @Sendable (Double) -> Double

    public init(epsilon: @escaping @Sendable (Double) -> Double) {
        self.epsilon = epsilon
    }

    /// A constant ε.
    public init(epsilon: Double) {
        self.init(epsilon: { _ in epsilon })
    }

    struct Chain<M: InterpolantModel>: SamplingChain where M.Value: NoiseSampleable {
        let epsilon: @Sendable (Double) -> Double
        let model: M
        let times: [Double]
        var stepCount: Int { times.count - 1 }
        func times(ofStep index: Int) -> (from: Double, to: Double) { (times[index], times[index + 1]) }
        func step(_ x: M.Value, index k: Int, context: inout SamplingContext<M.Value, Void>, state: inout Void) -> M.Value {
            typealias V = M.Value
            let t = times[k], dt = times[k + 1] - times[k]
            let e = epsilon(t)
            let (b, s) = model.fields(x, at: t)
            context.countEvaluations(1)
            if e == 0 { return V.combine(1, x, dt, b) }
            let z = context.noise(like: x)
            return V.linearCombination([1, V.Scalar(dt), V.Scalar(e * dt), V.Scalar((2 * e * Swift.abs(dt)).squareRoot())], [x, b, s, z])
        }
    }

    public func sample<M: InterpolantModel>(_ model: M, from x: M.Value, times: [Double], key: RandomKey = RandomKey(seed: 0),
                                            sampleOffset: Int = 0, observer: SamplingObserver<M.Value>? = nil) -> SampleResult<M.Value>
        where M.Value: NoiseSampleable {
        precondition(times.count >= 2, "the interpolant SDE needs at least two times")
        return DiffuseCore.sample(Chain(epsilon: epsilon, model: model, times: times), from: x, key: key, sampleOffset: sampleOffset, observer: observer)
    }
}
