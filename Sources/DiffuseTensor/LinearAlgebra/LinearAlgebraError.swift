/// A failure reported by a LAPACK routine (or found before calling it), naming the routine
/// and LAPACK's `info` code.
public enum LinearAlgebraError: Error, Equatable, CustomStringConvertible {
    /// The matrix is not positive definite: the leading minor of order `info` is not.
    case notPositiveDefinite(routine: String, info: Int)
    /// The matrix is exactly singular: the pivot `info` (1-based) is zero.
    case singular(routine: String, info: Int)
    /// The iteration did not converge (`info` off-diagonal elements did not reach zero).
    case noConvergence(routine: String, info: Int)
    /// LAPACK rejected argument number `-info` (LAPACKE also reports NaN input this way).
    case illegalArgument(routine: String, info: Int)
    /// LAPACKE could not allocate its work space.
    case outOfMemory(routine: String, info: Int)
    /// The input contains NaN or infinity.
    case nonFiniteInput(routine: String)
    /// The operands' shapes do not fit the operation.
    case shapeMismatch(routine: String, detail: String)

    public var description: String {
        switch self {
        case let .notPositiveDefinite(routine, info):
            return "\(routine): matrix is not positive definite (leading minor of order \(info) is not; info = \(info))"
        case let .singular(routine, info):
            return "\(routine): matrix is singular (pivot \(info) is exactly zero; info = \(info))"
        case let .noConvergence(routine, info):
            return "\(routine): the algorithm did not converge (info = \(info))"
        case let .illegalArgument(routine, info):
            return "\(routine): argument \(-info) had an illegal value (info = \(info))"
        case let .outOfMemory(routine, info):
            return "\(routine): LAPACKE could not allocate work space (info = \(info))"
        case let .nonFiniteInput(routine):
            return "\(routine): the input contains NaN or infinity"
        case let .shapeMismatch(routine, detail):
            return "\(routine): \(detail)"
        }
    }

    /// Converts a LAPACK `info` code into an error (or nothing for 0). `positive` says what a
    /// positive code means for this routine.
    static func check(_ info: Int, routine: String, positive: (String, Int) -> LinearAlgebraError) throws {
        if info == 0 { return }
        if info == -1010 || info == -1011 { throw LinearAlgebraError.outOfMemory(routine: routine, info: info) }
        if info < 0 { throw LinearAlgebraError.illegalArgument(routine: routine, info: info) }
        throw positive(routine, info)
    }
}
