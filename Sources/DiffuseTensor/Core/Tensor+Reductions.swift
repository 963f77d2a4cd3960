// Reductions along axes. Axes may be negative (counted from the end). Results are bit-identical
// whatever the thread count.

extension Tensor {
    private func reduced(_ op: ReductionOperation, alongAxes axes: [Int], keepingDimensions: Bool) -> Tensor {
        let normalized = Set(axes.map { Shape.normalize(axis: $0, rank: rank) }).sorted(by: >)
        var result = self
        for a in normalized { result = Kernels.reduce(op, result, axis: a) }
        return keepingDimensions ? result : result.squeezingShape(at: normalized)
    }

    private func reducedAll(_ op: ReductionOperation) -> Tensor {
        Kernels.reduce(op, flattened(), axis: 0).reshaped([])
    }

    /// The sum of all elements (a scalar tensor).
    public func sum() -> Tensor { reducedAll(.sum) }
    /// Sums along the given axes.
    public func sum(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
        reduced(.sum, alongAxes: axes, keepingDimensions: keepingDimensions)
    }
    /// Sums along one axis.
    public func sum(alongAxis axis: Int, keepingDimension: Bool = false) -> Tensor {
        sum(alongAxes: [axis], keepingDimensions: keepingDimension)
    }

    /// The product of all elements.
    public func product() -> Tensor { reducedAll(.product) }
    /// Products along the given axes.
    public func product(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
        reduced(.product, alongAxes: axes, keepingDimensions: keepingDimensions)
    }

    /// The mean of all elements.
    public func mean() -> Tensor { sum() / Scalar(count) }
    /// Means along the given axes.
    public func mean(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
        let n = Set(axes.map { Shape.normalize(axis: $0, rank: rank) }).reduce(1) { $0 * shape[$1] }
        return sum(alongAxes: axes, keepingDimensions: keepingDimensions) / Scalar(n)
    }
    /// Means along one axis.
    public func mean(alongAxis axis: Int, keepingDimension: Bool = false) -> Tensor {
        mean(alongAxes: [axis], keepingDimensions: keepingDimension)
    }

    /// The variance along the given axes, Σ(x − mean)² / (n − correction) (two passes).
    /// `correction: 1` gives the unbiased sample variance; the default 0 matches NumPy's `var`.
    public func variance(alongAxes axes: [Int], correction: Int = 0, keepingDimensions: Bool = false) -> Tensor {
        let n = Set(axes.map { Shape.normalize(axis: $0, rank: rank) }).reduce(1) { $0 * shape[$1] }
        precondition(n - correction > 0, "variance needs more than \(correction) elements, has \(n)")
        let centered = self - mean(alongAxes: axes, keepingDimensions: true)
        return centered.squared().sum(alongAxes: axes, keepingDimensions: keepingDimensions) / Scalar(n - correction)
    }
    /// The variance of all elements.
    public func variance(correction: Int = 0) -> Tensor {
        flattened().variance(alongAxes: [0], correction: correction)
    }
    /// The standard deviation along the given axes.
    public func standardDeviation(alongAxes axes: [Int], correction: Int = 0, keepingDimensions: Bool = false) -> Tensor {
        variance(alongAxes: axes, correction: correction, keepingDimensions: keepingDimensions).squareRoot()
    }

    /// The largest element (NaN if any element is NaN).
    public func max() -> Tensor { reducedAll(.maximum) }
    /// Maxima along the given axes.
    public func max(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
        reduced(.maximum, alongAxes: axes, keepingDimensions: keepingDimensions)
    }
    /// The smallest element (NaN if any element is NaN).
    public func min() -> Tensor { reducedAll(.minimum) }
    /// Minima along the given axes.
    public func min(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
        reduced(.minimum, alongAxes: axes, keepingDimensions: keepingDimensions)
    }

    /// log Σ exp(x) along the given axes, computed stably by shifting by the maximum.
    public func logSumExp(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
        var m = max(alongAxes: axes, keepingDimensions: true)
        // An axis that is all −∞ has log-sum-exp −∞; shift by 0 there to avoid ∞ − ∞.
        m = Tensor.select(m.isFiniteMask(), m, Tensor(0))
        let s = (self - m).exp().sum(alongAxes: axes, keepingDimensions: true).log() + m
        return keepingDimensions ? s : s.squeezingShape(at: axes.map { Shape.normalize(axis: $0, rank: rank) })
    }
    /// log Σ exp(x) over all elements.
    public func logSumExp() -> Tensor { flattened().logSumExp(alongAxes: [0]) }

    /// Softmax along `axis`, exp(x − logsumexp(x)).
    public func softmax(alongAxis axis: Int = -1) -> Tensor {
        Kernels.softmaxAlongLastAxis(self, axis: axis, logarithm: false) ?? (self - logSumExp(alongAxes: [axis], keepingDimensions: true)).exp()
    }
    /// Log-softmax along `axis`, x − logsumexp(x).
    public func logSoftmax(alongAxis axis: Int = -1) -> Tensor {
        Kernels.softmaxAlongLastAxis(self, axis: axis, logarithm: true) ?? self - logSumExp(alongAxes: [axis], keepingDimensions: true)
    }

    /// Index of the first maximum along `axis` (NaN counts as the maximum).
    public func argmax(alongAxis axis: Int) -> IndexTensor { Kernels.argExtremum(self, axis: axis, maximum: true) }
    /// Index of the first minimum along `axis`.
    public func argmin(alongAxis axis: Int) -> IndexTensor { Kernels.argExtremum(self, axis: axis, maximum: false) }

    /// Running sums along `axis` (NumPy's `cumsum`).
    public func cumulativeSum(alongAxis axis: Int) -> Tensor { Kernels.cumulativeSum(self, axis: axis) }

    /// The Euclidean norm of all elements.
    public func norm() -> Scalar { squared().sum().scalar.squareRoot() }

    /// The dot product of all elements with those of `other` (same shape).
    public func dot(_ other: Tensor) -> Scalar {
        precondition(shape == other.shape, "dot of shapes \(shape) and \(other.shape)")
        return (self * other).sum().scalar
    }
}
