/// Namespace of the internal loops behind tensor operations.
///
/// Generic tensor code only computes shapes and offsets; every loop that touches elements goes
/// through a function here that picks the concrete `Float` or `Double` instantiation once per
/// call, so the element loops are always specialised and vectorised, even when called from
/// generic code in another module.
enum Kernels {}

@inline(__always)
func rebound<S, T>(_ p: UnsafeMutablePointer<S>, to _: T.Type) -> UnsafeMutablePointer<T> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: T.self)
}

@inline(__always)
func rebound<S, T>(_ p: UnsafePointer<S>, to _: T.Type) -> UnsafePointer<T> {
    UnsafeRawPointer(p).assumingMemoryBound(to: T.self)
}

extension Kernels {
    /// Copies the elements of `source` into `destination` (same shape, any strides).
    static func copy<S: TensorScalar>(from source: Tensor<S>, into destination: inout Tensor<S>) {
        precondition(source.shape == destination.shape, "copy between shapes \(source.shape) and \(destination.shape)")
        let nest = LoopNest(shape: source.shape, strides: [source.strides, destination.strides])
        let xs = nest.innerStride(0), ys = nest.innerStride(1)
        let x = source.basePointer, y = destination.basePointer
        nest.run { offsets, start, n in
            let src = x + offsets[0] + start * xs
            let dst = y + offsets[1] + start * ys
            if xs == 1 && ys == 1 {
                UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: n * MemoryLayout<S>.stride)
                return
            }
            switch ScalarKind.of(S.self) {
            case .float: stridedCopy(rebound(src, to: Float.self), xs, rebound(dst, to: Float.self), ys, n)
            case .double: stridedCopy(rebound(src, to: Double.self), xs, rebound(dst, to: Double.self), ys, n)
            }
        }
    }

    @inline(__always)
    private static func stridedCopy<T>(_ x: UnsafeMutablePointer<T>, _ xs: Int, _ y: UnsafeMutablePointer<T>, _ ys: Int, _ n: Int) {
        var a = 0, b = 0
        for _ in 0..<n {
            y[b] = x[a]
            a += xs
            b += ys
        }
    }
}
