/// A loop nest over a shape with one stride vector per operand, used by every strided kernel.
///
/// Axes of size 1 are dropped and neighbouring axes that are laid out consecutively for *every*
/// operand are merged, so a contiguous or simply broadcast operation becomes one long inner run
/// (which the inner kernels vectorise). The last axis is the inner run; the others form the
/// outer loop.
struct LoopNest {
    private(set) var shape: [Int]
    private(set) var strides: [[Int]]

    init(shape: [Int], strides: [[Int]]) {
        var keptShape: [Int] = []
        var keptStrides: [[Int]] = Array(repeating: [], count: strides.count)
        for axis in 0..<shape.count where shape[axis] != 1 {
            keptShape.append(shape[axis])
            for k in 0..<strides.count { keptStrides[k].append(strides[k][axis]) }
        }
        if keptShape.isEmpty {
            keptShape = [1]
            keptStrides = Array(repeating: [0], count: strides.count)
        }
        // Merge axis i into axis i+1 when every operand steps over i exactly as far as it
        // steps over the whole of axis i+1.
        var mergedShape = [keptShape[keptShape.count - 1]]
        var mergedStrides = keptStrides.map { [$0[$0.count - 1]] }
        var axis = keptShape.count - 2
        while axis >= 0 {
            let canMerge = (0..<strides.count).allSatisfy {
                keptStrides[$0][axis] == mergedStrides[$0][0] * mergedShape[0]
            }
            if canMerge {
                mergedShape[0] *= keptShape[axis]
            } else {
                mergedShape.insert(keptShape[axis], at: 0)
                for k in 0..<strides.count { mergedStrides[k].insert(keptStrides[k][axis], at: 0) }
            }
            axis -= 1
        }
        self.shape = mergedShape
        self.strides = mergedStrides
    }

    /// The length of each inner run.
    var innerCount: Int { shape[shape.count - 1] }

    /// The stride of operand `k` along the inner run.
    func innerStride(_ k: Int) -> Int { strides[k][strides[k].count - 1] }

    /// The number of inner runs.
    var outerCount: Int {
        var n = 1
        for d in shape.dropLast() { n *= d }
        return n
    }

    /// Calls `body(offsets, runLength)` for the inner runs with outer index in `range`;
    /// `offsets[k]` is operand `k`'s element offset at the start of the run.
    func forEachRun(outer range: Range<Int>, _ body: (UnsafeMutablePointer<Int>) -> Void) {
        let operands = strides.count
        let outerRank = shape.count - 1
        withUnsafeTemporaryAllocation(of: Int.self, capacity: Swift.max(outerRank, 1) + operands) { scratch in
            let index = scratch.baseAddress!
            let offsets = scratch.baseAddress! + Swift.max(outerRank, 1)
            // Multi-index of range.lowerBound.
            var rest = range.lowerBound
            var d = outerRank - 1
            while d >= 0 {
                index[d] = rest % shape[d]
                rest /= shape[d]
                d -= 1
            }
            for k in 0..<operands {
                var o = 0
                for d in 0..<outerRank { o += index[d] * strides[k][d] }
                offsets[k] = o
            }
            for _ in range {
                body(offsets)
                // Increment the outer multi-index with carry, updating the offsets.
                var d = outerRank - 1
                while d >= 0 {
                    index[d] += 1
                    for k in 0..<operands { offsets[k] += strides[k][d] }
                    if index[d] < shape[d] { break }
                    for k in 0..<operands { offsets[k] -= strides[k][d] * shape[d] }
                    index[d] = 0
                    d -= 1
                }
            }
        }
    }

    /// Runs the nest, splitting it over threads when it is large: by outer runs when there are
    /// several, else by pieces of the single inner run. `body(offsets, start, length)` processes
    /// `length` elements of the run beginning at `offsets` shifted by `start` inner steps.
    func run(minimumParallelElements: Int = 1 << 15,
             _ body: (UnsafeMutablePointer<Int>, Int, Int) -> Void) {
        let inner = innerCount
        let outer = outerCount
        if outer == 1 {
            Parallel.forEachChunk(count: inner, minimumChunk: minimumParallelElements) { r in
                forEachRun(outer: 0..<1) { offsets in body(offsets, r.lowerBound, r.count) }
            }
        } else {
            let runsPerChunk = Swift.max(1, minimumParallelElements / Swift.max(inner, 1))
            Parallel.forEachChunk(count: outer, minimumChunk: runsPerChunk) { r in
                forEachRun(outer: r) { offsets in body(offsets, 0, inner) }
            }
        }
    }
}
