extension Tensor {
    /// `body` evaluated on consecutive blocks of `blockSize` rows of `0..<count` (the last block may
    /// be shorter), the results stacked along axis 0; the blocks run in parallel.
    ///
    /// For batched functions whose output row i depends on input row i only (a network evaluated
    /// on a batch): one parallel job per block replaces a fork and join per operation inside
    /// `body`, whose operations then run serially on their block, and each block's intermediate
    /// tensors stay in cache between operations. The blocks depend on `count` and `blockSize`
    /// only, so the result does not depend on the thread count. A batch uses at most as many
    /// cores as it has blocks.
    public static func stackingRowBlocks(count: Int, blockSize: Int, _ body: (Range<Int>) -> Tensor) -> Tensor {
        precondition(count >= 1 && blockSize >= 1, "stackingRowBlocks needs at least one row and a positive block size")
        if count <= blockSize { return body(0..<count) }
        return concatenate(Parallel.map(Parallel.chunks(count: count, chunkSize: blockSize), body), alongAxis: 0)
    }
}
