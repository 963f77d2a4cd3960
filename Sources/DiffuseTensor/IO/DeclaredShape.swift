/// The size of an array whose shape was read from outside the program (a file header, a
/// configuration), checked before anything is allocated or multiplied.
///
/// Readers call ``byteCount(of:itemSize:)`` and compare the result with the bytes actually
/// present, so a header can never make the program trap on overflow, allocate more than the file
/// holds, or loop for ever over an empty array.
public enum DeclaredShape {
    /// The largest product of the non-zero dimensions of an empty array (2²⁴). An empty array
    /// holds no data, so nothing bounds its other dimensions by the file size; a loop over its
    /// outer axes would still run that many times.
    public static let maximumEmptyExtent = 1 << 24

    /// The number of bytes an array of `shape` with elements of `itemSize` bytes occupies, or the
    /// reason the shape is unusable: a negative dimension, an element or byte count that
    /// overflows `Int`, or an empty array whose non-zero dimensions multiply to more than
    /// ``maximumEmptyExtent``.
    public static func byteCount(of shape: [Int], itemSize: Int) -> Result<Int, DeclaredShapeError> {
        precondition(itemSize > 0, "item size must be positive")
        var count = 1
        var extent = 1
        var overflowed = false
        for d in shape {
            guard d >= 0 else { return .failure(DeclaredShapeError(shape: shape, reason: "negative dimension \(d)")) }
            let (c, o1) = count.multipliedReportingOverflow(by: d)
            count = c
            overflowed = overflowed || o1
            if d > 0 {
                let (e, o2) = extent.multipliedReportingOverflow(by: d)
                extent = o2 ? Int.max : e
            }
        }
        let hasZero = shape.contains(0)
        if hasZero {
            guard extent <= maximumEmptyExtent else {
                return .failure(DeclaredShapeError(shape: shape, reason: "an empty array whose other dimensions multiply to more than \(maximumEmptyExtent)"))
            }
            return .success(0)
        }
        guard !overflowed else { return .failure(DeclaredShapeError(shape: shape, reason: "the element count overflows a 64-bit integer")) }
        let (bytes, o3) = count.multipliedReportingOverflow(by: itemSize)
        guard !o3 else { return .failure(DeclaredShapeError(shape: shape, reason: "the size in bytes (\(count) × \(itemSize)) overflows a 64-bit integer")) }
        return .success(bytes)
    }
}

/// A shape read from outside the program that no array can have (see ``DeclaredShape``).
public struct DeclaredShapeError: Error, CustomStringConvertible, Equatable {
    /// The shape as declared.
    public var shape: [Int]
    /// What is wrong with it.
    public var reason: String

    public var description: String { "shape \(shape): \(reason)" }
}
