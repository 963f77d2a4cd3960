import DiffuseTensor

extension Variable {
    /// The sum of all elements.
    public func sum() -> Variable {
        Variable.record(value.sum(), inputs: [self]) { g, _ in [g.broadcast(to: self.shape).contiguous()] }
    }

    /// Sums along axes.
    public func sum(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Variable {
        let normalized = axes.map { Shape.normalize(axis: $0, rank: rank) }
        return Variable.record(value.sum(alongAxes: normalized, keepingDimensions: keepingDimensions), inputs: [self]) { g, _ in
            var kept = self.shape
            for a in normalized { kept[a] = 1 }
            return [g.reshaped(kept).broadcast(to: self.shape).contiguous()]
        }
    }

    /// Sums along one axis.
    public func sum(alongAxis axis: Int, keepingDimension: Bool = false) -> Variable {
        sum(alongAxes: [axis], keepingDimensions: keepingDimension)
    }

    /// The mean of all elements.
    public func mean() -> Variable { sum() * (1 / Scalar(Swift.max(value.count, 1))) }

    /// Means along axes.
    public func mean(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Variable {
        let n = Set(axes.map { Shape.normalize(axis: $0, rank: rank) }).reduce(1) { $0 * shape[$1] }
        return sum(alongAxes: axes, keepingDimensions: keepingDimensions) * (1 / Scalar(n))
    }

    /// Means along one axis.
    public func mean(alongAxis axis: Int, keepingDimension: Bool = false) -> Variable {
        mean(alongAxes: [axis], keepingDimensions: keepingDimension)
    }

    /// log Σ exp along axes (stable); the pullback is the softmax.
    public func logSumExp(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Variable {
        let normalized = axes.map { Shape.normalize(axis: $0, rank: rank) }
        let kept = value.logSumExp(alongAxes: normalized, keepingDimensions: true)
        var out = kept
        if !keepingDimensions { out = kept.squeezingShape(at: normalized) }
        return Variable.record(out, inputs: [self]) { g, _ in
            var keptShape = self.shape
            for a in normalized { keptShape[a] = 1 }
            let weights = (self.value - kept).exp()
            return [weights * g.reshaped(keptShape)]
        }
    }

    /// Maxima along one axis; the gradient goes to the first maximal element.
    public func max(alongAxis axis: Int, keepingDimension: Bool = false) -> Variable {
        let a = Shape.normalize(axis: axis, rank: rank)
        let indices = value.argmax(alongAxis: a)
        var keptShape = shape
        keptShape[a] = 1
        let idx = IndexTensor(shape: keptShape, indices: indices.indices)
        let kept = value.gather(alongAxis: a, indices: idx)
        return Variable.record(keepingDimension ? kept : kept.squeezingShape(at: [a]), inputs: [self]) { g, _ in
            var grad = Tensor<Scalar>(zeros: self.shape)
            grad.scatterAdd(alongAxis: a, indices: idx, values: g.reshaped(keptShape))
            return [grad]
        }
    }
}
