import XCTest
import _DiffuseTestSupport
@testable import DiffuseTensor

/// LAPACK and BLAS results checked against the identities that define them, in Float and Double.
final class LinearAlgebraTests: XCTestCase {
    private func random<S: TensorScalar>(_: S.Type, _ shape: [Int], seed: UInt64) -> Tensor<S> {
        Tensor<S>.randomNormal(shape: shape, key: RandomKey(seed: seed))
    }

    private func spd<S: TensorScalar>(_: S.Type, n: Int, seed: UInt64) -> Tensor<S> {
        let g = random(S.self, [n, n], seed: seed)
        return matmul(g, g.transposed()) + Tensor<S>.identity(n) * S(n)
    }

    private func naiveProduct<S: TensorScalar>(_ a: Tensor<S>, _ b: Tensor<S>) -> Tensor<S> {
        let m = a.shape[0], k = a.shape[1], n = b.shape[1]
        var c = [S](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n { var s = 0.0; for l in 0..<k { s += Double(a[element: i, l]) * Double(b[element: l, j]) }; c[i * n + j] = S(s) } }
        return Tensor(shape: [m, n], scalars: c)
    }

    private func checkMatmul<S: TensorScalar>(_: S.Type) {
        let tol = epsilon(S.self) * 100
        let a = random(S.self, [7, 5], seed: 1), b = random(S.self, [5, 6], seed: 2)
        assertClose(matmul(a, b), naiveProduct(a, b), absolute: tol, relative: tol)
        // Transposed views go to BLAS without copies and give the same product.
        let at = random(S.self, [5, 7], seed: 3)
        assertClose(matmul(at.transposed(), b), naiveProduct(at.transposed().contiguous(), b), absolute: tol, relative: tol)
        let bt = random(S.self, [6, 5], seed: 4)
        assertClose(matmul(a, bt.transposed()), naiveProduct(a, bt.transposed().contiguous()), absolute: tol, relative: tol)
        // A strided view BLAS cannot describe is copied.
        let wide = random(S.self, [7, 10], seed: 5)
        let every2 = wide.strided(axis: 1, step: 2)
        assertClose(matmul(every2, b), naiveProduct(every2.contiguous(), b), absolute: tol, relative: tol)
        // Batched with broadcasting and vectors.
        let batch = random(S.self, [3, 1, 4, 5], seed: 6)
        let right = random(S.self, [2, 5, 3], seed: 7)
        let p = matmul(batch, right)
        XCTAssertEqual(p.shape, [3, 2, 4, 3])
        for i in 0..<3 { for j in 0..<2 {
            assertClose(p[i][j], naiveProduct(batch[i][0].contiguous(), right[j].contiguous()), absolute: tol, relative: tol)
        } }
        let v = random(S.self, [5], seed: 8)
        XCTAssertEqual(matmul(a, v).shape, [7])
        XCTAssertEqual(matmul(v, b).shape, [6])
        // Accumulation: c ← 2ab + c.
        var c = Tensor<S>(ones: [7, 6])
        matmul(a, b, into: &c, alpha: 2, beta: 1)
        assertClose(c, naiveProduct(a, b) * 2 + 1, absolute: tol, relative: tol)
    }

    func testMatmulFloat() { checkMatmul(Float.self) }
    func testMatmulDouble() { checkMatmul(Double.self) }

