import DiffuseTensor
import _DiffuseKernels

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

/// Layer normalisation over the last axis in one fused kernel (Ba et al. 2016):
/// y = (x − μ)/√(σ² + ε)·γ + β per row, with the biased variance. The pullback is the closed form
/// ∂x = (ĝ − mean ĝ − x̂·mean(ĝ·x̂))/√(σ² + ε) with ĝ = g·γ, ∂γ = Σ g·x̂ and ∂β = Σ g over rows.
public func layerNormalization<S: TensorScalar>(_ x: Variable<S>, weight: Variable<S>?, bias: Variable<S>?, epsilon: Double = 1e-5) -> Variable<S> {
    let d = x.shape[x.rank - 1]
    let rows = x.value.count / Swift.max(d, 1)
    let chunk = Swift.max(1, 16384 / Swift.max(d, 1))
    precondition(weight.map { $0.shape == [d] } ?? true, "layerNormalization: weight of shape \(weight!.shape) for \(d) features")
    precondition(bias.map { $0.shape == [d] } ?? true, "layerNormalization: bias of shape \(bias!.shape) for \(d) features")
    let source = x.value.contiguous()
    let weightValues = weight?.value.contiguous(), biasValues = bias?.value.contiguous()
    var rstd = [Double](repeating: 0, count: rows)
    var y: Tensor<S>
    var normalized: Tensor<S>
    if S.self == Float.self {
        // Single precision: one pass per row in the C kernels, the affine part included.
        normalized = Tensor<S>(shape: x.shape) { _ in }
        y = Tensor<S>(shape: x.shape) { _ in }
        normalized.withUnsafeMutableBufferPointer { np in
            y.withUnsafeMutableBufferPointer { yp in
                source.withUnsafeBufferPointer { xp in
                    rstd.withUnsafeMutableBufferPointer { rp in
                        withSinglePrecisionPointer(weightValues) { w in
                            withSinglePrecisionPointer(biasValues) { b in
                                Parallel.forEachChunk(count: rows, minimumChunk: chunk) { range in
                                    diffuse_layer_norm_rows(rebound(xp.baseAddress!, Float.self), range.lowerBound, range.upperBound, d, Float(epsilon), w, b,
                                                            rebound(np.baseAddress!, Float.self), rebound(yp.baseAddress!, Float.self), rp.baseAddress!)
                                }
                            }
                        }
                    }
                }
            }
        }
    } else {
        normalized = Tensor<S>(shape: x.shape) { out in
            source.withUnsafeBufferPointer { xp in
                rstd.withUnsafeMutableBufferPointer { rp in
                    Parallel.forEachChunk(count: rows, minimumChunk: chunk) { range in
                        normalizeRows(range, rebound(xp.baseAddress!, Double.self), rebound(out.baseAddress!, Double.self), rp.baseAddress!, d, epsilon)
                    }
                }
            }
        }
        y = normalized
        if let weight { y = y * weight.value }
        if let bias { y = y + bias.value }
    }
    var inputs = [x]
    if let weight { inputs.append(weight) }
    if let bias { inputs.append(bias) }
    return Variable.record(y, inputs: inputs) { [normalized] g, needed in
        let gc = g.contiguous()
        var result: [Tensor<S>?] = []
        if needed[0] {
            let gHat = S.self == Float.self ? gc : weight.map { gc * $0.value } ?? gc
            let gx = Tensor<S>(shape: x.shape) { out in
                gHat.withUnsafeBufferPointer { gp in
                    normalized.withUnsafeBufferPointer { np in
                        rstd.withUnsafeBufferPointer { rp in
                            withSinglePrecisionPointer(weightValues) { w in
                                Parallel.forEachChunk(count: rows, minimumChunk: chunk) { range in
                                    if S.self == Float.self {
                                        diffuse_layer_norm_backward_rows(rebound(gp.baseAddress!, Float.self), rebound(np.baseAddress!, Float.self), rp.baseAddress!,
                                                                         w, range.lowerBound, range.upperBound, d, rebound(out.baseAddress!, Float.self))
                                    } else {
                                        normalizeRowsBackward(range, rebound(gp.baseAddress!, Double.self), rebound(np.baseAddress!, Double.self),
                                                              rebound(out.baseAddress!, Double.self), rp.baseAddress!, d)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            result.append(gx)
        } else {
            result.append(nil)
        }
        let flatG = gc.reshaped([rows, d])
        if weight != nil { result.append(needed[result.count] ? (flatG * normalized.reshaped([rows, d])).sum(alongAxis: 0) : nil) }
        if bias != nil { result.append(needed[result.count] ? flatG.sum(alongAxis: 0) : nil) }
        return result
    }
}

/// `body` with the storage of a single-precision tensor (nil for nil, empty or double-precision
/// tensors).
private func withSinglePrecisionPointer<S: TensorScalar, R>(_ tensor: Tensor<S>?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let tensor, S.self == Float.self else { return body(nil) }
    return tensor.withUnsafeBufferPointer { body($0.baseAddress.map { rebound($0, Float.self) }) }
}

@inline(__always)
private func normalizeRows<T: TensorScalar>(_ rows: Range<Int>, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>,
                                            _ rstd: UnsafeMutablePointer<Double>, _ d: Int, _ epsilon: Double) {
    for r in rows {
        let row = x + r * d
        var sum: T = 0
        for j in 0..<d { sum += row[j] }
        let mean = sum / T(d)
        var squares: T = 0
        for j in 0..<d { let c = row[j] - mean; squares += c * c }
        let inverse = 1 / (squares / T(d) + T(epsilon)).squareRoot()
        rstd[r] = Double(inverse)
        let out = y + r * d
        for j in 0..<d { out[j] = (row[j] - mean) * inverse }
    }
}

@inline(__always)
private func normalizeRowsBackward<T: TensorScalar>(_ rows: Range<Int>, _ g: UnsafePointer<T>, _ xhat: UnsafePointer<T>,
                                                    _ out: UnsafeMutablePointer<T>, _ rstd: UnsafePointer<Double>, _ d: Int) {
    for r in rows {
        let gr = g + r * d, xr = xhat + r * d
        var m1: T = 0, m2: T = 0
        for j in 0..<d { m1 += gr[j]; m2 += gr[j] * xr[j] }
        m1 /= T(d)
        m2 /= T(d)
        let s = T(rstd[r])
        let o = out + r * d
        for j in 0..<d { o[j] = s * (gr[j] - m1 - xr[j] * m2) }
    }
}
