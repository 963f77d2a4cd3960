/// How BLAS can read a matrix view: as stored (row-major with leading dimension `ld`) or as the
/// transpose of a row-major matrix.
struct BLASMatrixLayout {
    var transposed: Bool
    var leadingDimension: Int

    /// The layout of a `rows × columns` view with the given strides, or `nil` if BLAS cannot
    /// read it without a copy.
    init?(rows: Int, columns: Int, rowStride: Int, columnStride: Int) {
        if (columns == 1 || columnStride == 1) {
            let ld = rows == 1 ? Swift.max(columns, 1) : rowStride
            if ld >= Swift.max(columns, 1) { self.init(transposed: false, leadingDimension: ld); return }
        }
        if (rows == 1 || rowStride == 1) {
            let ld = columns == 1 ? Swift.max(rows, 1) : columnStride
            if ld >= Swift.max(rows, 1) { self.init(transposed: true, leadingDimension: ld); return }
        }
        return nil
    }

    private init(transposed: Bool, leadingDimension: Int) {
        self.transposed = transposed
        self.leadingDimension = leadingDimension
    }
}

/// The matrix product of the last two axes, with NumPy `matmul` semantics: leading (batch) axes
/// broadcast; a 1-D left operand is a row vector and a 1-D right operand a column vector, and
/// the corresponding axis is dropped from the result.
///
/// Every product goes through BLAS `gemm`. Transposed views (from ``Tensor/transposed()``) are
/// passed to BLAS as transposes, not copied; only views BLAS cannot describe (both strides ≠ 1)
/// are copied.
public func matmul<S: TensorScalar>(_ a: Tensor<S>, _ b: Tensor<S>) -> Tensor<S> {
    let a2 = a.rank == 1 ? a.expandingShape(at: 0) : a
    let b2 = b.rank == 1 ? b.expandingShape(at: 1) : b
    precondition(a2.rank >= 2 && b2.rank >= 2, "matmul needs operands of rank ≥ 1")
    let m = a2.shape[a2.rank - 2], k = a2.shape[a2.rank - 1]
    let k2 = b2.shape[b2.rank - 2], n = b2.shape[b2.rank - 1]
    precondition(k == k2, "matmul: inner dimensions differ, \(a.shape) × \(b.shape)")
    guard let batch = Shape.broadcast(Array(a2.shape.dropLast(2)), Array(b2.shape.dropLast(2))) else {
        preconditionFailure("matmul: batch shapes of \(a.shape) and \(b.shape) do not broadcast")
    }
    // BLAS never reads C when β = 0, so the result need not be zeroed (unless k = 0).
    var result = k == 0 ? Tensor<S>(zeros: batch + [m, n]) : Tensor<S>(shape: batch + [m, n]) { _ in }
    matmul(a2, b2, into: &result, alpha: 1, beta: 0)
    if a.rank == 1 { result = result.squeezingShape(at: [result.rank - 2]) }
    if b.rank == 1 { result = result.squeezingShape(at: [result.rank - 1]) }
    return result
}

