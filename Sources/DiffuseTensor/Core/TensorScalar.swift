import RealModule

/// The element types a ``Tensor`` holds: `Float` and `Double`.
///
/// Networks run in `Float`; theory checks, likelihoods and categorical probabilities run in
/// `Double`. The protocol adds no requirements of its own beyond the standard numeric ones; the
/// fast kernels (BLAS, LAPACK, FFTW and the elementwise loops) are chosen once per operation by
/// the concrete type, so generic code written against `TensorScalar` runs at the speed of the
/// concrete kernels.
///
/// - Important: Only `Float` and `Double` conform. Conforming another type is not supported.
public protocol TensorScalar: BinaryFloatingPoint, Real, SIMDScalar, Codable, Sendable, LosslessStringConvertible
where Magnitude == Self {
    /// The NumPy type descriptor of the little-endian representation (`"<f4"`, `"<f8"`).
    static var numpyDescriptor: String { get }
}

extension Float: TensorScalar {
    public static var numpyDescriptor: String { "<f4" }
}

extension Double: TensorScalar {
    public static var numpyDescriptor: String { "<f8" }
}

/// Which of the two supported element types a generic parameter is; used to pick a concrete
/// kernel once per operation.
@usableFromInline
enum ScalarKind {
    case float, double

    @inlinable
    static func of<S: TensorScalar>(_ type: S.Type) -> ScalarKind {
        if S.self == Float.self { return .float }
        if S.self == Double.self { return .double }
        preconditionFailure("TensorScalar supports Float and Double only, not \(S.self)")
    }
}
