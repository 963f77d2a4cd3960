import DiffuseTensor

/// Stochastic gradient descent with momentum, as PyTorch defines it:
///
///     g ← g + λθ;  b ← μb + (1 − dampening)g  (b ← g on the first step)
///     θ ← θ − η·(nesterov ? g + μb : b)
public struct SGD<Scalar: TensorScalar>: Optimizer, Equatable {
    public var momentum: Double
    public var dampening: Double
    public var weightDecay: Double
    public var nesterov: Bool

    public init(momentum: Double = 0, dampening: Double = 0, weightDecay: Double = 0, nesterov: Bool = false) {
        precondition(!nesterov || (momentum > 0 && dampening == 0), "Nesterov momentum needs momentum > 0 and no dampening")
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
    }

    /// The step count and the momentum buffers.
    public struct State: Sendable {
        public var step: Int
        public var momentumBuffer: ParameterSet<Scalar>
    }

    public func makeState(for parameters: ParameterSet<Scalar>) -> State {
        State(step: 0, momentumBuffer: parameters.zerosLike())
    }

    public func update(_ parameters: inout ParameterSet<Scalar>, gradients: ParameterSet<Scalar>, state: inout State, learningRate: Double) {
        let first = state.step == 0
        state.step += 1
        for name in parameters.names {
            guard var g = gradients[name] else { continue }
            if weightDecay != 0 { g = g + parameters[name]! * Scalar(weightDecay) }
            var direction = g
            if momentum != 0 {
                var buffer = state.momentumBuffer[name]!
                buffer = first ? g : buffer.scaled(by: Scalar(momentum), adding: g, scaledBy: Scalar(1 - dampening))
                state.momentumBuffer[name] = buffer
                direction = nesterov ? g.scaled(by: 1, adding: buffer, scaledBy: Scalar(momentum)) : buffer
            }
            parameters.modify(name) { p in p = p.scaled(by: 1, adding: direction, scaledBy: Scalar(-learningRate)) }
        }
    }
}
