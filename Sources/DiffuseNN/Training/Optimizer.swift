import DiffuseTensor

/// A gradient-based update rule with explicit state (as optax's gradient transformations):
/// the optimizer value holds only hyper-parameters; the moment estimates live in a `State`
/// that `update` takes and returns, so one optimizer value can serve any number of models.
public protocol Optimizer: Codable, Sendable {
    associatedtype Scalar: TensorScalar
    associatedtype State

    /// The initial state for a parameter set.
    func makeState(for parameters: ParameterSet<Scalar>) -> State

    /// One step: updates `parameters` in place from `gradients`, advancing `state`.
    /// - Parameters:
    ///   - parameters: the parameters to update.
    ///   - gradients: the gradients of the loss with respect to `parameters`, under the same names.
    ///   - state: the optimizer state, from ``makeState(for:)`` or the previous step.
    ///   - learningRate: the step size for this step (from a schedule).
    func update(_ parameters: inout ParameterSet<Scalar>, gradients: ParameterSet<Scalar>, state: inout State, learningRate: Double)
}