    private func checkDecompositions<S: TensorScalar>(_: S.Type) throws {
        let tol = epsilon(S.self) * 1000
        let n = 6
        let a = spd(S.self, n: n, seed: 10)
        // Cholesky: A = L Lᵀ with L lower triangular.
        let l = try a.cholesky()
        assertClose(matmul(l, l.transposed()), a, absolute: tol * 10, relative: tol)
        for i in 0..<n { for j in (i + 1)..<n { XCTAssertEqual(l[element: i, j], 0) } }
        // Symmetric eigendecomposition: A V = V Λ, Vᵀ V = I, ascending.
        let (w, v) = try a.symmetricEigendecomposition()
        assertClose(matmul(a, v), v * w, absolute: tol * 10, relative: tol)
        assertClose(matmul(v.transposed(), v), Tensor.identity(n), absolute: tol)
        XCTAssertEqual(w.scalars, w.scalars.sorted())
        // SVD, thin and full: U Σ Vᵀ = A with orthonormal factors.
        let g = random(S.self, [7, 4], seed: 11)
        let (u, s, vt) = try g.singularValueDecomposition()
        XCTAssertEqual(u.shape, [7, 4]); XCTAssertEqual(vt.shape, [4, 4])
        assertClose(matmul(u * s, vt), g, absolute: tol, relative: tol)
        assertClose(matmul(u.transposed(), u), Tensor.identity(4), absolute: tol)
        XCTAssertEqual(s.scalars, s.scalars.sorted(by: >))
        let (uf, sf, vtf) = try g.transposed().contiguous().singularValueDecomposition(full: true)
        XCTAssertEqual(uf.shape, [4, 4]); XCTAssertEqual(vtf.shape, [7, 7])
        assertClose(matmul(vtf.transposed(), vtf), Tensor.identity(7), absolute: tol)
        assertClose(matmul(uf * sf, vtf.slice(axis: 0, 0..<4)), g.transposed().contiguous(), absolute: tol, relative: tol)
        // QR: Q R = A, Qᵀ Q = I, R upper triangular (tall and wide).
        for shape in [[7, 4], [3, 5]] {
            let m = random(S.self, shape, seed: 12)
            let (q, r) = try m.qrDecomposition()
            let k = min(shape[0], shape[1])
            XCTAssertEqual(q.shape, [shape[0], k]); XCTAssertEqual(r.shape, [k, shape[1]])
            assertClose(matmul(q, r), m, absolute: tol, relative: tol)
            assertClose(matmul(q.transposed(), q), Tensor.identity(k), absolute: tol)
            for i in 0..<k { for j in 0..<min(i, shape[1]) { XCTAssertEqual(r[element: i, j], 0) } }
        }
        // Least squares: the residual is orthogonal to the columns (normal equations).
        let design = random(S.self, [12, 3], seed: 13), rhs = random(S.self, [12], seed: 14)
        let (x, rank, _) = try design.leastSquares(rhs)
        XCTAssertEqual(rank, 3)
        let residual = rhs - matmul(design, x)
        assertClose(matmul(design.transposed(), residual), Tensor(zeros: [3]), absolute: tol * 10)
        // Solves.
        let b = random(S.self, [n, 2], seed: 15)
        assertClose(matmul(a, try a.solve(b)), b, absolute: tol * 10, relative: tol)
        assertClose(matmul(a, try l.choleskySolve(b)), b, absolute: tol * 10, relative: tol)
        assertClose(matmul(l, try l.solveTriangular(b, lower: true)), b, absolute: tol * 10, relative: tol)
        assertClose(matmul(l.transposed(), try l.solveTriangular(b, lower: true, transposed: true)), b, absolute: tol * 10, relative: tol)
        assertClose(matmul(a, try a.inverse()), Tensor.identity(n), absolute: tol * 10)
        // Determinants: log det from LU equals Σ log λ and 2 Σ log Lᵢᵢ.
        let (sign, logAbs) = try a.logDeterminant()
        XCTAssertEqual(sign, 1)
        assertClose(Double(logAbs), w.scalars.map { Foundation.log(Double($0)) }.reduce(0, +), relative: tol)
        assertClose(Double(try a.choleskyLogDeterminant()), Double(logAbs), relative: tol)
        let (negSign, _) = try (a * -1).logDeterminant()
        XCTAssertEqual(negSign, 1)  // n is even
        // PSD square root: R R = A.
        let root = try a.psdSquareRoot()
        assertClose(matmul(root, root), a, absolute: tol * 10, relative: tol * 10)
        // Random orthonormal bases.
        let basis = try Tensor<S>.randomOrthonormal(rows: 9, columns: 4, key: RandomKey(seed: 16))
        assertClose(matmul(basis.transposed(), basis), Tensor.identity(4), absolute: tol)
    }

    func testDecompositionsFloat() throws { try checkDecompositions(Float.self) }
    func testDecompositionsDouble() throws { try checkDecompositions(Double.self) }

    func testFailuresAreThrownErrors() {
        let notPD = Tensor<Double>(rows: [[1, 2], [2, 1]])
        XCTAssertThrowsError(try notPD.cholesky()) { error in
            XCTAssertEqual(error as? LinearAlgebraError, .notPositiveDefinite(routine: "dpotrf", info: 2))
            XCTAssertTrue("\(error)".contains("dpotrf"))
            XCTAssertTrue("\(error)".contains("info = 2"))
        }
        XCTAssertThrowsError(try Tensor<Float>(rows: [[1, 2], [2, 4]]).solve(Tensor([1, 1]))) { error in
            XCTAssertEqual(error as? LinearAlgebraError, .singular(routine: "sgesv", info: 2))
        }
        XCTAssertThrowsError(try Tensor<Double>(rows: [[1, .nan], [0, 1]]).symmetricEigendecomposition()) { error in
            XCTAssertEqual(error as? LinearAlgebraError, .nonFiniteInput(routine: "dsyevd"))
        }
        XCTAssertThrowsError(try Tensor<Double>(zeros: [2, 3]).cholesky()) { error in
            guard case .shapeMismatch(let routine, _) = error as? LinearAlgebraError else { return XCTFail("\(error)") }
            XCTAssertEqual(routine, "dpotrf")
        }
        XCTAssertThrowsError(try Tensor<Double>.identity(3).solve(Tensor(zeros: [2])))
        let singular = try? Tensor<Double>(rows: [[1, 2], [2, 4]]).logDeterminant()
        XCTAssertEqual(singular?.sign, 0)
        XCTAssertEqual(singular?.logAbsoluteValue, -.infinity)
    }
}
