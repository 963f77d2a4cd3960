import DiffuseTensor
import Foundation

/// A diagonal structured state-space layer, S4D (Gu, Gupta, Goel & Ré, "On the Parameterization
/// and Initialization of Diagonal State Space Models", NeurIPS 2022), over `[batch, channels,
/// length]`.
///
/// Each channel h runs the continuous system x′ = A x + B u, y = C x + D u with diagonal
/// complex A (N/2 modes; the conjugate half is implicit), discretised by zero-order hold with a
/// learned step Δ: Ā = exp(ΔA), B̄ = (exp(ΔA) − 1)/A·B. The layer is the convolution with the
/// kernel K[l] = 2·Re Σₙ Cₙ B̄ₙ Āₙˡ (computed in closed form by
/// ``vandermondeKernel(coefficientsReal:coefficientsImaginary:nodesReal:nodesImaginary:length:)``)
/// applied by FFT (``circularConvolution(_:kernel:alongAxis:)``), plus the skip D·u, then GELU
/// and a 1×1 output projection, as the S4 block of TSDiff uses it. B is absorbed into C (B = 1).
///
/// Bidirectional layers learn a second kernel applied to the future: the combined kernel of
/// length 2L is [K₀, 0…] + [0…, reverse(K₁)], so y[t] = Σ_{s≤t} K₀[t−s]u[s] + Σ_{s>t} K₁[s−t−1]u[s].
///
/// Parameters: `log_dt` `[H]` ~ U(log Δmin, log Δmax); `log_A_real` `[H, N/2]` = log ½;
/// `A_imag` `[H, N/2]` by the initialisation (S4D-Inv: (N/π)(N/(2n+1) − 1), an approximation of
/// the LegS diagonal; S4D-Lin: πn); `C` `[directions, H, N/2, 2]` complex standard normal
/// (each part variance ½); `D` `[H]` standard normal; and the output projection
/// `output_linear.weight` `[H, H, 1]`, `output_linear.bias` `[H]` (PyTorch Conv1d defaults).
///
/// Limitations: the reference TSDiff code uses the NPLR (LegS) parameterisation of S4; this
/// layer is its diagonal counterpart, which the S4D paper reports to perform comparably.
public struct S4D: UnaryLayer, Equatable {
    /// How the imaginary parts of A are initialised.
    public enum Initialization: String, Codable, Sendable {
        /// Aₙ = −½ + i·(N/π)(N/(2n+1) − 1) (S4D-Inv).
        case inverse
        /// Aₙ = −½ + i·πn (S4D-Lin).
        case linear
    }

    public var name: String
    public var channels: Int
    public var stateSize: Int
    public var bidirectional: Bool
    public var minimumStep: Double
    public var maximumStep: Double
    public var initialization: Initialization
    public var outputProjection: Convolution1D

    public init(name: String, channels: Int, stateSize: Int = 64, bidirectional: Bool = false,
                minimumStep: Double = 0.001, maximumStep: Double = 0.1, initialization: Initialization = .inverse) {
        precondition(stateSize >= 2 && stateSize % 2 == 0, "S4D state size must be even and ≥ 2")
        self.name = name
        self.channels = channels
        self.stateSize = stateSize
        self.bidirectional = bidirectional
        self.minimumStep = minimumStep
        self.maximumStep = maximumStep
        self.initialization = initialization
        self.outputProjection = Convolution1D(name: joinName(name, "output_linear"), inputChannels: channels, outputChannels: channels, kernelSize: 1)
    }

    var modes: Int { stateSize / 2 }
    var directions: Int { bidirectional ? 2 : 1 }

    public func initialize<S: TensorScalar>(_ parameters: inout ParameterSet<S>, key: RandomKey) {
        let h = channels, m = modes
        let logDt = Tensor<S>.randomUniform(shape: [h], key: key.folding(in: joinName(name, "log_dt")))
            .affine(scale: S(Foundation.log(maximumStep) - Foundation.log(minimumStep)), shift: S(Foundation.log(minimumStep)))
        parameters.insert(logDt, named: joinName(name, "log_dt"))
        parameters.insert(Tensor(shape: [h, m], repeating: S(Foundation.log(0.5))), named: joinName(name, "log_A_real"))
        let imag: [S] = (0..<m).map { n in
            switch initialization {
            case .inverse:
                let nn = Double(stateSize)
                return S(nn / Double.pi * (nn / Double(2 * n + 1) - 1))
            case .linear:
                return S(Double.pi * Double(n))
            }
        }
        parameters.insert(Tensor(shape: [1, m], scalars: imag).broadcast(to: [h, m]).contiguous(), named: joinName(name, "A_imag"))
        parameters.add(joinName(name, "C"), shape: [directions, h, m, 2], initializer: .normal(standardDeviation: 0.5.squareRoot()), key: key)
        parameters.add(joinName(name, "D"), shape: [h], initializer: .normal(standardDeviation: 1), key: key)
        outputProjection.initialize(&parameters, key: key)
    }

