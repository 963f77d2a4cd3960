// Gathering, scattering, concatenation and padding.

extension Tensor {
    /// Views this tensor as `[outer, length, inner]` around `axis` (contiguous copy if needed).
    private func splitAround(axis a: Int) -> (base: Tensor, outer: Int, length: Int, inner: Int) {
        (contiguous(), Shape.count(of: Array(shape[..<a])), shape[a], Shape.count(of: Array(shape[(a + 1)...])))
    }

    /// The sub-tensors at `indices` along `axis`, in that order (NumPy's `take` with an axis;
    /// an embedding lookup when `axis` is 0). Indices may repeat.
    public func indexSelect(alongAxis axis: Int, indices: [Int]) -> Tensor {
        let a = Shape.normalize(axis: axis, rank: rank)
        let (base, outer, length, inner) = splitAround(axis: a)
        for i in indices { precondition(i >= 0 && i < length, "index \(i) out of range 0..<\(length) on axis \(a)") }
        var outShape = shape
        outShape[a] = indices.count
        let bytes = inner * MemoryLayout<Scalar>.stride
        return Tensor(shape: outShape) { out in
            let src = base.basePointer
            let dst = out.baseAddress!
            for o in 0..<outer {
                for (j, i) in indices.enumerated() {
                    UnsafeMutableRawPointer(dst + (o * indices.count + j) * inner)
                        .copyMemory(from: src + (o * length + i) * inner, byteCount: bytes)
                }
            }
            withExtendedLifetime(base) {}
        }
    }

    /// Adds `values` into the sub-tensors at `indices` along `axis` (repeated indices
    /// accumulate): the adjoint of ``indexSelect(alongAxis:indices:)``.
    public mutating func indexAdd(alongAxis axis: Int, indices: [Int], values: Tensor) {
        let a = Shape.normalize(axis: axis, rank: rank)
        var expected = shape
        expected[a] = indices.count
        precondition(values.shape == expected, "values of shape \(values.shape) do not match \(expected)")
        makeUniqueAndContiguous()
        let outer = Shape.count(of: Array(shape[..<a])), length = shape[a]
        let inner = Shape.count(of: Array(shape[(a + 1)...]))
        let v = values.contiguous()
        let dst = basePointer, src = v.basePointer
        withExtendedLifetime(v) {
            for o in 0..<outer {
                for (j, i) in indices.enumerated() {
                    precondition(i >= 0 && i < length, "index \(i) out of range 0..<\(length) on axis \(a)")
                    let d = dst + (o * length + i) * inner
                    Kernels.binaryRun(.add, d, 1, src + (o * indices.count + j) * inner, 1, d, 1, inner)
                }
            }
        }
    }

    /// Elements picked along `axis` by an index tensor of the same rank (NumPy's
    /// `take_along_axis`): `out[..., j, ...] = self[..., indices[..., j, ...], ...]`.
    /// The index tensor must match this tensor's shape on every other axis.
    public func gather(alongAxis axis: Int, indices: IndexTensor) -> Tensor {
        let a = Shape.normalize(axis: axis, rank: rank)
        precondition(indices.rank == rank, "index rank \(indices.rank) differs from tensor rank \(rank)")
        for d in 0..<rank where d != a {
            precondition(indices.shape[d] == shape[d], "index shape \(indices.shape) does not match \(shape) off axis \(a)")
        }
        let (base, outer, length, inner) = splitAround(axis: a)
        let m = indices.shape[a]
        return Tensor(shape: indices.shape) { out in
            base.withUnsafeBufferPointer { src in
                for o in 0..<outer {
                    for j in 0..<m {
                        for i in 0..<inner {
                            let k = indices.indices[(o * m + j) * inner + i]
                            precondition(k >= 0 && k < length, "index \(k) out of range 0..<\(length) on axis \(a)")
                            out[(o * m + j) * inner + i] = src[(o * length + k) * inner + i]
                        }
                    }
                }
            }
        }
    }

