import DiffuseTensor

/// Loss functions. Each returns a scalar variable: the mean over the elements (or the
/// unmasked elements) unless stated.
public enum Loss {
    /// Mean squared error, mean((prediction − target)²).
    public static func meanSquaredError<S: TensorScalar>(_ prediction: Variable<S>, _ target: Tensor<S>) -> Variable<S> {
        (prediction - target).squared().mean()
    }

    /// Mean absolute error, mean(|prediction − target|).
    public static func meanAbsoluteError<S: TensorScalar>(_ prediction: Variable<S>, _ target: Tensor<S>) -> Variable<S> {
        (prediction - target).abs().mean()
    }

    /// The quantile (pinball) loss at level q, mean(max(q·e, (q − 1)·e)) with e = target −
    /// prediction. `level` broadcasts against the prediction, so each element (or sample) can
    /// have its own quantile level. The gradient at e = 0 is taken as that of e > 0.
    public static func quantile<S: TensorScalar>(_ prediction: Variable<S>, _ target: Tensor<S>, level: Tensor<S>) -> Variable<S> {
        let e = Variable(target) - prediction
        let positive = e.value.isGreaterOrEqual(to: Tensor(0))
        // q·e where e ≥ 0, (q − 1)·e elsewhere: (q − 1 + [e ≥ 0]) · e.
        let weight = level - 1 + positive
        return (e * weight).mean()
    }

    /// Cross-entropy between logits `[rows, classes]` and integer targets, averaged over rows
    /// whose mask entry is nonzero (all rows if `mask` is nil). Computed from the log-softmax,
    /// so it is stable for large logits.
    public static func crossEntropy<S: TensorScalar>(logits: Variable<S>, targets: [Int], mask: Tensor<S>? = nil) -> Variable<S> {
        precondition(logits.rank == 2 && logits.shape[0] == targets.count,
                     "crossEntropy needs [rows, classes] logits and one target per row")
        let classes = logits.shape[1]
        for t in targets { precondition(t >= 0 && t < classes, "target \(t) out of range 0..<\(classes)") }
        let logp = logits.logSoftmax(alongAxis: 1)
        let picked = logp.gather(alongAxis: 1, indices: IndexTensor(shape: [targets.count, 1], indices: targets)).reshaped([targets.count])
        guard let mask else { return -picked.mean() }
        precondition(mask.shape == [targets.count], "mask must have one entry per row")
        let count = Swift.max(mask.sum().scalar, 1)
        return -(picked * mask).sum() / count
    }
}
