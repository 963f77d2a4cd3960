// Common constructors.

extension Tensor {
    /// `count` evenly spaced values from `start` to `end` inclusive (NumPy's `linspace`).
    public static func linspace(from start: Scalar, to end: Scalar, count: Int) -> Tensor {
        precondition(count >= 0, "linspace count must be non-negative")
        let s = Double(start), e = Double(end)
        let step = count > 1 ? (e - s) / Double(count - 1) : 0
        return Tensor(shape: [count]) { out in
            for i in 0..<count { out[i] = Scalar(s + Double(i) * step) }
            if count > 1 { out[count - 1] = end }
        }
    }

    /// `start, start + step, ...` up to but excluding `end` (NumPy's `arange`).
    public static func arange(from start: Scalar = 0, to end: Scalar, step: Scalar = 1) -> Tensor {
        precondition(step != 0, "arange step must be nonzero")
        let n = Swift.max(0, Int((Double(end - start) / Double(step)).rounded(.up)))
        return Tensor(shape: [n]) { out in
            for i in 0..<n { out[i] = start + Scalar(i) * step }
        }
    }

    /// The n×n identity matrix.
    public static func identity(_ n: Int) -> Tensor {
        var t = Tensor(zeros: [n, n])
        t.withUnsafeMutableBufferPointer { p in
            for i in 0..<n { p[i * n + i] = 1 }
        }
        return t
    }

    /// A square matrix with `values` on its diagonal.
    public static func diagonal(_ values: Tensor) -> Tensor {
        precondition(values.rank == 1, "diagonal(_:) needs a vector")
        let n = values.count
        let v = values.scalars
        var t = Tensor(zeros: [n, n])
        t.withUnsafeMutableBufferPointer { p in
            for i in 0..<n { p[i * n + i] = v[i] }
        }
        return t
    }

    /// The main diagonal of the last two axes.
    public func diagonalPart() -> Tensor {
        precondition(rank >= 2, "diagonalPart() needs rank ≥ 2")
        let n = Swift.min(shape[rank - 1], shape[rank - 2])
        var s = Array(shape.dropLast(2))
        s.append(n)
        var st = Array(strides.dropLast(2))
        st.append(strides[rank - 1] + strides[rank - 2])
        return view(shape: s, strides: st, offset: offset).contiguous()
    }

    /// The sum of the main diagonal of a matrix.
    public func trace() -> Scalar {
        precondition(rank == 2, "trace() needs a matrix")
        return diagonalPart().sum().scalar
    }
}
