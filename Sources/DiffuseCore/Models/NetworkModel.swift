import DiffuseNN
import DiffuseTensor

/// A network as a prediction model: `network(x, point)` returns the raw output of the given
/// ``PredictionType`` as a ``Variable``, so the same closure serves sampling (evaluated on
/// constants, no tape) and gradient guidance (evaluated on a tape with x watched, its parameters
/// captured as constants).
///
/// For `.denoiser` networks the input is x/α, as EDM preconditioning expects.
public struct NetworkModel<S: TensorScalar>: DifferentiablePredictionModel {
    public let type: PredictionType
    public let schedule: any NoiseSchedule
    public let network: (Variable<S>, TimePoint) -> Variable<S>

    public init(type: PredictionType, schedule: any NoiseSchedule, network: @escaping (Variable<S>, TimePoint) -> Variable<S>) {
        self.type = type
        self.schedule = schedule
        self.network = network
    }

    /// Coefficients (a, b) with x̂₀ = a·x + b·output, and (c, d) with ε̂ = c·x + d·output.
    private func coefficients(at point: TimePoint) -> (Double, Double, Double, Double) {
        let a = point.alpha, s = point.sigma
        switch type {
        case .noise: return (1 / a, -s / a, 0, 1)
        case .data, .denoiser: return (0, 1, s > 0 ? 1 / s : 0, s > 0 ? -a / s : 0)
        case .velocity:
            let n = a * a + s * s
            return (a / n, -s / n, s / n, a / n)
        case .score: return (1 / a, s * s / a, 0, -s)
        case .flowVelocity:
            let da = schedule.alphaDerivative(at: point.time), ds = schedule.sigmaDerivative(at: point.time)
            let det = a * ds - s * da
            return (ds / det, -s / det, -da / det, a / det)
        }
    }

    private func input(_ x: Variable<S>, _ point: TimePoint) -> Variable<S> {
        type == .denoiser ? x * S(1 / point.alpha) : x
    }

    public func predict(_ x: Tensor<S>, at point: TimePoint, state: inout Void) -> Prediction<Tensor<S>> {
        let output = network(input(Variable(x), point), point).value
        let (a, b, c, d) = coefficients(at: point)
        return Prediction(denoised: x.scaled(by: S(a), adding: output, scaledBy: S(b)), noise: x.scaled(by: S(c), adding: output, scaledBy: S(d)))
    }

    public func predictWithGradient(_ x: Tensor<S>, at point: TimePoint, state: inout Void,
                                    cotangent: (Prediction<Tensor<S>>) -> Tensor<S>) -> (prediction: Prediction<Tensor<S>>, gradient: Tensor<S>) {
        let tape = Tape<S>()
        let xv = tape.watch(x)
        let output = network(input(xv, point), point)
        let (a, b, c, d) = coefficients(at: point)
        let denoised = xv * S(a) + output * S(b)
        let prediction = Prediction(denoised: denoised.value, noise: x.scaled(by: S(c), adding: output.value, scaledBy: S(d)))
        let gradient = tape.gradient(of: denoised, seed: cotangent(prediction))[xv]
        return (prediction, gradient)
    }
}
