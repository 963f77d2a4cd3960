import _DiffuseKernels

extension Kernels {
    /// Softmax (or log-softmax) along the last axis of a single-precision tensor in one kernel per
    /// row (`diffuse_softmax_rows`), rows in parallel; nil for other scalars and axes, which take
    /// the composed `logSumExp` route.
    static func softmaxAlongLastAxis<S: TensorScalar>(_ x: Tensor<S>, axis: Int, logarithm: Bool) -> Tensor<S>? {
        guard ScalarKind.of(S.self) == .float, x.rank > 0, Shape.normalize(axis: axis, rank: x.rank) == x.rank - 1 else { return nil }
        let n = x.shape[x.rank - 1]
        guard n > 0 else { return nil }
        let rows = x.count / n
        let source = x.contiguous()
        return Tensor<S>(shape: x.shape, unsafeUninitializedScalars: { out in
            source.withUnsafeBufferPointer { xp in
                let input = rebound(xp.baseAddress!, to: Float.self), output = rebound(out.baseAddress!, to: Float.self)
                Parallel.forEachChunk(count: rows, minimumChunk: Swift.max(1, 8192 / n)) { range in
                    diffuse_softmax_rows(input, range.lowerBound, range.upperBound, n, logarithm ? 1 : 0, output)
                }
            }
        })
    }
}
