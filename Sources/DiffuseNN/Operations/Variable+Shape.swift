import DiffuseTensor

extension Variable {
    /// The same elements with a new shape (−1 infers one axis).
    public func reshaped(_ newShape: [Int]) -> Variable {
        Variable.record(value.reshaped(newShape), inputs: [self]) { g, _ in [g.reshaped(self.shape)] }
    }

    /// Flattened to one axis.
    public func flattened() -> Variable { reshaped([-1]) }

    /// Axes reordered (axis i of the result is axis `permutation[i]`).
    public func permuted(_ permutation: [Int]) -> Variable {
        var inverse = [Int](repeating: 0, count: permutation.count)
        for (i, p) in permutation.enumerated() { inverse[p] = i }
        return Variable.record(value.permuted(permutation), inputs: [self]) { g, _ in [g.permuted(inverse)] }
    }

    /// The last two axes swapped.
    public func transposed() -> Variable {
        var p = Array(0..<rank)
        p.swapAt(rank - 1, rank - 2)
        return permuted(p)
    }

    /// Two axes swapped.
    public func swappingAxes(_ a: Int, _ b: Int) -> Variable {
        var p = Array(0..<rank)
        p.swapAt(Shape.normalize(axis: a, rank: rank), Shape.normalize(axis: b, rank: rank))
        return permuted(p)
    }

    /// A size-1 axis inserted.
    public func expandingShape(at axis: Int) -> Variable {
        Variable.record(value.expandingShape(at: axis), inputs: [self]) { g, _ in [g.reshaped(self.shape)] }
    }

    /// Size-1 axes removed.
    public func squeezingShape(at axes: [Int]? = nil) -> Variable {
        Variable.record(value.squeezingShape(at: axes), inputs: [self]) { g, _ in [g.reshaped(self.shape)] }
    }

    /// Broadcast to a larger shape (the gradient is summed back).
    public func broadcast(to target: [Int]) -> Variable {
        Variable.record(value.broadcast(to: target).contiguous(), inputs: [self]) { g, _ in [g.summed(toShape: self.shape)] }
    }

    /// The elements with index `range` along `axis`.
    public func slice(axis: Int, _ range: Range<Int>) -> Variable {
        let a = Shape.normalize(axis: axis, rank: rank)
        return Variable.record(value.slice(axis: a, range), inputs: [self]) { g, _ in
            [g.padded(alongAxis: a, before: range.lowerBound, after: self.shape[a] - range.upperBound)]
        }
    }

    /// The sub-tensor at `index` along `axis`, axis removed.
    public func selecting(axis: Int, index: Int) -> Variable {
        slice(axis: axis, index..<(index + 1)).squeezingShape(at: [axis])
    }

    /// Padded with a constant along `axis`.
    public func padded(alongAxis axis: Int, before: Int, after: Int, value fill: Scalar = 0) -> Variable {
        let a = Shape.normalize(axis: axis, rank: rank)
        return Variable.record(value.padded(alongAxis: a, before: before, after: after, value: fill), inputs: [self]) { g, _ in
            [g.slice(axis: a, before..<(before + self.shape[a])).contiguous()]
        }
    }

    /// Reversed along `axis`.
    public func reversed(axis: Int) -> Variable {
        Variable.record(value.reversed(axis: axis), inputs: [self]) { g, _ in [g.reversed(axis: axis)] }
    }

    /// Sub-tensors at `indices` along `axis` (an embedding lookup for `axis: 0`).
    public func indexSelect(alongAxis axis: Int, indices: [Int]) -> Variable {
        let a = Shape.normalize(axis: axis, rank: rank)
        return Variable.record(value.indexSelect(alongAxis: a, indices: indices), inputs: [self]) { g, _ in
            var grad = Tensor<Scalar>(zeros: self.shape)
            grad.indexAdd(alongAxis: a, indices: indices, values: g)
            return [grad]
        }
    }

    /// Elements picked along `axis` by an index tensor (NumPy's `take_along_axis`).
    public func gather(alongAxis axis: Int, indices: IndexTensor) -> Variable {
        let a = Shape.normalize(axis: axis, rank: rank)
        return Variable.record(value.gather(alongAxis: a, indices: indices), inputs: [self]) { g, _ in
            var grad = Tensor<Scalar>(zeros: self.shape)
            grad.scatterAdd(alongAxis: a, indices: indices, values: g)
            return [grad]
        }
    }

    /// Variables joined along an existing axis.
    public static func concatenate(_ parts: [Variable], alongAxis axis: Int) -> Variable {
        precondition(!parts.isEmpty, "concatenate needs at least one variable")
        let a = Shape.normalize(axis: axis, rank: parts[0].rank)
        let sizes = parts.map { $0.shape[a] }
        return record(Tensor.concatenate(parts.map(\.value), alongAxis: a), inputs: parts) { g, needed in
            var start = 0
            return sizes.enumerated().map { k, n in
                defer { start += n }
                return needed[k] ? g.slice(axis: a, start..<(start + n)).contiguous() : nil
            }
        }
    }

    /// Variables of equal shape stacked along a new axis.
    public static func stack(_ parts: [Variable], alongAxis axis: Int = 0) -> Variable {
        concatenate(parts.map { $0.expandingShape(at: axis) }, alongAxis: axis)
    }
}
