import DiffuseTensor

extension Variable {
    /// Standardises over the last `axisCount` axes: (x − mean)/√(var + ε), with the biased
    /// variance (as LayerNorm and GroupNorm use). One tape node; the pullback is the closed form
    /// ∂x = (g − mean(g) − x̂·mean(g·x̂)) / √(var + ε).
    public func standardized(overLastAxes axisCount: Int = 1, epsilon: Scalar = 1e-5) -> Variable {
        precondition(axisCount >= 1 && axisCount <= rank, "standardized: cannot normalise over \(axisCount) axes of rank \(rank)")
        let width = Shape.count(of: Array(shape.suffix(axisCount)))
        let rows = value.reshaped([-1, width])
        let mean = rows.mean(alongAxes: [1], keepingDimensions: true)
        let centered = rows - mean
        let variance = centered.squared().mean(alongAxes: [1], keepingDimensions: true)
        let rstd = (variance + epsilon).reciprocalSquareRoot()
        let xhat = centered * rstd
        return Variable.record(xhat.reshaped(shape), inputs: [self]) { g, _ in
            let g2 = g.reshaped([-1, width])
            let meanG = g2.mean(alongAxes: [1], keepingDimensions: true)
            let meanGX = (g2 * xhat).mean(alongAxes: [1], keepingDimensions: true)
            return [((g2 - meanG - xhat * meanGX) * rstd).reshaped(self.shape)]
        }
    }
}
