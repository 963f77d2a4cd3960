import DiffuseTensor
import Foundation

/// Subspace estimation for points near a union of linear subspaces.
public enum SubspaceClustering {
    /// The best d-dimensional subspace through the origin of rows of `x` `[N, n]` (PCA of the
    /// uncentred second moment): the top-d right singular vectors, `[n, d]`. With fewer than d
    /// points the remaining directions are arbitrary orthonormal completions.
    public static func principalSubspace(_ x: Tensor<Double>, dimension d: Int) throws -> Tensor<Double> {
        let n = x.shape[1]
        precondition(d <= n, "subspace dimension \(d) exceeds the ambient dimension \(n)")
        if x.shape[0] == 0 { return Tensor<Double>.identity(n).slice(axis: 1, 0..<d).contiguous() }
        let (_, _, vt) = try x.singularValueDecomposition(full: true)     // vt: [n, n]
        return vt.slice(axis: 0, 0..<d).transposed().contiguous()
    }

    /// The K-subspaces objective Σᵢ maxₖ ‖U_kᵀxᵢ‖² and the assignment that attains it.
    public static func objective(_ x: Tensor<Double>, bases: [Tensor<Double>]) -> (value: Double, labels: [Int]) {
        let energies = bases.map { u -> [Double] in
            let p = matmul(x, u)
            return (p * p).sum(alongAxes: [1]).scalars
        }
        var total = 0.0
        var labels = [Int](repeating: 0, count: x.shape[0])
        for i in 0..<x.shape[0] {
            var best = 0
            for k in 1..<bases.count where energies[k][i] > energies[best][i] { best = k }
            labels[i] = best
            total += energies[best][i]
        }
        return (total, labels)
    }

    /// K-subspaces clustering (the hard-max form of the MoLRG denoiser's training loss, Wang et
    /// al. 2024, Thm. 3): alternate assigning each point to the subspace that captures most of its
    /// energy and refitting each subspace by PCA of its points, from `restarts` random
    /// orthonormal initialisations, keeping the largest objective.
    ///
    /// The first start is spectral: the points are clustered by the leading eigenvectors of their
    /// normalised affinity |cos(xᵢ, xⱼ)| (spectral clustering, Ng, Jordan & Weiss 2001) and each
    /// cluster's PCA seeds one basis; the others are random orthonormal bases. Lloyd-type
    /// alternation only finds local optima, which is why the start matters.
    public static func kSubspaces(_ x: Tensor<Double>, count k: Int, dimension d: Int, restarts: Int = 10, iterations: Int = 50,
                                  key: RandomKey) throws -> (bases: [Tensor<Double>], labels: [Int], objective: Double) {
        let n = x.shape[1]
        var best: (bases: [Tensor<Double>], labels: [Int], objective: Double)? = nil
        let spectral = try spectralLabels(x, count: k, key: key.folding(in: 7777))
        for r in 0...restarts {
            var bases: [Tensor<Double>]
            if r == 0 {
                bases = try (0..<k).map { c in try principalSubspace(Tensor.stack(spectral.indices.filter { spectral[$0] == c }.map { x[$0] }, alongAxis: 0, ifEmpty: [0, n]), dimension: d) }
            } else {
                bases = try (0..<k).map { try Tensor<Double>.randomOrthonormal(rows: n, columns: d, key: key.folding(in: r).folding(in: $0)) }
            }
            var (value, labels) = objective(x, bases: bases)
            for _ in 0..<iterations {
                bases = try (0..<k).map { c in
                    let members = labels.indices.filter { labels[$0] == c }
                    return try principalSubspace(Tensor.stack(members.map { x[$0] }, alongAxis: 0, ifEmpty: [0, n]), dimension: d)
                }
                let (newValue, newLabels) = objective(x, bases: bases)
                let changed = newLabels != labels
                (value, labels) = (newValue, newLabels)
                if !changed { break }
            }
            if best == nil || value > best!.objective + 1e-9 { best = (bases, labels, value) }
        }
        return best!
    }

