import DiffuseTensor

extension Variable {
    /// Softmax along `axis`. Pullback: y ⊙ (g − Σ g⊙y).
    public func softmax(alongAxis axis: Int = -1) -> Variable {
        let a = Shape.normalize(axis: axis, rank: rank)
        let y = value.softmax(alongAxis: a)
        return Variable.record(y, inputs: [self]) { g, _ in
            [y * (g - (g * y).sum(alongAxes: [a], keepingDimensions: true))]
        }
    }

    /// Log-softmax along `axis`. Pullback: g − softmax · Σ g.
    public func logSoftmax(alongAxis axis: Int = -1) -> Variable {
        let a = Shape.normalize(axis: axis, rank: rank)
        let y = value.logSoftmax(alongAxis: a)
        return Variable.record(y, inputs: [self]) { g, _ in
            [g - y.exp() * g.sum(alongAxes: [a], keepingDimensions: true)]
        }
    }
}