    /// Adds `values` at the positions named by `indices` along `axis`: the adjoint of
    /// ``gather(alongAxis:indices:)``.
    public mutating func scatterAdd(alongAxis axis: Int, indices: IndexTensor, values: Tensor) {
        let a = Shape.normalize(axis: axis, rank: rank)
        precondition(values.shape == indices.shape, "values \(values.shape) and indices \(indices.shape) differ")
        makeUniqueAndContiguous()
        let outer = Shape.count(of: Array(shape[..<a])), length = shape[a]
        let inner = Shape.count(of: Array(shape[(a + 1)...]))
        let m = indices.shape[a]
        let dst = basePointer
        values.withUnsafeBufferPointer { v in
            for o in 0..<outer {
                for j in 0..<m {
                    for i in 0..<inner {
                        let k = indices.indices[(o * m + j) * inner + i]
                        precondition(k >= 0 && k < length, "index \(k) out of range 0..<\(length) on axis \(a)")
                        dst[(o * length + k) * inner + i] += v[(o * m + j) * inner + i]
                    }
                }
            }
        }
    }

    /// Tensors joined along an existing axis; all other axes must agree.
    public static func concatenate(_ tensors: [Tensor], alongAxis axis: Int) -> Tensor {
        precondition(!tensors.isEmpty, "concatenate needs at least one tensor")
        let first = tensors[0]
        let a = Shape.normalize(axis: axis, rank: first.rank)
        var outShape = first.shape
        outShape[a] = 0
        for t in tensors {
            precondition(t.rank == first.rank, "concatenate: ranks differ (\(t.shape) vs \(first.shape))")
            for d in 0..<first.rank where d != a {
                precondition(t.shape[d] == first.shape[d], "concatenate: shapes \(t.shape) and \(first.shape) differ off axis \(a)")
            }
            outShape[a] += t.shape[a]
        }
        let result = Tensor(buffer: TensorBuffer(uninitializedCount: Shape.count(of: outShape)), shape: outShape,
                            strides: Shape.contiguousStrides(for: outShape), offset: 0)
        var start = 0
        for t in tensors {
            var target = result.slice(axis: a, start..<(start + t.shape[a]))
            Kernels.copy(from: t, into: &target)
            start += t.shape[a]
        }
        return result
    }

    /// Tensors of equal shape stacked along a new axis.
    public static func stack(_ tensors: [Tensor], alongAxis axis: Int = 0) -> Tensor {
        precondition(!tensors.isEmpty, "stack needs at least one tensor")
        for t in tensors { precondition(t.shape == tensors[0].shape, "stack: shapes \(t.shape) and \(tensors[0].shape) differ") }
        return concatenate(tensors.map { $0.expandingShape(at: axis) }, alongAxis: axis)
    }

    /// This tensor padded with `value` along `axis`: `before` elements in front, `after` behind.
    public func padded(alongAxis axis: Int, before: Int, after: Int, value: Scalar = 0) -> Tensor {
        let a = Shape.normalize(axis: axis, rank: rank)
        precondition(before >= 0 && after >= 0, "padding must be non-negative")
        var outShape = shape
        outShape[a] += before + after
        let result = Tensor(shape: outShape, repeating: value)
        var target = result.slice(axis: a, before..<(before + shape[a]))
        Kernels.copy(from: self, into: &target)
        return result
    }
}

extension Tensor {
    /// Adds `values` into the elements `start, start + step, …` along `axis` (as many as
    /// `values` has along that axis), in place: the adjoint of taking a strided slice.
    public mutating func add(_ values: Tensor, alongAxis axis: Int, start: Int, step: Int = 1) {
        let a = Shape.normalize(axis: axis, rank: rank)
        makeUniqueAndContiguous()
        let target = strided(axis: a, start: start, step: step).slice(axis: a, 0..<values.shape[a])
        precondition(Shape.broadcast(target.shape, values.shape) == target.shape,
                     "values of shape \(values.shape) do not fit the slice \(target.shape)")
        Kernels.binary(.add, target, values, into: target)
    }
}
