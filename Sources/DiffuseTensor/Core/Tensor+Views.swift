// Shape-changing views: reshape, transpose, slicing, broadcasting. None of these copy unless the
// documentation says so.

extension Tensor {
    /// The same elements with a new shape (one entry may be −1 to be inferred).
    ///
    /// A view when the tensor is contiguous, otherwise a contiguous copy.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var target = newShape
        if let inferred = target.firstIndex(of: -1) {
            let known = target.enumerated().filter { $0.offset != inferred }.reduce(1) { $0 * $1.element }
            precondition(known > 0 && count % known == 0, "cannot reshape \(shape) to \(newShape)")
            target[inferred] = count / known
        }
        precondition(Shape.count(of: target) == count, "cannot reshape \(shape) (\(count) elements) to \(newShape)")
        let base = contiguous()
        return base.view(shape: target, strides: Shape.contiguousStrides(for: target), offset: base.offset)
    }

    /// A one-dimensional view (or copy, if not contiguous) of all elements.
    public func flattened() -> Tensor { reshaped([count]) }

    /// Axes reordered: axis `i` of the result is axis `permutation[i]` of this tensor. A view.
    public func permuted(_ permutation: [Int]) -> Tensor {
        precondition(permutation.sorted() == Array(0..<rank), "\(permutation) is not a permutation of the axes of rank \(rank)")
        return view(shape: permutation.map { shape[$0] }, strides: permutation.map { strides[$0] }, offset: offset)
    }

    /// The last two axes swapped (a matrix transpose for rank 2). A view.
    public func transposed() -> Tensor {
        precondition(rank >= 2, "transposed() needs rank ≥ 2, shape is \(shape)")
        var p = Array(0..<rank)
        p.swapAt(rank - 1, rank - 2)
        return permuted(p)
    }

    /// Two axes swapped. A view.
    public func swappingAxes(_ a: Int, _ b: Int) -> Tensor {
        var p = Array(0..<rank)
        p.swapAt(Shape.normalize(axis: a, rank: rank), Shape.normalize(axis: b, rank: rank))
        return permuted(p)
    }

    /// A size-1 axis inserted at `axis` (which may be `rank`, or negative). A view.
    public func expandingShape(at axis: Int) -> Tensor {
        let a = axis < 0 ? axis + rank + 1 : axis
        precondition(a >= 0 && a <= rank, "axis \(axis) out of range for inserting into rank \(rank)")
        var s = shape, st = strides
        s.insert(1, at: a)
        st.insert(a < rank ? strides[a] * shape[a] : 1, at: a)
        return view(shape: s, strides: st, offset: offset)
    }

    /// Size-1 axes removed (all of them, or those listed). A view.
    public func squeezingShape(at axes: [Int]? = nil) -> Tensor {
        let remove = Set((axes ?? shape.indices.filter { shape[$0] == 1 }).map { Shape.normalize(axis: $0, rank: rank) })
        for a in remove { precondition(shape[a] == 1, "cannot squeeze axis \(a) of size \(shape[a])") }
        let keep = shape.indices.filter { !remove.contains($0) }
        return view(shape: keep.map { shape[$0] }, strides: keep.map { strides[$0] }, offset: offset)
    }

    /// A read-only view with the broadcast shape `target` (zero strides on broadcast axes).
    public func broadcast(to target: [Int]) -> Tensor {
        precondition(Shape.broadcast(shape, target) == target, "cannot broadcast \(shape) to \(target)")
        return view(shape: target, strides: Shape.broadcastStrides(shape: shape, strides: strides, to: target), offset: offset)
    }

    /// The elements with index `range` along `axis`. A view.
    public func slice(axis: Int, _ range: Range<Int>) -> Tensor {
        let a = Shape.normalize(axis: axis, rank: rank)
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[a],
                     "range \(range) out of bounds for axis \(a) of size \(shape[a])")
        var s = shape
        s[a] = range.count
        return view(shape: s, strides: strides, offset: offset + range.lowerBound * strides[a])
    }

    /// Every `step`-th element along `axis`, starting at `start`. A view.
    public func strided(axis: Int, start: Int = 0, step: Int) -> Tensor {
        let a = Shape.normalize(axis: axis, rank: rank)
        precondition(step > 0 && start >= 0, "step must be positive and start non-negative")
        var s = shape, st = strides
        s[a] = start >= shape[a] ? 0 : (shape[a] - start + step - 1) / step
        st[a] = strides[a] * step
        return view(shape: s, strides: st, offset: offset + Swift.min(start, Swift.max(shape[a] - 1, 0)) * strides[a])
    }

    /// The elements in reverse order along `axis`. A copy.
    public func reversed(axis: Int) -> Tensor {
        let a = Shape.normalize(axis: axis, rank: rank)
        var st = strides
        st[a] = -strides[a]
        let start = offset + Swift.max(shape[a] - 1, 0) * strides[a]
        return view(shape: shape, strides: st, offset: start).contiguous()
    }

    /// The sub-tensor at `index` along `axis`, with that axis removed. A view.
    public func selecting(axis: Int, index: Int) -> Tensor {
        let a = Shape.normalize(axis: axis, rank: rank)
        precondition(index >= 0 && index < shape[a], "index \(index) out of bounds for axis \(a) of size \(shape[a])")
        var s = shape, st = strides
        s.remove(at: a)
        st.remove(at: a)
        return view(shape: s, strides: st, offset: offset + index * strides[a])
    }

    /// The sub-tensor at `index` along the first axis. A view.
    public subscript(index: Int) -> Tensor {
        get { selecting(axis: 0, index: index) }
        set { assign(newValue, axis: 0, range: index..<(index + 1)) }
    }

    /// The sub-tensors with indices in `range` along the first axis. A view.
    public subscript(range: Range<Int>) -> Tensor {
        get { slice(axis: 0, range) }
        set { assign(newValue, axis: 0, range: range) }
    }

    /// Writes `values` (broadcast to the slice's shape) into the slice `range` along `axis`.
    public mutating func assign(_ values: Tensor, axis: Int, range: Range<Int>) {
        makeUniqueAndContiguous()
        var target = slice(axis: axis, range)
        let source = values.shape.count < target.shape.count || values.shape != target.shape
            ? values.reshapedForAssignment(to: target.shape) : values
        Kernels.copy(from: source, into: &target)
    }

    private func reshapedForAssignment(to target: [Int]) -> Tensor {
        if Shape.count(of: shape) == Shape.count(of: target), Shape.broadcast(shape, target) != target {
            return reshaped(target)
        }
        return broadcast(to: target)
    }
}
