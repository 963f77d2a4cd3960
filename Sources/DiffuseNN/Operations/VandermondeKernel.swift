import DiffuseTensor
import _DiffuseKernels

/// The convolution kernel of a diagonal state-space model in closed form:
/// K[r, l] = 2·Re Σₙ cᵣₙ · zᵣₙˡ for l = 0..<length, with complex coefficients c and nodes z
/// given as real and imaginary parts `[rows, modes]`. Output `[rows, length]`.
///
/// The sum runs over the stored half of conjugate pairs (the factor 2 and the real part add
/// the other half). Evaluated in Double by running powers of z (O(rows·modes·length), no
/// `rows × modes × length` temporaries) in the C kernels, four modes to a vector. The pullback
/// is hand-written: with upstream gradient g, ∂c = 2 Σₗ gₗ·conj(zˡ) and
/// ∂z = 2 Σₗ gₗ·conj(c·l·zˡ⁻¹), written as (real, imaginary) pairs of the gradient of a real
/// function of complex variables.
public func vandermondeKernel<S: TensorScalar>(coefficientsReal cr: Variable<S>, coefficientsImaginary ci: Variable<S>,
                                               nodesReal zr: Variable<S>, nodesImaginary zi: Variable<S>, length: Int) -> Variable<S> {
    precondition(cr.rank == 2 && cr.shape == ci.shape && cr.shape == zr.shape && cr.shape == zi.shape,
                 "vandermondeKernel needs four [rows, modes] tensors of equal shape")
    precondition(length >= 1, "vandermondeKernel needs a positive length")
    let rows = cr.shape[0], modes = cr.shape[1]
    let (c0, c1, z0, z1) = (Tensor<Double>(cr.value).scalars, Tensor<Double>(ci.value).scalars,
                            Tensor<Double>(zr.value).scalars, Tensor<Double>(zi.value).scalars)
    var kernel = [Double](repeating: 0, count: rows * length)
    kernel.withUnsafeMutableBufferPointer { k in
        Parallel.forEachChunk(count: rows, minimumChunk: 4) { range in
            let status = diffuse_vandermonde_rows(c0, c1, z0, z1, range.lowerBound, range.upperBound, modes, length, k.baseAddress!)
            precondition(status == 0, "vandermondeKernel: out of memory")
        }
    }
    let value = Tensor<S>(Tensor<Double>(shape: [rows, length], scalars: kernel))
    return Variable.record(value, inputs: [cr, ci, zr, zi]) { g, needed in
        let gk = Tensor<Double>(g).scalars
        var gc = [Double](repeating: 0, count: 2 * rows * modes), gz = [Double](repeating: 0, count: 2 * rows * modes)
        gc.withUnsafeMutableBufferPointer { gcp in
            gz.withUnsafeMutableBufferPointer { gzp in
                Parallel.forEachChunk(count: rows, minimumChunk: 4) { range in
                    let status = diffuse_vandermonde_gradient_rows(c0, c1, z0, z1, gk, range.lowerBound, range.upperBound, modes, length,
                                                                   gcp.baseAddress!, gzp.baseAddress!)
                    precondition(status == 0, "vandermondeKernel: out of memory")
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