    /// Spectral clustering of the rows by the affinity |cos(xᵢ, xⱼ)|: the K leading eigenvectors
    /// of D^{−1/2}AD^{−1/2}, rows normalised, grouped by k-means (farthest-point start).
    public static func spectralLabels(_ x: Tensor<Double>, count k: Int, key: RandomKey) throws -> [Int] {
        let m = x.shape[0]
        guard m > k else { return (0..<m).map { $0 % k } }
        let norms = (x * x).sum(alongAxes: [1]).squareRoot().maximum(Tensor(1e-300))
        let unit = x / norms.reshaped([m, 1])
        let affinity = matmul(unit, unit.transposed()).abs()
        let degrees = affinity.sum(alongAxes: [1]).reciprocalSquareRoot()
        let normalised = affinity * degrees.reshaped([m, 1]) * degrees.reshaped([1, m])
        let (_, vectors) = try normalised.symmetricEigendecomposition()          // ascending eigenvalues
        let embedding = vectors.slice(axis: 1, (m - k)..<m).contiguous()
        let rows = (0..<m).map { i -> [Double] in
            let v = embedding[i].scalars
            let norm = Swift.max(v.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-300)
            return v.map { $0 / norm }
        }
        func distance(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }
        var stream = RandomStream(key: key)
        var centres = [rows[stream.integer(below: m)]]
        while centres.count < k {
            let far = (0..<m).max { a, b in centres.map { distance(rows[a], $0) }.min()! < centres.map { distance(rows[b], $0) }.min()! }!
            centres.append(rows[far])
        }
        var labels = [Int](repeating: 0, count: m)
        for _ in 0..<100 {
            let next = rows.map { r in (0..<k).min { distance(r, centres[$0]) < distance(r, centres[$1]) }! }
            if next == labels && centres.count == k { break }
            labels = next
            for c in 0..<k {
                let members = rows.indices.filter { labels[$0] == c }
                guard !members.isEmpty else { continue }
                centres[c] = (0..<k).map { j in members.reduce(0) { $0 + rows[$1][j] } / Double(members.count) }
            }
        }
        return labels
    }

    /// The sine of the largest principal angle between the column spans of two orthonormal
    /// bases of equal dimension: √(1 − σ_min(UᵀV)²).
    public static func largestPrincipalAngleSine(_ u: Tensor<Double>, _ v: Tensor<Double>) throws -> Double {
        let s = try matmul(u.transposed(), v).singularValueDecomposition().singularValues.scalars
        let smallest = Swift.min(s.min() ?? 0, 1)
        return (1 - smallest * smallest).squareRoot()
    }

    /// Whether estimated subspaces match the true ones up to a permutation: the best matching's
    /// largest principal-angle sine is below `tolerance`.
    public static func recovers(_ estimated: [Tensor<Double>], truth: [Tensor<Double>], tolerance: Double = 1e-4) throws -> Bool {
        precondition(estimated.count == truth.count, "as many estimates as true subspaces")
        let k = truth.count
        var sines = [[Double]](repeating: [Double](repeating: 1, count: k), count: k)
        for i in 0..<k { for j in 0..<k { sines[i][j] = try largestPrincipalAngleSine(estimated[i], truth[j]) } }
        // Greedy is enough: a recovered subspace is within tolerance of exactly one true one.
        var used = Set<Int>()
        for i in 0..<k {
            guard let j = (0..<k).filter({ !used.contains($0) }).min(by: { sines[i][$0] < sines[i][$1] }), sines[i][j] < tolerance else { return false }
            used.insert(j)
        }
        return true
    }
}

extension Tensor {
    /// Stacks rows; an empty list gives a tensor of shape `ifEmpty`.
    static func stack(_ rows: [Tensor], alongAxis axis: Int, ifEmpty shape: [Int]) -> Tensor {
        rows.isEmpty ? Tensor(zeros: shape) : Tensor.stack(rows, alongAxis: axis)
    }
}
