import DiffuseTensor

/// Named tensors in a fixed order: a model's weights, their gradients, an optimizer's moment
/// estimates or an exponential moving average — all the same type.
///
/// Layers hold only their configuration and parameter names (`blocks.0.conv.weight`); the
/// numbers live here. That keeps layers `Codable` values, makes a gradient a `ParameterSet` of
/// the same structure, and lets checkpoints map names one-to-one onto safetensors entries.
public struct ParameterSet<Scalar: TensorScalar>: Sendable, Equatable {
    /// The parameter names in insertion order.
    public private(set) var names: [String] = []
    private var tensors: [String: Tensor<Scalar>] = [:]

    public init() {}

    /// A set from `(name, tensor)` pairs, in order (names must be unique).
    public init(_ pairs: [(String, Tensor<Scalar>)]) {
        for (name, tensor) in pairs { insert(tensor, named: name) }
    }

    /// The tensor with this name, if any. Setting replaces (or appends) it.
    public subscript(name: String) -> Tensor<Scalar>? {
        get { tensors[name] }
        set {
            if let v = newValue {
                if tensors[name] == nil { names.append(name) }
                tensors[name] = v
            } else if tensors.removeValue(forKey: name) != nil {
                names.removeAll { $0 == name }
            }
        }
    }

    /// Mutates the tensor named `name` in place (without copying its storage when it is not
    /// shared elsewhere).
    public mutating func modify(_ name: String, _ body: (inout Tensor<Scalar>) throws -> Void) rethrows {
        precondition(tensors[name] != nil, "no parameter named '\(name)'")
        try body(&tensors[name]!)
    }

    /// Adds a tensor under a new name.
    public mutating func insert(_ tensor: Tensor<Scalar>, named name: String) {
        precondition(tensors[name] == nil, "parameter '\(name)' already exists")
        names.append(name)
        tensors[name] = tensor
    }

    /// The number of tensors.
    public var count: Int { names.count }

    /// The total number of scalars over all tensors.
    public var scalarCount: Int { names.reduce(0) { $0 + tensors[$1]!.count } }

    /// `(name, tensor)` pairs in order.
    public var entries: [(name: String, tensor: Tensor<Scalar>)] { names.map { ($0, tensors[$0]!) } }

    /// A set with the same names and `transform` applied to each tensor.
    public func mapValues(_ transform: (String, Tensor<Scalar>) throws -> Tensor<Scalar>) rethrows -> ParameterSet {
        var result = ParameterSet()
        for name in names { result.insert(try transform(name, tensors[name]!), named: name) }
        return result
    }

    /// Zeros with the same names and shapes.
    public func zerosLike() -> ParameterSet { mapValues { Tensor(zeros: $1.shape) } }

    /// The Euclidean norm over all scalars of all tensors.
    public func globalNorm() -> Scalar {
        var s = 0.0
        for name in names { s += Double(tensors[name]!.squared().sum().scalar) }
        return Scalar(s.squareRoot())
    }

    /// Whether every scalar is finite; otherwise the name of the first tensor that is not.
    public func firstNonFiniteName() -> String? {
        names.first { !tensors[$0]!.isFinite }
    }

    /// The first parameter of `expected` that is missing here or has another shape, described
    /// for an error message ("lacks parameter 'w'", "parameter 'w' has shape [2, 3], the model
    /// needs [3, 3]"); nil when every expected parameter is present with its shape. Checks weights
    /// read from a file against the model that will use them.
    public func firstMismatch(against expected: ParameterSet) -> String? {
        for name in expected.names {
            guard let tensor = tensors[name] else { return "lacks parameter '\(name)'" }
            let shape = expected.tensors[name]!.shape
            if tensor.shape != shape { return "parameter '\(name)' has shape \(tensor.shape), the model needs \(shape)" }
        }
        return nil
    }

    /// Adds `other` tensor by tensor (same names required), e.g. to accumulate gradients.
    public static func += (lhs: inout ParameterSet, rhs: ParameterSet) {
        for name in rhs.names {
            guard let existing = lhs.tensors[name] else { preconditionFailure("parameter '\(name)' missing on the left-hand side") }
            var t = existing
            lhs.tensors[name] = nil
            t += rhs.tensors[name]!
            lhs.tensors[name] = t
        }
    }

    /// Every tensor multiplied by a scalar.
    public func scaled(by s: Scalar) -> ParameterSet { mapValues { $1 * s } }

    /// The same parameters converted to another element type.
    public func converted<Other: TensorScalar>(to _: Other.Type) -> ParameterSet<Other> {
        var result = ParameterSet<Other>()
        for name in names { result.insert(Tensor<Other>(tensors[name]!), named: name) }
        return result
    }

    /// Variables for use in a forward pass: watched on `tape` (so their gradients are
    /// computed), or constants when `tape` is nil.
    /// The value of `loss` at these parameters and its gradient with respect to each of them,
    /// from a tape made and released inside. Once this returns nothing else holds the parameters'
    /// storage, so an optimizer's update runs in place; with a tape still alive at the update
    /// (made in the caller's scope), every parameter tensor is copied before it is changed.
    public func valueAndGradients(of loss: (BoundParameters<Scalar>) throws -> Variable<Scalar>) rethrows -> (value: Scalar, gradients: ParameterSet<Scalar>) {
        let tape = Tape<Scalar>()
        let bound = self.bound(to: tape)
        let value = try loss(bound)
        return (value.value.scalar, bound.gradients(tape.gradient(of: value)))
    }

    public func bound(to tape: Tape<Scalar>?) -> BoundParameters<Scalar> {
        var variables: [String: Variable<Scalar>] = [:]
        for name in names { variables[name] = tape?.watch(tensors[name]!) ?? Variable(tensors[name]!) }
        return BoundParameters(tape: tape, names: names, variables: variables)
    }

    /// Constant variables for an evaluation pass without a tape.
    public var constants: BoundParameters<Scalar> { bound(to: nil) }
}

/// Parameters as variables for one forward pass; look them up by name inside layers.
public struct BoundParameters<Scalar: TensorScalar> {
    /// The tape the parameters are watched on (nil for constants).
    public let tape: Tape<Scalar>?
    let names: [String]
    let variables: [String: Variable<Scalar>]

    /// The variable for a parameter name.
    public subscript(name: String) -> Variable<Scalar> {
        guard let v = variables[name] else {
            preconditionFailure("no parameter named '\(name)'; did you initialize the layer into this parameter set? Known: \(names.prefix(8))…")
        }
        return v
    }

    /// Whether a parameter with this name exists.
    public func contains(_ name: String) -> Bool { variables[name] != nil }

    /// The gradients of every parameter, in the parameter set's order.
    public func gradients(_ gradients: Gradients<Scalar>) -> ParameterSet<Scalar> {
        var result = ParameterSet<Scalar>()
        for name in names { result.insert(gradients[variables[name]!], named: name) }
        return result
    }
}
