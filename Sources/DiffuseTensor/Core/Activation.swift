import _DiffuseKernels
import RealModule

/// Pointwise activation functions with their derivatives, each evaluated in one pass.
///
/// The derivative kernels fuse the chain rule: ``Tensor/activationGradient(_:upstream:)``
/// returns `upstream · f′(input)` without temporaries, which is what a backward pass needs.
public enum Activation: Codable, Hashable, Sendable {
    case identity
    /// max(x, 0).
    case relu
    /// x for x > 0, slope·x otherwise.
    case leakyReLU(slope: Double)
    /// x·σ(x).
    case silu
    /// ½x(1 + erf(x/√2)) (PyTorch's default GELU).
    case gelu
    /// The tanh approximation of GELU.
    case geluTanh
    /// Scaled ELU (Klambauer et al. 2017).
    case selu
    /// σ(x) = 1/(1 + e^{−x}).
    case sigmoid
    /// tanh x.
    case tanh
    /// log(1 + e^x).
    case softplus
    /// tanh(x)·σ(x): the gated activation of WaveNet-style blocks applied to one tensor (TSDiff's
    /// S4 block gates its output this way).
    case gatedTanh
}

extension Activation {
    /// The elementwise operation computing this activation (nil for the identity).
    var unaryOperation: UnaryOperation? {
        switch self {
        case .identity: return nil
        case .relu: return .relu
        case .leakyReLU(let slope): return .leakyReLU(slope: slope)
        case .silu: return .silu
        case .gelu: return .gelu
        case .geluTanh: return .geluTanh
        case .selu: return .selu
        case .sigmoid: return .sigmoid
        case .tanh: return .tanh
        case .softplus: return .softplus
        case .gatedTanh: return .gatedTanh
        }
    }
}

extension Tensor {
    /// The activation applied elementwise.
    public func activated(_ activation: Activation) -> Tensor {
        activation.unaryOperation.map { Kernels.unary($0, self) } ?? self
    }

    /// The activation and, where one pass of a single-precision kernel computes both, its
    /// derivative f′ elementwise: what a taped forward pass keeps, so that its backward pass is
    /// `upstream * derivative`, equal bit for bit to ``activationGradient(_:upstream:)``. The
    /// derivative is nil for Double tensors, ReLU and activations without a vector kernel.
    public func activatedWithDerivative(_ activation: Activation) -> (value: Tensor, derivative: Tensor?) {
        guard ScalarKind.of(Scalar.self) == .float, count > 0, activation != .relu, let kernel = activation.unaryOperation?.vectorKernel else {
            return (activated(activation), nil)
        }
        let x = contiguous()
        var derivative: Tensor? = nil
        let value = Tensor(shape: shape) { out in
            derivative = Tensor(shape: shape) { slopes in
                let px = x.basePointer, po = out.baseAddress!, pd = slopes.baseAddress!
                Parallel.forEachChunk(count: out.count, minimumChunk: 1 << 14) { r in
                    diffuse_activation_forward_and_derivative(kernel, rebound(px + r.lowerBound, to: Float.self), rebound(po + r.lowerBound, to: Float.self),
                                                              rebound(pd + r.lowerBound, to: Float.self), r.count)
                }
            }
        }
        withExtendedLifetime(x) {}
        return (value, derivative)
    }

