extension ComplexTensor {
    /// The elementwise product `self · other` (or `self · conj(other)`), with broadcasting, in
    /// one pass over interleaved storage.
    public func multiplied(by other: ComplexTensor, conjugatingOther: Bool = false) -> ComplexTensor {
        guard let shape = Shape.broadcast(self.shape, other.shape) else {
            preconditionFailure("complex shapes \(self.shape) and \(other.shape) do not broadcast")
        }
        let a = interleaved, b = other.interleaved
        let out = Tensor<Scalar>(shape: shape + [2]) { _ in }
        let aStrides = Shape.broadcastStrides(shape: Array(a.shape.dropLast()), strides: Array(a.strides.dropLast()), to: shape)
        let bStrides = Shape.broadcastStrides(shape: Array(b.shape.dropLast()), strides: Array(b.strides.dropLast()), to: shape)
        let oStrides = Array(out.strides.dropLast())
        let aPart = a.strides[a.rank - 1], bPart = b.strides[b.rank - 1]
        let nest = LoopNest(shape: shape, strides: [aStrides, bStrides, oStrides])
        let sa = nest.innerStride(0), sb = nest.innerStride(1), so = nest.innerStride(2)
        let pa = a.basePointer, pb = b.basePointer, po = out.basePointer
        let sign: Scalar = conjugatingOther ? -1 : 1
        withExtendedLifetime((a, b)) {
            nest.run(minimumParallelElements: 1 << 14) { o, start, n in
                switch ScalarKind.of(Scalar.self) {
                case .float:
                    complexMultiplyLoop(rebound(pa + o[0] + start * sa, to: Float.self), sa, aPart,
                                        rebound(pb + o[1] + start * sb, to: Float.self), sb, bPart,
                                        rebound(po + o[2] + start * so, to: Float.self), so, Float(sign), n)
                case .double:
                    complexMultiplyLoop(rebound(pa + o[0] + start * sa, to: Double.self), sa, aPart,
                                        rebound(pb + o[1] + start * sb, to: Double.self), sb, bPart,
                                        rebound(po + o[2] + start * so, to: Double.self), so, Double(sign), n)
                }
            }
        }
        return ComplexTensor(interleaved: out)
    }
}

@inline(__always)
private func complexMultiplyLoop<T: TensorScalar>(_ a: UnsafeMutablePointer<T>, _ sa: Int, _ ia: Int,
                                                  _ b: UnsafeMutablePointer<T>, _ sb: Int, _ ib: Int,
                                                  _ o: UnsafeMutablePointer<T>, _ so: Int, _ sign: T, _ n: Int) {
    var i = 0, j = 0, k = 0
    for _ in 0..<n {
        let ar = a[i], ai = a[i + ia], br = b[j], bi = sign * b[j + ib]
        o[k] = ar * br - ai * bi
        o[k + 1] = ar * bi + ai * br
        i += sa
        j += sb
        k += so
    }
}
