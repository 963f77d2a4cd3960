import DiffuseTensor

/// A network component: a `Codable` configuration that names its parameters and knows how to
/// initialize them. The parameter values live in a ``ParameterSet``; a forward pass reads them
/// from ``BoundParameters`` by name.
///
/// Conforming types are value types; composition is by stored sub-layers whose names extend the
/// parent's (`blocks.0` → `blocks.0.conv`), giving PyTorch-style parameter names.
public protocol Layer: Codable, Sendable {
    /// Adds this layer's parameters, initialised as PyTorch does by default, to `parameters`.
    /// Each parameter's values depend only on `key` and the parameter's name.
    func initialize<S: TensorScalar>(_ parameters: inout ParameterSet<S>, key: RandomKey)
}

/// A layer mapping one variable to another.
public protocol UnaryLayer: Layer {
    /// The forward pass.
    func callAsFunction<S: TensorScalar>(_ x: Variable<S>, _ parameters: BoundParameters<S>) -> Variable<S>
}

extension Layer {
    /// A fresh parameter set holding this layer's initialised parameters.
    public func makeParameters<S: TensorScalar>(as _: S.Type = S.self, key: RandomKey) -> ParameterSet<S> {
        var p = ParameterSet<S>()
        initialize(&p, key: key)
        return p
    }
}

/// Joins a parent's name and a child's: `join("blocks.0", "conv")` is `"blocks.0.conv"`.
@inlinable
public func joinName(_ prefix: String, _ name: String) -> String {
    prefix.isEmpty ? name : prefix + "." + name
}
