/// Reductions along one axis of a contiguous tensor viewed as `[outer, length, inner]`.
enum ReductionOperation: Sendable {
    case sum, maximum, minimum, product
}

extension Kernels {
    /// Reduces `x` along `axis`; the result keeps the axis with size 1.
    ///
    /// The order of operations depends only on the shape, never on the thread count, so results
    /// are bit-identical however many threads run.
    static func reduce<S: TensorScalar>(_ op: ReductionOperation, _ x: Tensor<S>, axis: Int) -> Tensor<S> {
        let a = Shape.normalize(axis: axis, rank: x.rank)
        let src = x.contiguous()
        let outer = Shape.count(of: Array(x.shape[..<a]))
        let length = x.shape[a]
        let inner = Shape.count(of: Array(x.shape[(a + 1)...]))
        var outShape = x.shape
        outShape[a] = 1
        precondition(length > 0 || op == .sum || op == .product, "cannot take the \(op) of an empty axis (shape \(x.shape))")
        let out = Tensor<S>(shape: outShape, repeating: 0)
        let p = src.basePointer, q = out.basePointer
        withExtendedLifetime(src) {
            if inner == 1 {
                if outer == 1 {
                    q[0] = reduceLong(op, p, length)
                } else {
                    Parallel.forEachChunk(count: outer, minimumChunk: Swift.max(1, (1 << 15) / Swift.max(length, 1))) { r in
                        for o in r { q[o] = reduceRun(op, p + o * length, length) }
                    }
                }
            } else {
                let rowsPerChunk = Swift.max(1, (1 << 15) / Swift.max(length * inner, 1))
                Parallel.forEachChunk(count: outer, minimumChunk: rowsPerChunk) { r in
                    for o in r { reduceRows(op, p + o * length * inner, length, inner, q + o * inner) }
                }
            }
        }
        return out
    }

    /// Reduces one long contiguous run in fixed chunks (parallel when long), combining the
    /// partial results in chunk order.
    private static func reduceLong<S: TensorScalar>(_ op: ReductionOperation, _ p: UnsafeMutablePointer<S>, _ n: Int) -> S {
        let chunk = 1 << 16
        if n <= chunk { return reduceRun(op, p, n) }
        let pieces = (n + chunk - 1) / chunk
        var partial = [S](repeating: 0, count: pieces)
        partial.withUnsafeMutableBufferPointer { part in
            Parallel.forEachFixedChunk(count: n, chunkSize: chunk) { i, r in
                part[i] = reduceRun(op, p + r.lowerBound, r.count)
            }
        }
        return partial.withUnsafeMutableBufferPointer { reduceRun(op, $0.baseAddress!, pieces) }
    }

    static func reduceRun<S: TensorScalar>(_ op: ReductionOperation, _ p: UnsafeMutablePointer<S>, _ n: Int) -> S {
        switch ScalarKind.of(S.self) {
        case .float: return S(reduceRunLoop(op, rebound(p, to: Float.self), n))
        case .double: return S(reduceRunLoop(op, rebound(p, to: Double.self), n))
        }
    }

    private static func reduceRows<S: TensorScalar>(_ op: ReductionOperation, _ p: UnsafeMutablePointer<S>, _ length: Int, _ inner: Int, _ q: UnsafeMutablePointer<S>) {
        switch ScalarKind.of(S.self) {
        case .float: reduceRowsLoop(op, rebound(p, to: Float.self), length, inner, rebound(q, to: Float.self))
        case .double: reduceRowsLoop(op, rebound(p, to: Double.self), length, inner, rebound(q, to: Double.self))
        }
    }