    /// `upstream · f′(input)` elementwise, for the activation f (shapes must match).
    public func activationGradient(_ activation: Activation, upstream: Tensor) -> Tensor {
        precondition(shape == upstream.shape, "activation gradient: input \(shape) and upstream \(upstream.shape) differ")
        if activation == .identity { return upstream }
        let x = contiguous(), g = upstream.contiguous()
        return Tensor(shape: shape) { out in
            let px = x.basePointer, pg = g.basePointer, po = out.baseAddress!
            Parallel.forEachChunk(count: out.count, minimumChunk: 1 << 14) { r in
                switch ScalarKind.of(Scalar.self) {
                case .float:
                    let x = rebound(px + r.lowerBound, to: Float.self), g = rebound(pg + r.lowerBound, to: Float.self)
                    let y = rebound(po + r.lowerBound, to: Float.self)
                    if let kernel = activation.unaryOperation?.vectorKernel {
                        diffuse_activation_backward(kernel, x, g, y, r.count)   // C, with AVX2 and AVX-512 versions
                    } else {
                        activationDerivativeLoop(activation, x, g, y, r.count)
                    }
                case .double:
                    activationDerivativeLoop(activation, rebound(px + r.lowerBound, to: Double.self), rebound(pg + r.lowerBound, to: Double.self),
                                             rebound(po + r.lowerBound, to: Double.self), r.count)
                }
            }
            withExtendedLifetime((x, g)) {}
        }
    }

    /// The sum of this tensor over the axes along which `shape` was broadcast to this
    /// tensor's shape: the adjoint of broadcasting, used by gradients of broadcast operations.
    public func summed(toShape target: [Int]) -> Tensor {
        if shape == target { return self }
        let extra = rank - target.count
        precondition(extra >= 0, "cannot sum shape \(shape) down to \(target)")
        var axes = Array(0..<extra)
        for i in 0..<target.count where target[i] == 1 && shape[i + extra] != 1 { axes.append(i + extra) }
        let reduced = axes.isEmpty ? self : sum(alongAxes: axes, keepingDimensions: true)
        return reduced.reshaped(target)
    }
}

@inline(__always)
private func activationDerivativeLoop<T: TensorScalar>(_ a: Activation, _ x: UnsafeMutablePointer<T>, _ g: UnsafeMutablePointer<T>,
                                                       _ y: UnsafeMutablePointer<T>, _ n: Int) {
    switch a {
    case .identity: for i in 0..<n { y[i] = g[i] }
    case .relu: for i in 0..<n { y[i] = x[i] > 0 ? g[i] : 0 }
    case .leakyReLU(let slope):
        let s = T(slope)
        for i in 0..<n { y[i] = x[i] > 0 ? g[i] : s * g[i] }
    case .silu:
        for i in 0..<n {
            let s = logistic(x[i])
            y[i] = g[i] * s * (1 + x[i] * (1 - s))
        }
    case .gelu:
        let r: T = 1 / T(2).squareRoot()
        let c: T = 1 / (2 * T.pi).squareRoot()
        for i in 0..<n {
            let v = x[i]
            y[i] = g[i] * (0.5 * (1 + T.erf(v * r)) + v * c * T.exp(-0.5 * v * v))
        }
    case .geluTanh:
        let c: T = (2 / T.pi).squareRoot()
        for i in 0..<n {
            let v = x[i]
            let u = c * (v + 0.044715 * v * v * v)
            let t = T.tanh(u)
            let du: T = c * (1 + 0.134145 * v * v)
            let dt: T = (1 - t * t) * du
            let derivative: T = 0.5 * (1 + t) + 0.5 * v * dt
            y[i] = g[i] * derivative
        }
    case .selu:
        let alpha: T = 1.6732632423543772848170429916717
        let scale: T = 1.0507009873554804934193349852946
        for i in 0..<n { y[i] = x[i] > 0 ? scale * g[i] : g[i] * scale * alpha * T.exp(x[i]) }
    case .sigmoid:
        for i in 0..<n {
            let s = logistic(x[i])
            y[i] = g[i] * s * (1 - s)
        }
    case .tanh:
        for i in 0..<n {
            let t = T.tanh(x[i])
            y[i] = g[i] * (1 - t * t)
        }
    case .softplus: for i in 0..<n { y[i] = g[i] * logistic(x[i]) }
    case .gatedTanh:
        for i in 0..<n {
            let t = T.tanh(x[i]), s = logistic(x[i])
            y[i] = g[i] * ((1 - t * t) * s + t * s * (1 - s))
        }
    }
}
