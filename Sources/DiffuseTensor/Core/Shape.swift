/// Shape arithmetic shared by every tensor operation: element counts, row-major strides,
/// axis normalisation and NumPy broadcasting.
public enum Shape {
    /// The number of elements of an array of this shape (1 for a scalar shape `[]`).
    ///
    /// Stops the program when a dimension is negative or the product overflows `Int`: a shape
    /// built by the program must be valid. Shapes read from outside go through
    /// ``DeclaredShape/byteCount(of:itemSize:)``, which throws instead.
    @inlinable
    public static func count(of shape: [Int]) -> Int {
        var n = 1
        var overflow = false
        for d in shape {
            let (p, o) = n.multipliedReportingOverflow(by: d)
            n = p
            overflow = overflow || o || d < 0
        }
        precondition(!overflow, "shape \(shape) has a negative dimension or more elements than Int can count")
        return n
    }

    /// Row-major (C order) strides, in elements.
    @inlinable
    public static func contiguousStrides(for shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var s = 1
        var i = shape.count - 1
        while i >= 0 {
            strides[i] = s
            s &*= Swift.max(shape[i], 1)
            i -= 1
        }
        return strides
    }

    /// Turns a possibly negative axis into an index in `0..<rank`.
    @inlinable
    public static func normalize(axis: Int, rank: Int) -> Int {
        let a = axis < 0 ? axis + rank : axis
        precondition(a >= 0 && a < rank, "axis \(axis) is out of range for rank \(rank)")
        return a
    }

    /// The NumPy broadcast of two shapes, or `nil` if they are incompatible.
    ///
    /// Shapes are aligned at their last axes; each pair of sizes must be equal or contain a 1.
    public static func broadcast(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = Swift.max(a.count, b.count)
        var result = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            if da == db || db == 1 {
                result[i] = da
            } else if da == 1 {
                result[i] = db
            } else {
                return nil
            }
        }
        return result
    }

    /// Strides that read an array of `shape`/`strides` as if it had shape `target`
    /// (a zero stride on every broadcast axis). `shape` must broadcast to `target`.
    static func broadcastStrides(shape: [Int], strides: [Int], to target: [Int]) -> [Int] {
        let offset = target.count - shape.count
        precondition(offset >= 0, "cannot broadcast shape \(shape) to \(target)")
        var result = [Int](repeating: 0, count: target.count)
        for i in 0..<shape.count {
            let t = target[i + offset]
            if shape[i] == t {
                result[i + offset] = strides[i]
            } else {
                precondition(shape[i] == 1, "cannot broadcast shape \(shape) to \(target)")
                result[i + offset] = 0
            }
        }
        return result
    }
}
