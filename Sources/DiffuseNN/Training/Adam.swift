import _DiffuseKernels
import DiffuseTensor
import Foundation

/// Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019), as PyTorch defines them:
///
///     g ← g + λθ                 (Adam with weight decay λ: L2 added to the gradient)
///     m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²
///     θ ← θ − η · (m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε)
///     AdamW instead decays θ ← θ(1 − ηλ) before the step and adds nothing to g.
///
/// The update of each tensor is one fused pass over θ, g, m and v (no temporaries), which is
/// what PyTorch's `fused=True` Adam does.
public struct Adam<Scalar: TensorScalar>: Optimizer, Equatable {
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    public var weightDecay: Double
    /// Decoupled weight decay (AdamW) instead of L2 regularisation.
    public var decoupledWeightDecay: Bool

    public init(beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0, decoupledWeightDecay: Bool = false) {
        precondition((0..<1).contains(beta1) && (0..<1).contains(beta2), "Adam betas must be in [0, 1)")
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
    }

    /// AdamW with PyTorch's default weight decay 0.01.
    public static func adamW(beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0.01) -> Adam {
        Adam(beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay, decoupledWeightDecay: true)
    }

    /// The step count and the first and second moment estimates.
    public struct State: Sendable {
        public var step: Int
        public var firstMoment: ParameterSet<Scalar>
        public var secondMoment: ParameterSet<Scalar>
    }

    public func makeState(for parameters: ParameterSet<Scalar>) -> State {
        State(step: 0, firstMoment: parameters.zerosLike(), secondMoment: parameters.zerosLike())
    }

    public func update(_ parameters: inout ParameterSet<Scalar>, gradients: ParameterSet<Scalar>, state: inout State, learningRate: Double) {
        state.step += 1
        let t = Double(state.step)
        let c1 = 1 / (1 - Foundation.pow(beta1, t))
        let c2 = 1 / (1 - Foundation.pow(beta2, t))
        let coefficients = AdamCoefficients(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                                            biasCorrection1: c1, biasCorrection2: c2, weightDecay: weightDecay,
                                            decoupled: decoupledWeightDecay)
        var m = state.firstMoment, v = state.secondMoment
        state.firstMoment = ParameterSet()
        state.secondMoment = ParameterSet()
        for name in parameters.names {
            guard let g = gradients[name] else { continue }
            parameters.modify(name) { p in
                precondition(p.shape == g.shape, "gradient for '\(name)' has shape \(g.shape), parameter \(p.shape)")
                m.modify(name) { mt in
                    v.modify(name) { vt in
                        p.withUnsafeMutableBufferPointer { pp in
                            mt.withUnsafeMutableBufferPointer { mp in
                                vt.withUnsafeMutableBufferPointer { vp in
                                    g.withUnsafeBufferPointer { gp in
                                        Self.fusedStep(pp.baseAddress!, gp.baseAddress!, mp.baseAddress!, vp.baseAddress!, pp.count, coefficients)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        state.firstMoment = m
        state.secondMoment = v
    }
}

extension Adam {
    /// One fused pass over a tensor's parameters, gradient and moments, in parallel chunks.
    static func fusedStep(_ p: UnsafeMutablePointer<Scalar>, _ g: UnsafePointer<Scalar>, _ m: UnsafeMutablePointer<Scalar>,
                          _ v: UnsafeMutablePointer<Scalar>, _ n: Int, _ c: AdamCoefficients) {
        Parallel.forEachChunk(count: n, minimumChunk: 1 << 15) { r in
            let o = r.lowerBound
            if Scalar.self == Float.self {
                var k = c.singlePrecisionKernelConstants
                diffuse_adam_step(rebound(p + o, Float.self), rebound(g + o, Float.self), rebound(m + o, Float.self), rebound(v + o, Float.self), r.count, &k)
            } else {
                adamLoop(rebound(p + o, Double.self), rebound(g + o, Double.self), rebound(m + o, Double.self), rebound(v + o, Double.self), r.count, c)
            }
        }
    }
}

struct AdamCoefficients {
    var learningRate, beta1, beta2, epsilon, biasCorrection1, biasCorrection2, weightDecay: Double
    var decoupled: Bool

    /// The constants of `adamLoop` in Float, for the C kernel (`diffuse_adam_step`), which
    /// applies them in the same order.
    var singlePrecisionKernelConstants: diffuse_adam_coefficients {
        let lr = Float(learningRate), b1 = Float(beta1), b2 = Float(beta2)
        return diffuse_adam_coefficients(beta1: b1, one_minus_beta1: 1 - b1, beta2: b2, one_minus_beta2: 1 - b2,
                                         l2: decoupled ? 0 : Float(weightDecay), decay: decoupled ? 1 - Float(learningRate * weightDecay) : 1,
                                         step_size: lr * Float(biasCorrection1), sqrt_bias_correction2: Float(biasCorrection2.squareRoot()),
                                         epsilon: Float(epsilon))
    }
}

@inline(__always)
func rebound<S, T>(_ p: UnsafeMutablePointer<S>, _: T.Type) -> UnsafeMutablePointer<T> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: T.self)
}

@inline(__always)
func rebound<S, T>(_ p: UnsafePointer<S>, _: T.Type) -> UnsafePointer<T> {
    UnsafeRawPointer(p).assumingMemoryBound(to: T.self)
}

@inline(__always)
func adamLoop<T: TensorScalar>(_ p: UnsafeMutablePointer<T>, _ g: UnsafePointer<T>, _ m: UnsafeMutablePointer<T>,
                                       _ v: UnsafeMutablePointer<T>, _ n: Int, _ c: AdamCoefficients) {
    let lr = T(c.learningRate), b1 = T(c.beta1), b2 = T(c.beta2), eps = T(c.epsilon)
    let a1 = 1 - b1, a2 = 1 - b2
    let c1 = T(c.biasCorrection1), sqrtC2 = T(c.biasCorrection2.squareRoot())
    let l2: T = c.decoupled ? 0 : T(c.weightDecay)
    let decay: T = c.decoupled ? 1 - T(c.learningRate * c.weightDecay) : 1
    let stepSize = lr * c1
    for i in 0..<n {
        let grad = g[i] + l2 * p[i]
        let mi = b1 * m[i] + a1 * grad
        let vi = b2 * v[i] + a2 * grad * grad
        m[i] = mi
        v[i] = vi
        p[i] = decay * p[i] - stepSize * mi / (vi.squareRoot() * sqrtC2 + eps)
    }
}
