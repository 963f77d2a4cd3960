import DiffuseTensor

/// A tensor that takes part in automatic differentiation.
///
/// A variable is either *watched* (created by ``Tape/watch(_:)``, or computed from a watched
/// variable, and then recorded on that tape) or *constant* (``init(_:)``, with no tape). Layers
/// are written once against variables; called with constants they only compute values, which is
/// the evaluation path without tape overhead.
public struct Variable<Scalar: TensorScalar> {
    /// The value.
    public let value: Tensor<Scalar>
    /// The tape that records operations on this variable. Weak: pullbacks stored on the tape
    /// capture variables, and a strong reference would make every tape a reference cycle that
    /// keeps all activations alive. Keep the tape alive while you use its variables.
    weak var tape: Tape<Scalar>?
    let node: Int

    init(value: Tensor<Scalar>, tape: Tape<Scalar>?, node: Int) {
        self.value = value
        self.tape = tape
        self.node = node
    }

    /// A constant (no gradient flows into it).
    public init(_ value: Tensor<Scalar>) {
        self.init(value: value, tape: nil, node: -1)
    }

    /// Whether gradients flow through this variable.
    public var requiresGradient: Bool { node >= 0 }

    /// The shape of the value.
    public var shape: [Int] { value.shape }
    /// The rank of the value.
    public var rank: Int { value.rank }

    /// A constant with the same value (stops gradients).
    public func detached() -> Variable { Variable(value) }

    /// Records an operation with output `value` computed from `inputs`. When no input requires
    /// a gradient, nothing is recorded and the pullback is never built.
    public static func record(_ value: Tensor<Scalar>, inputs: [Variable], pullback: @escaping Tape<Scalar>.Pullback) -> Variable {
        var tape: Tape<Scalar>? = nil
        for v in inputs where v.node >= 0 {
            if let t = tape {
                precondition(t === v.tape, "variables from different tapes cannot be combined")
            } else {
                tape = v.tape
            }
        }
        guard let tape else {
            precondition(!inputs.contains { $0.node >= 0 }, "a watched variable outlived its tape; keep the Tape alive during the forward pass")
            return Variable(value)
        }
        return tape.record(value: value, inputs: inputs.map { $0.node }, pullback: pullback)
    }
}