    /// The convolution kernels `[directions, H, length]`.
    public func kernel<S: TensorScalar>(length: Int, _ p: BoundParameters<S>) -> Variable<S> {
        let h = channels
        let dt = p[joinName(name, "log_dt")].exp().reshaped([h, 1])
        let aReal = -p[joinName(name, "log_A_real")].exp()           // [H, M], negative
        let aImag = p[joinName(name, "A_imag")]
        // ΔA and z = exp(ΔA) = e^{Δa}(cos Δb + i sin Δb).
        let dtReal = aReal * dt, dtImag = aImag * dt
        let magnitude = dtReal.exp()
        let zReal = magnitude * dtImag.cos(), zImag = magnitude * dtImag.sin()
        // B̄ = (z − 1)/A  (complex division), then C·B̄.
        let numeratorReal = zReal - 1, numeratorImag = zImag
        let denominator = aReal.squared() + aImag.squared()
        let bReal = (numeratorReal * aReal + numeratorImag * aImag) / denominator
        let bImag = (numeratorImag * aReal - numeratorReal * aImag) / denominator
        let c = p[joinName(name, "C")]                                // [dirs, H, M, 2]
        var kernels: [Variable<S>] = []
        for d in 0..<directions {
            let cd = c.selecting(axis: 0, index: d)
            let cReal = cd.selecting(axis: 2, index: 0), cImag = cd.selecting(axis: 2, index: 1)
            let coefficientReal = cReal * bReal - cImag * bImag
            let coefficientImag = cReal * bImag + cImag * bReal
            kernels.append(vandermondeKernel(coefficientsReal: coefficientReal, coefficientsImaginary: coefficientImag,
                                             nodesReal: zReal, nodesImaginary: zImag, length: length))
        }
        return Variable.stack(kernels, alongAxis: 0)
    }

    /// The layer applied to `u` `[B, L, H]` (channels last): the FFT runs along the time axis in
    /// place and the projections are plain matrix products, with no transposes.
    ///
    /// - Parameter u: the input `[B, L, H]`.
    /// - Parameter p: the bound parameters holding this layer's weights.
    /// - Parameter combinedKernel: the result of ``circularKernel(length:_:)`` for these
    ///   parameters, when the caller keeps it across calls with unchanged parameters (sampling);
    ///   by default it is computed from the parameters (and differentiated, in training).
    /// - Parameter residual: added to the output inside the output projection's matrix product
    ///   (a residual connection without a pass of its own); `[B, L, H]`.
    public func channelsLast<S: TensorScalar>(_ u: Variable<S>, _ p: BoundParameters<S>, combinedKernel: Variable<S>? = nil,
                                              adding residual: Variable<S>? = nil) -> Variable<S> {
        precondition(u.rank == 3 && u.shape[2] == channels, "S4D '\(name)' expects [batch, length, \(channels)], got \(u.shape)")
        let length = u.shape[1]
        let kernel = combinedKernel ?? circularKernel(length: length, p)
        precondition(kernel.shape == [2 * length, channels], "S4D '\(name)': kernel of shape \(kernel.shape) for length \(length)")
        let y = channelsLastCircularConvolution(u, kernel: kernel, skip: p[joinName(name, "D")])
        let w = p[outputProjection.weightName].reshaped([channels, channels])
        return linear(y.gelu(), weight: w, bias: p[outputProjection.biasName], adding: residual)
    }

    /// The circular convolution kernel `[2L, H]` of ``channelsLast(_:_:combinedKernel:adding:)``: the
    /// forward kernel zero-padded to 2L, plus (bidirectional) the backward kernel reversed into the
    /// second half, so one circular convolution of the zero-padded input applies both.
    public func circularKernel<S: TensorScalar>(length: Int, _ p: BoundParameters<S>) -> Variable<S> {
        let k = kernel(length: length, p)
        let forward = k.selecting(axis: 0, index: 0).padded(alongAxis: 1, before: 0, after: length)
        let combined = bidirectional
            ? forward + k.selecting(axis: 0, index: 1).reversed(axis: 1).padded(alongAxis: 1, before: length, after: 0)
            : forward
        return combined.transposed()
    }

    /// The layer applied to `u` `[B, H, L]`.
    public func callAsFunction<S: TensorScalar>(_ u: Variable<S>, _ p: BoundParameters<S>) -> Variable<S> {
        precondition(u.rank == 3 && u.shape[1] == channels, "S4D '\(name)' expects [batch, \(channels), length], got \(u.shape)")
        let length = u.shape[2]
        let k = kernel(length: length, p)
        let forward = k.selecting(axis: 0, index: 0).padded(alongAxis: 1, before: 0, after: length)
        let combined = bidirectional
            ? forward + k.selecting(axis: 0, index: 1).reversed(axis: 1).padded(alongAxis: 1, before: length, after: 0)
            : forward
        var y = circularConvolution(u, kernel: combined)
        y = y + u * p[joinName(name, "D")].reshaped([1, channels, 1])
        return outputProjection(y.gelu(), p)
    }
}
