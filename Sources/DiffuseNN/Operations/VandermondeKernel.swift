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
    // Modes are processed four at a time in SIMD4<Double> lanes (padded with zero coefficients
    // and nodes), which also breaks the running-power recurrence into independent chains.
    let blocks = (modes + 3) / 4
    let c = packComplex(cr.value, ci.value, rows: rows, modes: modes, blocks: blocks)
    let z = packComplex(zr.value, zi.value, rows: rows, modes: modes, blocks: blocks)
    var kernel = [Double](repeating: 0, count: rows * length)
    kernel.withUnsafeMutableBufferPointer { k in
        Parallel.forEachChunk(count: rows, minimumChunk: 4) { range in
            for r in range {
                for b in 0..<blocks {
                    let (c0, c1) = c[r * blocks + b]
                    let (z0, z1) = z[r * blocks + b]
                    var w0 = SIMD4<Double>(repeating: 1), w1 = SIMD4<Double>(repeating: 0)   // z^l
                    for l in 0..<length {
                        k[r * length + l] += 2 * (c0 * w0 - c1 * w1).sum()
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
                        for b in 0..<blocks {
                            let (c0, c1) = c[r * blocks + b]
                            let (z0, z1) = z[r * blocks + b]
                            var w0 = SIMD4<Double>(repeating: 1), w1 = SIMD4<Double>(repeating: 0)   // z^l
                            var p0 = SIMD4<Double>(repeating: 0), p1 = SIMD4<Double>(repeating: 0)   // l·z^(l−1)
                            var sc0 = SIMD4<Double>(repeating: 0), sc1 = SIMD4<Double>(repeating: 0)
                            var sz0 = SIMD4<Double>(repeating: 0), sz1 = SIMD4<Double>(repeating: 0)
                            for l in 0..<length {
                                let gl = SIMD4<Double>(repeating: gk[r * length + l])
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
                            for lane in 0..<4 where b * 4 + lane < modes {
                                let i = r * modes + b * 4 + lane
                                gcp[2 * i] = 2 * sc0[lane]
                                gcp[2 * i + 1] = 2 * sc1[lane]
                                gzp[2 * i] = 2 * sz0[lane]
                                gzp[2 * i + 1] = 2 * sz1[lane]
                            }
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

/// Real and imaginary parts `[rows, modes]` packed as four-mode SIMD blocks `[rows][blocks]`,
/// padded with zeros.
private func packComplex<S: TensorScalar>(_ re: Tensor<S>, _ im: Tensor<S>, rows: Int, modes: Int, blocks: Int) -> [(SIMD4<Double>, SIMD4<Double>)] {
    let r = Tensor<Double>(re).scalars, i = Tensor<Double>(im).scalars
    var packed = [(SIMD4<Double>, SIMD4<Double>)](repeating: (.zero, .zero), count: rows * blocks)
    for row in 0..<rows {
        for n in 0..<modes {
            packed[row * blocks + n / 4].0[n % 4] = r[row * modes + n]
            packed[row * blocks + n / 4].1[n % 4] = i[row * modes + n]
        }
    }
    return packed
}
