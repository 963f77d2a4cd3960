import XCTest
import _DiffuseTestSupport
@testable import DiffuseTensor

final class TensorBasicsTests: XCTestCase {
    func testConstructionAndElementAccess() {
        let t = Tensor<Double>(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(t.shape, [2, 3])
        XCTAssertEqual(t.strides, [3, 1])
        XCTAssertEqual(t[element: 1, 2], 6)
        XCTAssertEqual(Tensor<Float>(rows: [[1, 2], [3, 4]]).scalars, [1, 2, 3, 4])
        XCTAssertEqual(Tensor<Double>(2.5).rank, 0)
        XCTAssertEqual(Tensor<Double>(2.5).scalar, 2.5)
        XCTAssertEqual(Tensor<Double>(Tensor<Float>([1.5, 2])).scalars, [1.5, 2])
        XCTAssertEqual(Tensor<Double>.linspace(from: 0, to: 1, count: 5).scalars, [0, 0.25, 0.5, 0.75, 1])
        XCTAssertEqual(Tensor<Double>.arange(to: 4).scalars, [0, 1, 2, 3])
        XCTAssertEqual(Tensor<Double>.identity(2).scalars, [1, 0, 0, 1])
    }

    func testCopyOnWrite() {
        let a = Tensor<Double>([1, 2, 3])
        var b = a
        b[[0]] = 10
        XCTAssertEqual(a.scalars, [1, 2, 3])
        XCTAssertEqual(b.scalars, [10, 2, 3])
        var c = a.reshaped([3, 1])
        c += Tensor(1)
        XCTAssertEqual(a.scalars, [1, 2, 3])
        XCTAssertEqual(c.scalars, [2, 3, 4])
        // Writing through a slice assignment does not leak into other copies.
        var m = Tensor<Double>(zeros: [2, 2])
        let snapshot = m
        m[1] = Tensor([5, 6])
        XCTAssertEqual(m.scalars, [0, 0, 5, 6])
        XCTAssertEqual(snapshot.scalars, [0, 0, 0, 0])
    }

    func testViewsDoNotCopy() {
        let a = Tensor<Double>(shape: [2, 3, 4], scalars: (0..<24).map(Double.init))
        let t = a.transposed()
        XCTAssertEqual(t.shape, [2, 4, 3])
        XCTAssertTrue(t.buffer === a.buffer)
        XCTAssertEqual(t[element: 1, 2, 0], a[element: 1, 0, 2])
        let s = a.slice(axis: 2, 1..<3)
        XCTAssertTrue(s.buffer === a.buffer)
        XCTAssertEqual(s.scalars, [1, 2, 5, 6, 9, 10, 13, 14, 17, 18, 21, 22])
        let r = a.reshaped([6, -1])
        XCTAssertEqual(r.shape, [6, 4])
        XCTAssertTrue(r.buffer === a.buffer)
        XCTAssertEqual(a.selecting(axis: 1, index: 2).scalars, [8, 9, 10, 11, 20, 21, 22, 23])
        XCTAssertEqual(a[1][2].scalars, [20, 21, 22, 23])
        XCTAssertEqual(a.permuted([2, 0, 1]).shape, [4, 2, 3])
        XCTAssertEqual(a.expandingShape(at: 1).shape, [2, 1, 3, 4])
        XCTAssertEqual(a.expandingShape(at: 1).squeezingShape().shape, [2, 3, 4])
        XCTAssertEqual(Tensor<Double>([1, 2, 3]).reversed(axis: 0).scalars, [3, 2, 1])
        XCTAssertEqual(Tensor<Double>([0, 1, 2, 3, 4]).strided(axis: 0, start: 1, step: 2).scalars, [1, 3])
        XCTAssertEqual(Tensor<Double>(rows: [[1, 2], [3, 4]]).diagonalPart().scalars, [1, 4])
    }

    func testBroadcastingRules() {
        XCTAssertEqual(Shape.broadcast([2, 1, 3], [4, 1]), [2, 4, 3])
        XCTAssertEqual(Shape.broadcast([], [3]), [3])
        XCTAssertNil(Shape.broadcast([2, 3], [3, 2]))
        let a = Tensor<Double>(shape: [2, 1, 3], scalars: (0..<6).map(Double.init))
        let b = Tensor<Double>(shape: [4, 1], scalars: [10, 20, 30, 40])
        let c = a + b
        XCTAssertEqual(c.shape, [2, 4, 3])
        for i in 0..<2 { for j in 0..<4 { for k in 0..<3 {
            XCTAssertEqual(c[element: i, j, k], a[element: i, 0, k] + b[element: j, 0])
        } } }
        // Scalar operands and non-contiguous views.
        let t = Tensor<Float>(rows: [[1, 2, 3], [4, 5, 6]]).transposed()
        XCTAssertEqual((t * 2).scalars, [2, 8, 4, 10, 6, 12])
        XCTAssertEqual((1 - t).scalars, [0, -3, -1, -4, -2, -5])
        XCTAssertEqual((t / Tensor<Float>([1, 2])).scalars, [1, 2, 2, 2.5, 3, 3])
    }

    func testElementwiseFunctionsMatchScalarDefinitions() {
        let x = Tensor<Double>([-30, -2, -0.5, 0, 0.3, 1, 4, 30])
        let v = x.scalars
        assertClose(x.sigmoid(), Tensor(v.map { 1 / (1 + Foundation.exp(-$0)) }), relative: 1e-15)
        assertClose(x.softplus(), Tensor(v.map { Foundation.log1p(Foundation.exp($0)) }), relative: 1e-14)
        assertClose(x.silu(), Tensor(v.map { $0 / (1 + Foundation.exp(-$0)) }), absolute: 1e-300, relative: 1e-15)
        assertClose(x.gelu(), Tensor(v.map { 0.5 * $0 * (1 + Foundation.erf($0 / 2.0.squareRoot())) }), absolute: 1e-300, relative: 1e-15)
        assertClose(x.logSigmoid(), Tensor(v.map { -Foundation.log1p(Foundation.exp(-$0)) }), relative: 1e-14)
        XCTAssertEqual(x.relu().scalars, v.map { max($0, 0) })
        XCTAssertEqual(x.leakyReLU(slope: 0.1).scalars, v.map { $0 > 0 ? $0 : 0.1 * $0 })
        XCTAssertEqual(x.clamped(to: -1...1).scalars, v.map { min(max($0, -1), 1) })
        XCTAssertEqual(Tensor<Double>([0.5, 1.5, 2.5, -0.5]).rounded().scalars, [0, 2, 2, -0])
        XCTAssertEqual(Tensor<Double>([1e-20]).expm1().scalar, 1e-20)
        XCTAssertEqual(Tensor<Double>([1e-20]).log1p().scalar, 1e-20)
        // Stability at the extremes.
        XCTAssertEqual(Tensor<Float>([-1000, 1000]).sigmoid().scalars, [0, 1])
        XCTAssertEqual(Tensor<Float>([1000]).softplus().scalar, 1000)
    }

    func testComparisonsAndMasks() {
        let a = Tensor<Double>([1, 2, 3, .nan])
        let b = Tensor<Double>([3, 2, 1, 0])
        XCTAssertEqual(a.isLess(than: b).scalars, [1, 0, 0, 0])
        XCTAssertEqual(a.isEqual(to: b).scalars, [0, 1, 0, 0])
        XCTAssertEqual(a.isNaNMask().scalars, [0, 0, 0, 1])
        XCTAssertFalse(a.isFinite)
        XCTAssertTrue(b.isFinite)
        XCTAssertEqual(Tensor.select(a.isGreater(than: 1.5), a, b).scalars[0..<3], [3, 2, 3])
        XCTAssertEqual(b.masked(where: b.isGreater(than: 1.5), with: -1).scalars, [-1, -1, 1, 0])
        XCTAssertTrue(a.maximum(b).scalars[3].isNaN)
    }

    func testReductionsAgainstDirectSums() {
        let shape = [3, 4, 5]
        let values = (0..<60).map { Double(($0 * 37) % 23) - 11.5 }
        let x = Tensor<Double>(shape: shape, scalars: values)
        func at(_ i: Int, _ j: Int, _ k: Int) -> Double { values[(i * 4 + j) * 5 + k] }
        let s1 = x.sum(alongAxis: 1)
        XCTAssertEqual(s1.shape, [3, 5])
        for i in 0..<3 { for k in 0..<5 { XCTAssertEqual(s1[element: i, k], (0..<4).map { at(i, $0, k) }.reduce(0, +)) } }
        let s02 = x.sum(alongAxes: [0, -1], keepingDimensions: true)
        XCTAssertEqual(s02.shape, [1, 4, 1])
        for j in 0..<4 {
            var s = 0.0
            for i in 0..<3 { for k in 0..<5 { s += at(i, j, k) } }
            XCTAssertEqual(s02[element: 0, j, 0], s, accuracy: 1e-12)
        }
        XCTAssertEqual(x.sum().scalar, values.reduce(0, +), accuracy: 1e-12)
        XCTAssertEqual(x.mean().scalar, values.reduce(0, +) / 60, accuracy: 1e-12)
        let m = values.reduce(0, +) / 60
        XCTAssertEqual(x.variance().scalar, values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / 60, accuracy: 1e-12)
        XCTAssertEqual(x.variance(correction: 1).scalar, values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / 59, accuracy: 1e-12)
        XCTAssertEqual(x.max().scalar, values.max()!)
        XCTAssertEqual(x.min(alongAxes: [2]).shape, [3, 4])
        let am = x.argmax(alongAxis: 2)
        XCTAssertEqual(am.shape, [3, 4])
        for i in 0..<3 { for j in 0..<4 {
            let row = (0..<5).map { at(i, j, $0) }
            XCTAssertEqual(am.indices[i * 4 + j], row.firstIndex(of: row.max()!)!)
        } }
        let lse = x.logSumExp(alongAxes: [1])
        for i in 0..<3 { for k in 0..<5 {
            XCTAssertEqual(lse[element: i, k], Foundation.log((0..<4).map { Foundation.exp(at(i, $0, k)) }.reduce(0, +)), accuracy: 1e-12)
        } }
        let cs = x.cumulativeSum(alongAxis: 1)
        for i in 0..<3 { for j in 0..<4 { for k in 0..<5 {
            XCTAssertEqual(cs[element: i, j, k], (0...j).map { at(i, $0, k) }.reduce(0, +), accuracy: 1e-12)
        } } }
        // Log-sum-exp of −∞ rows and large values stays finite where it should.
        XCTAssertEqual(Tensor<Double>([-.infinity, -.infinity]).logSumExp().scalar, -.infinity)
        XCTAssertEqual(Tensor<Double>([1000, 1000]).logSumExp().scalar, 1000 + Foundation.log(2), accuracy: 1e-12)
        let sm = Tensor<Double>(rows: [[1, 2, 3], [0, 0, 0]]).softmax()
        assertClose(sm.sum(alongAxis: 1), Tensor([1, 1]), relative: 1e-15)
        XCTAssertTrue(Tensor<Double>([1, .nan, 3]).max().scalar.isNaN)
    }

    /// The single-precision softmax and log-softmax along the last axis (one kernel per row)
    /// against the composed formula exp(x − logsumexp x) in Double, on rows whose lengths cover
    /// whole vectors and tails, with shifts up to ±80; and the edge rows as the formula treats them.
    func testFusedSoftmaxMatchesTheFormula() {
        var random = RandomStream(seed: 3)
        for n in [1, 5, 8, 13, 43, 64] {
            let rows = 7
            let values = (0..<(rows * n)).map { i in Float(random.normal(Double.self) * 4 + Double(i / n) * 20 - 60) }
            let x = Tensor<Float>(shape: [rows, n], scalars: values)
            let reference = Tensor<Double>(shape: [rows, n], scalars: values.map(Double.init))
            let expected = (reference - reference.logSumExp(alongAxes: [1], keepingDimensions: true))
            for (a, b) in zip(x.logSoftmax().scalars, expected.scalars) { XCTAssertEqual(Double(a), b, accuracy: 2e-5 * (1 + abs(b)), "n \(n)") }
            // Relative bound: the row sum of ≤ 64 positive terms in Float ((n − 1)·2⁻²⁴ ≈ 3.8·10⁻⁶), the
            // exponential (3·10⁻⁷) and the final product.
            for (a, b) in zip(x.softmax().scalars, expected.exp().scalars) { XCTAssertEqual(Double(a), b, accuracy: 1e-7 + 5e-6 * b, "n \(n)") }
            // Not the last axis: the composed route, whose exp(x − lse) loses |x|·2⁻²⁴ relative (≤ 5·10⁻⁶ here).
            for (a, b) in zip(x.transposed().softmax(alongAxis: 0).transposed().scalars, x.softmax().scalars) { XCTAssertEqual(a, b, accuracy: 1e-7 + 1e-5 * b) }
        }
        let inf = Float.infinity
        let edge = Tensor<Float>(rows: [[-inf, -inf, -inf], [0, -inf, 1], [1, .nan, 2], [inf, 0, 1]])
        let s = edge.softmax().scalars, l = edge.logSoftmax().scalars
        XCTAssertTrue(s[0..<3].allSatisfy(\.isNaN) && l[0..<3].allSatisfy(\.isNaN), "all −∞: NaN")
        XCTAssertEqual(s[4], 0)
        XCTAssertEqual(l[4], -inf)
        XCTAssertEqual(s[3] + s[5], 1, accuracy: 1e-6)
        XCTAssertTrue(s[6..<9].allSatisfy(\.isNaN), "NaN spreads over its row")
        XCTAssertTrue(s[9].isNaN && s[10] == 0 && s[11] == 0, "+∞ as exp(x − logsumexp x)")
        // The same rows, 11 wide, with the special values inside the first eight lanes (the
        // vector part of the kernel's maximum) rather than in its scalar tail.
        func wide(_ row: [Float]) -> [Float] { row + [Float](repeating: -inf, count: 8) }
        let wideEdge = Tensor<Float>(rows: [wide([-inf, -inf, -inf]), wide([0, -inf, 1]), wide([1, .nan, 2]), wide([inf, 0, 1])])
        let w = wideEdge.softmax().scalars, lw = wideEdge.logSoftmax().scalars
        XCTAssertTrue(w[0..<11].allSatisfy(\.isNaN) && lw[0..<11].allSatisfy(\.isNaN), "all −∞: NaN")
        XCTAssertEqual(w[12], 0)
        XCTAssertEqual(lw[12], -inf)
        XCTAssertEqual(w[11], s[3], "a row's maximum is found in the lanes as in the tail")
        XCTAssertEqual(w[13], s[5])
        XCTAssertTrue(w[22..<33].allSatisfy(\.isNaN), "NaN spreads over its row")
        XCTAssertTrue(w[33].isNaN && w[34] == 0 && w[35] == 0, "+∞ as exp(x − logsumexp x)")
    }

    func testLongSumIsAccurateAndThreadIndependent() {
        let n = 1_000_003
        let x = Tensor<Float>(shape: [n], scalars: (0..<n).map { Float(($0 % 1000)) * 0.001 })
        let exact = (0..<n).map { Double($0 % 1000) * 0.001 }.reduce(0, +)
        let saved = Parallel.threadCount
        Parallel.threadCount = 1
        let one = x.sum().scalar
        Parallel.threadCount = 2
        let two = x.sum().scalar
        Parallel.threadCount = saved
        XCTAssertEqual(one.bitPattern, two.bitPattern)
        XCTAssertEqual(Double(one), exact, accuracy: exact * 1e-6)
    }

    func testGatherScatterConcatenate() {
        let x = Tensor<Double>(shape: [3, 2], scalars: [0, 1, 10, 11, 20, 21])
        XCTAssertEqual(x.indexSelect(alongAxis: 0, indices: [2, 0, 2]).scalars, [20, 21, 0, 1, 20, 21])
        XCTAssertEqual(x.indexSelect(alongAxis: 1, indices: [1]).scalars, [1, 11, 21])
        var acc = Tensor<Double>(zeros: [3, 2])
        acc.indexAdd(alongAxis: 0, indices: [2, 0, 2], values: Tensor(ones: [3, 2]))
        XCTAssertEqual(acc.scalars, [1, 1, 0, 0, 2, 2])
        let g = x.gather(alongAxis: 1, indices: IndexTensor(shape: [3, 1], indices: [1, 0, 1]))
        XCTAssertEqual(g.scalars, [1, 10, 21])
        var s = Tensor<Double>(zeros: [3, 2])
        s.scatterAdd(alongAxis: 1, indices: IndexTensor(shape: [3, 1], indices: [1, 0, 1]), values: Tensor(shape: [3, 1], scalars: [5, 6, 7]))
        XCTAssertEqual(s.scalars, [0, 5, 6, 0, 0, 7])
        let c = Tensor.concatenate([x, x * 2], alongAxis: 1)
        XCTAssertEqual(c.shape, [3, 4])
        XCTAssertEqual(c[1].scalars, [10, 11, 20, 22])
        let st = Tensor.stack([Tensor<Double>([1, 2]), Tensor<Double>([3, 4])], alongAxis: 1)
        XCTAssertEqual(st.scalars, [1, 3, 2, 4])
        XCTAssertEqual(Tensor<Double>([1, 2]).padded(alongAxis: 0, before: 1, after: 2, value: 9).scalars, [9, 1, 2, 9, 9])
    }

    func testEmptyTensors() {
        let e = Tensor<Double>(zeros: [0, 3])
        XCTAssertEqual(e.count, 0)
        XCTAssertEqual((e + 1).shape, [0, 3])
        XCTAssertEqual(e.sum(alongAxis: 0).scalars, [0, 0, 0])
        XCTAssertEqual(e.exp().count, 0)
    }
}