    /// Index of the first maximum (or minimum) along `axis`, with NaN counting as the maximum.
    static func argExtremum<S: TensorScalar>(_ x: Tensor<S>, axis: Int, maximum: Bool) -> IndexTensor {
        let a = Shape.normalize(axis: axis, rank: x.rank)
        let src = x.contiguous()
        let outer = Shape.count(of: Array(x.shape[..<a]))
        let length = x.shape[a]
        let inner = Shape.count(of: Array(x.shape[(a + 1)...]))
        precondition(length > 0, "argmax/argmin of an empty axis (shape \(x.shape))")
        var outShape = x.shape
        outShape.remove(at: a)
        var result = [Int](repeating: 0, count: outer * inner)
        src.withUnsafeBufferPointer { p in
            for o in 0..<outer {
                for i in 0..<inner {
                    var best = p[o * length * inner + i]
                    var bestIndex = 0
                    if best.isNaN { result[o * inner + i] = 0; continue }
                    for k in 1..<Swift.max(length, 1) {
                        let v = p[(o * length + k) * inner + i]
                        if v.isNaN { bestIndex = k; break }
                        if maximum ? v > best : v < best { best = v; bestIndex = k }
                    }
                    result[o * inner + i] = bestIndex
                }
            }
        }
        return IndexTensor(shape: outShape, indices: result)
    }

    /// Running sum along `axis`.
    static func cumulativeSum<S: TensorScalar>(_ x: Tensor<S>, axis: Int) -> Tensor<S> {
        let a = Shape.normalize(axis: axis, rank: x.rank)
        var out = x.contiguous().copiedIfShared()
        let outer = Shape.count(of: Array(x.shape[..<a]))
        let length = x.shape[a]
        let inner = Shape.count(of: Array(x.shape[(a + 1)...]))
        out.withUnsafeMutableBufferPointer { p in
            guard length > 1 else { return }
            for o in 0..<outer {
                let base = p.baseAddress! + o * length * inner
                for k in 1..<length {
                    Kernels.binaryRun(.add, base + (k - 1) * inner, 1, base + k * inner, 1, base + k * inner, 1, inner)
                }
            }
        }
        return out
    }
}

@inline(__always)
private func combine<T: TensorScalar>(_ op: ReductionOperation, _ a: T, _ b: T) -> T {
    switch op {
    case .sum: return a + b
    case .product: return a * b
    case .maximum:
        if a.isNaN { return a }
        if b.isNaN { return b }
        return b > a ? b : a
    case .minimum:
        if a.isNaN { return a }
        if b.isNaN { return b }
        return b < a ? b : a
    }
}

/// Reduction of a contiguous run: blocks of 8 lanes for sums (vectorised), pairwise across
/// blocks of 1024 for accuracy.
@inline(__always)
private func reduceRunLoop<T: TensorScalar>(_ op: ReductionOperation, _ p: UnsafeMutablePointer<T>, _ n: Int) -> T {
    if n == 0 { return op == .product ? 1 : 0 }
    if op == .sum { return pairwiseSum(p, n) }
    var r = p[0]
    for i in 1..<n { r = combine(op, r, p[i]) }
    return r
}

/// Pairwise summation over blocks of at most 1024 elements, each summed in 8 lanes.
private func pairwiseSum<T: TensorScalar>(_ p: UnsafeMutablePointer<T>, _ n: Int) -> T {
    if n > 1024 {
        let half = (n / 2 + 7) & ~7
        return pairwiseSum(p, half) + pairwiseSum(p + half, n - half)
    }
    var acc = SIMD8<T>(repeating: 0)
    var i = 0
    let raw = UnsafeRawPointer(p)
    while i + 8 <= n {
        acc += raw.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.stride, as: SIMD8<T>.self)
        i += 8
    }
    var s = acc.sum()
    while i < n { s += p[i]; i += 1 }
    return s
}

@inline(__always)
private func reduceRowsLoop<T: TensorScalar>(_ op: ReductionOperation, _ p: UnsafeMutablePointer<T>, _ length: Int, _ inner: Int, _ q: UnsafeMutablePointer<T>) {
    if length == 0 {
        for i in 0..<inner { q[i] = op == .product ? 1 : 0 }
        return
    }
    for i in 0..<inner { q[i] = p[i] }
    for k in 1..<Swift.max(length, 1) {
        let row = p + k * inner
        switch op {
        case .sum: for i in 0..<inner { q[i] += row[i] }
        case .product: for i in 0..<inner { q[i] *= row[i] }
        case .maximum, .minimum: for i in 0..<inner { q[i] = combine(op, q[i], row[i]) }
        }
    }
}