/// `c ← alpha · a·b + beta · c` over the last two axes, batch axes broadcasting to `c`'s.
///
/// `c` is made unique and contiguous first. With `beta: 1` this accumulates into `c`, which
/// is how gradients of matrix products are summed without temporaries.
public func matmul<S: TensorScalar>(_ a: Tensor<S>, _ b: Tensor<S>, into c: inout Tensor<S>, alpha: S = 1, beta: S = 0) {
    precondition(a.rank >= 2 && b.rank >= 2 && c.rank >= 2, "matmul(into:) needs operands of rank ≥ 2")
    let m = a.shape[a.rank - 2], k = a.shape[a.rank - 1], n = b.shape[b.rank - 1]
    precondition(b.shape[b.rank - 2] == k, "matmul: inner dimensions differ, \(a.shape) × \(b.shape)")
    precondition(c.shape[c.rank - 2] == m && c.shape[c.rank - 1] == n,
                 "matmul: output shape \(c.shape) does not match \(a.shape) × \(b.shape)")
    let batch = Array(c.shape.dropLast(2))
    c.makeUniqueAndContiguous()
    if m == 0 || n == 0 { return }

    func layout(_ t: Tensor<S>, rows: Int, columns: Int) -> (Tensor<S>, BLASMatrixLayout) {
        if let l = BLASMatrixLayout(rows: rows, columns: columns, rowStride: t.strides[t.rank - 2], columnStride: t.strides[t.rank - 1]) {
            return (t, l)
        }
        let copy = t.contiguous()
        return (copy, BLASMatrixLayout(rows: rows, columns: columns, rowStride: copy.strides[copy.rank - 2], columnStride: copy.strides[copy.rank - 1])!)
    }
    let (aa, la) = layout(a, rows: m, columns: k)
    let (bb, lb) = layout(b, rows: k, columns: n)
    let routines = blas(S.self)
    let aBatch = Shape.broadcastStrides(shape: Array(aa.shape.dropLast(2)), strides: Array(aa.strides.dropLast(2)), to: batch)
    let bBatch = Shape.broadcastStrides(shape: Array(bb.shape.dropLast(2)), strides: Array(bb.strides.dropLast(2)), to: batch)
    let cBatch = Array(c.strides.dropLast(2))
    let pa = aa.basePointer, pb = bb.basePointer, pc = c.basePointer
    let ldc = n
    let batchCount = Shape.count(of: batch)

    func gemm(_ offsets: (Int, Int, Int), rows: Int, columns: Int) {
        routines.gemm(transposeA: la.transposed, transposeB: lb.transposed, m: rows, n: columns, k: k, alpha: Double(alpha),
                      a: pa + offsets.0, lda: la.leadingDimension, b: pb + offsets.1, ldb: lb.leadingDimension,
                      beta: Double(beta), c: pc + offsets.2, ldc: ldc)
    }

    func product(_ offsets: (Int, Int, Int)) {
        if k == 0 {
            // Nothing to multiply: c ← beta·c.
            Kernels.unaryRun(.affine(scale: Double(beta), shift: 0), pc + offsets.2, 1, pc + offsets.2, 1, m * n)
            return
        }
        let threads = BLAS.threadCount
        guard threads > 1, m * n * k >= 1 << 21, !Parallel.isInsideParallelRegion else {
            gemm(offsets, rows: m, columns: n)
            return
        }
        // Split the output into blocks of rows (or of columns when there are few rows), one
        // single-threaded gemm per block.
        if m >= n {
            let block = Swift.max(16, (m + threads - 1) / threads)
            let pieces = (m + block - 1) / block
            Parallel.forEach(iterations: pieces, threads: threads) { i in
                let r0 = i * block, rows = Swift.min(block, m - r0)
                gemm((offsets.0 + (la.transposed ? r0 : r0 * la.leadingDimension), offsets.1, offsets.2 + r0 * ldc), rows: rows, columns: n)
            }
        } else {
            let block = Swift.max(16, (n + threads - 1) / threads)
            let pieces = (n + block - 1) / block
            Parallel.forEach(iterations: pieces, threads: threads) { i in
                let c0 = i * block, columns = Swift.min(block, n - c0)
                gemm((offsets.0, offsets.1 + (lb.transposed ? c0 * lb.leadingDimension : c0), offsets.2 + c0), rows: m, columns: columns)
            }
        }
    }

    BLAS.timed { withExtendedLifetime((aa, bb)) {
        if batchCount == 1 {
            product((0, 0, 0))
            return
        }
        // Offsets of every batch entry, then the products (in parallel for small matrices,
        // where one gemm cannot use the cores by itself).
        var offsets = [(Int, Int, Int)]()
        offsets.reserveCapacity(batchCount)
        let nest = LoopNest(shape: batch, strides: [aBatch, bBatch, cBatch])
        let sa = nest.innerStride(0), sb = nest.innerStride(1), sc = nest.innerStride(2)
        nest.forEachRun(outer: 0..<nest.outerCount) { o in
            for i in 0..<nest.innerCount { offsets.append((o[0] + i * sa, o[1] + i * sb, o[2] + i * sc)) }
        }
        if m * n * k < 96 * 96 * 96 {
            Parallel.forEach(iterations: batchCount) { product(offsets[$0]) }
        } else {
            for o in offsets { product(o) }
        }
    } }
}

extension Tensor {
    /// The matrix product `self · other` (see ``matmul(_:_:)``).
    public func matmul(_ other: Tensor) -> Tensor { DiffuseTensor.matmul(self, other) }
}
