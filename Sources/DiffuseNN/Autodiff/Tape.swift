import DiffuseTensor

/// A record of tensor operations for reverse-mode automatic differentiation.
///
/// Operations on ``Variable``s that depend on a watched variable append a node to the tape:
/// the indices of their inputs and a hand-written pullback that maps the gradient of the output
/// to the gradients of the inputs. ``gradient(of:seed:)`` walks the nodes in reverse creation order
/// (a valid topological order) and accumulates.
///
/// Why a tape we own instead of Swift's `_Differentiation`: measured on this toolchain, the
/// language feature differentiates element loops at O(n²) cost (288 ms at n = 8k in release),
/// cannot differentiate element assignment, and cannot make generic `FloatingPoint` code
/// differentiable, so every operation needs a hand-written tensor-level derivative anyway. With
/// those in hand a tape is ~200 lines, works for `Float` and `Double` generically, lets a pullback
/// skip gradients nobody asked for (the data input of the first layer), and costs nothing when no
/// variable is watched (evaluation calls the same layer code with constant variables).
///
/// A tape is used from one thread at a time; make one per gradient computation.
public final class Tape<Scalar: TensorScalar> {
    /// The pullback of one operation: given the output gradient and which inputs need a
    /// gradient, return one optional gradient per input (shapes equal to the inputs').
    public typealias Pullback = (_ upstream: Tensor<Scalar>, _ needed: [Bool]) -> [Tensor<Scalar>?]

    struct Node {
        var inputs: [Int]
        var pullback: Pullback?
        var shape: [Int]
    }

    var nodes: [Node] = []

    public init() {}

    /// The number of recorded operations and watched variables.
    public var count: Int { nodes.count }

    /// A variable whose gradient will be computed.
    public func watch(_ value: Tensor<Scalar>) -> Variable<Scalar> {
        nodes.append(Node(inputs: [], pullback: nil, shape: value.shape))
        return Variable(value: value, tape: self, node: nodes.count - 1)
    }

    func record(value: Tensor<Scalar>, inputs: [Int], pullback: @escaping Pullback) -> Variable<Scalar> {
        nodes.append(Node(inputs: inputs, pullback: pullback, shape: value.shape))
        return Variable(value: value, tape: self, node: nodes.count - 1)
    }

    /// Gradients of `output` with respect to every watched variable.
    ///
    /// - Parameters:
    ///   - output: the variable to differentiate, recorded on this tape.
    ///   - seed: the gradient of the final objective with respect to `output`
    ///     (default: ones, i.e. the gradient of the sum of `output`'s elements).
    public func gradient(of output: Variable<Scalar>, seed: Tensor<Scalar>? = nil) -> Gradients<Scalar> {
        var grads = [Tensor<Scalar>?](repeating: nil, count: nodes.count)
        guard output.node >= 0 else { return Gradients(storage: grads) }
        precondition(output.tape === self, "gradient(of:) called on a tape that did not record this variable")
        let start = seed ?? Tensor(shape: output.value.shape, repeating: 1)
        precondition(start.shape == output.value.shape, "seed shape \(start.shape) differs from output shape \(output.value.shape)")
        grads[output.node] = start
        // Which nodes lead to the output: only those need gradients.
        var live = [Bool](repeating: false, count: nodes.count)
        live[output.node] = true
        for i in stride(from: output.node, through: 0, by: -1) where live[i] {
            for j in nodes[i].inputs where j >= 0 { live[j] = true }
        }
        for i in stride(from: output.node, through: 0, by: -1) {
            guard let g = grads[i], let pullback = nodes[i].pullback else { continue }
            let inputs = nodes[i].inputs
            let needed = inputs.map { $0 >= 0 && live[$0] }
            if !needed.contains(true) { continue }
            let inputGrads = pullback(g, needed)
            precondition(inputGrads.count == inputs.count, "a pullback returned \(inputGrads.count) gradients for \(inputs.count) inputs")
            for (k, j) in inputs.enumerated() where j >= 0 && needed[k] {
                guard let gj = inputGrads[k] else { continue }
                precondition(gj.shape == nodes[j].shape, "gradient shape \(gj.shape) differs from variable shape \(nodes[j].shape)")
                if var existing = grads[j] {
                    grads[j] = nil
                    existing += gj
                    grads[j] = existing
                } else {
                    grads[j] = gj
                }
            }
            // Intermediate gradients are no longer needed once propagated.
            if !nodes[i].inputs.isEmpty { grads[i] = nil }
        }
        return Gradients(storage: grads)
    }
}

/// Gradients computed by ``Tape/gradient(of:seed:)``, looked up by variable.
public struct Gradients<Scalar: TensorScalar> {
    var storage: [Tensor<Scalar>?]

    /// The gradient for a watched variable: zeros if the output does not depend on it.
    public subscript(variable: Variable<Scalar>) -> Tensor<Scalar> {
        precondition(variable.node >= 0, "gradients exist only for watched variables")
        return storage[variable.node] ?? Tensor(zeros: variable.value.shape)
    }
}
