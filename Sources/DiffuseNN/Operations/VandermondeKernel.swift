import DiffuseTensor

/// The convolution kernel of a diagonal state-space model in closed form:
/// K[r, l] = 2·Re Σₙ cᵣₙ · zᵣₙˡ for l = 0..<length, with complex coefficients c and nodes z
/// given as real and imaginary parts `[rows, modes]`. Output `[rows, length]`.
///
/// The sum runs over the stored half of conjugate pairs (the factor 2 and the real part add
/// the other half). Evaluated in Double by running powers of z (O(rows·modes·length), no
/// `rows × modes × length` temporaries). The pullback is hand-written: with upstream gradient
/// g, ∂c = 2 Σₗ gₗ·conj(zˡ) and ∂z = 2 Σₗ gₗ·conj(c·l·zˡ⁻¹), written as (real, imaginary)
/// pairs of the gradient of a real function of complex variables.
public func vandermondeKernel<S: TensorScalar>(coefficientsReal cr: Variable<S>, coefficientsImaginary ci: Variable<S>,
                                               nodesReal zr: Variable<S>, nodesImaginary zi: Variable<S>, length: Int) -> Variable<S> {
    precondition(cr.rank == 2 && cr.shape == ci.shape && cr.shape == zr.shape && cr.shape == zi.shape,
                 "vandermondeKernel needs four [rows, modes] tensors of equal shape")
    precondition(length >= 1, "vandermondeKernel needs a positive length")
    let rows = cr.shape[0], modes = cr.shape[1]
    let c = zipComplex(cr.value, ci.value), z = zipComplex(zr.value, zi.value)
    var kernel = [Double](repeating: 0, count: rows * length)
    kernel.withUnsafeMutableBufferPointer { k in
        Parallel.forEachChunk(count: rows, minimumChunk: 4) { range in
            for r in range {
                for n in 0..<modes {
                    let (c0, c1) = c[r * modes + n]
                    let (z0, z1) = z[r * modes + n]
                    var w0 = 1.0, w1 = 0.0   // z^l
                    for l in 0..<length {
                        k[r * length + l] += 2 * (c0 * w0 - c1 * w1)
                        (w0, w1) = (w0 * z0 - w1 * z1, w0 * z1 + w1 * z0)
                    }
                }
            }
        }
    }
    let value = Tensor<S>(Tensor<Double>(shape: [rows, length], scalars: kernel))
    return Variable.record(value, inputs: [cr, ci, zr, zi]) { g, needed in
        let gk = Tensor<Double>(g).scalars
        var gc = [Double](repeating: 0, count: 2 * rows * modes), gz = [Double](repeating: 0, count: 2 * rows * modes)
        gc.withUnsafeMutableBufferPointer { gcp in
            gz.withUnsafeMutableBufferPointer { gzp in
                Parallel.forEachChunk(count: rows, minimumChunk: 4) { range in
                    for r in range {
                        for n in 0..<modes {
                            let (c0, c1) = c[r * modes + n]
                            let (z0, z1) = z[r * modes + n]
                            var w0 = 1.0, w1 = 0.0        // z^l
                            var p0 = 0.0, p1 = 0.0        // l·z^(l−1)
                            var sc0 = 0.0, sc1 = 0.0, sz0 = 0.0, sz1 = 0.0
                            for l in 0..<length {
                                let gl = gk[r * length + l]
                                // Σ g·conj(z^l)
                                sc0 += gl * w0
                                sc1 -= gl * w1
                                // Σ g·conj(c·l·z^(l−1))
                                let q0 = c0 * p0 - c1 * p1, q1 = c0 * p1 + c1 * p0
                                sz0 += gl * q0
                                sz1 -= gl * q1
                                // l·z^(l−1) → (l+1)·z^l = z·(l·z^(l−1)) + z^l
                                (p0, p1) = (p0 * z0 - p1 * z1 + w0, p0 * z1 + p1 * z0 + w1)
                                (w0, w1) = (w0 * z0 - w1 * z1, w0 * z1 + w1 * z0)
                            }
                            let i = r * modes + n
                            gcp[2 * i] = 2 * sc0
                            gcp[2 * i + 1] = 2 * sc1
                            gzp[2 * i] = 2 * sz0
                            gzp[2 * i + 1] = 2 * sz1
                        }
                    }
                }
            }
        }
        func part(_ values: [Double], _ offset: Int) -> Tensor<S> {
            Tensor<S>(Tensor<Double>(shape: [rows, modes, 2], scalars: values).selecting(axis: 2, index: offset))
        }
        return [needed[0] ? part(gc, 0) : nil, needed[1] ? part(gc, 1) : nil,
                needed[2] ? part(gz, 0) : nil, needed[3] ? part(gz, 1) : nil]
    }
}

private func zipComplex<S: TensorScalar>(_ re: Tensor<S>, _ im: Tensor<S>) -> [(Double, Double)] {
    let r = Tensor<Double>(re).scalars, i = Tensor<Double>(im).scalars
    return (0..<r.count).map { (r[$0], i[$0]) }
}
