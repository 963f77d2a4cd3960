import _DiffuseKernels

// Random tensors with one stream per sample: row i (index i along the first axis) of every
// random tensor is drawn from `key.folding(in: sampleOffset + i)`, so a sample's values do not
// depend on how many samples are drawn together or on how many threads fill them.

extension Tensor {
    /// Fills rows in parallel, each from its own stream.
    private static func randomRows(shape: [Int], key: RandomKey, sampleOffset: Int,
                                   fill: (inout RandomStream, UnsafeMutableBufferPointer<Scalar>) -> Void) -> Tensor {
        let rows = shape.first ?? 1
        let rowLength = shape.isEmpty ? 1 : Shape.count(of: Array(shape.dropFirst()))
        return Tensor(shape: shape) { out in
            let base = out.baseAddress!
            Parallel.forEachChunk(count: rows, minimumChunk: Swift.max(1, 4096 / Swift.max(rowLength, 1))) { r in
                for i in r {
                    var stream = RandomStream(key: key.folding(in: sampleOffset + i))
                    fill(&stream, UnsafeMutableBufferPointer(start: base + i * rowLength, count: rowLength))
                }
            }
        }
    }

    /// Independent standard normal draws.
    ///
    /// - Parameters:
    ///   - shape: the shape; the first axis indexes samples.
    ///   - key: the root key.
    ///   - sampleOffset: the global index of the first row, so that rows `a..<b` drawn on
    ///     their own equal rows `a..<b` of a larger draw.
    ///
    /// `Float` rows use a vectorised Box–Muller transform on 23-bit uniforms, sixteen normals per
    /// four Philox blocks (the C kernel `diffuse_fill_normal`, which has an AVX2 version);
    /// `Double` rows use ``RandomStream/normal(_:)``.
    public static func randomNormal(shape: [Int], key: RandomKey, sampleOffset: Int = 0) -> Tensor {
        randomRows(shape: shape, key: key, sampleOffset: sampleOffset) { stream, row in
            switch ScalarKind.of(Scalar.self) {
            case .float:
                let p = UnsafeMutableRawPointer(row.baseAddress!).assumingMemoryBound(to: Float.self)
                diffuse_fill_normal(p, row.count, stream.key.words.x, stream.key.words.y)
            case .double:
                let p = UnsafeMutableRawPointer(row.baseAddress!).assumingMemoryBound(to: Double.self)
                for j in 0..<row.count { p[j] = stream.normal(Double.self) }
            }
        }
    }

    /// Independent draws from N(mean, standardDeviation²).
    public static func randomNormal(shape: [Int], mean: Scalar, standardDeviation: Scalar, key: RandomKey, sampleOffset: Int = 0) -> Tensor {
        randomNormal(shape: shape, key: key, sampleOffset: sampleOffset).affine(scale: standardDeviation, shift: mean)
    }

    /// Independent uniform draws from `range` (default [0, 1)).
    public static func randomUniform(shape: [Int], in range: Range<Scalar> = 0..<1, key: RandomKey, sampleOffset: Int = 0) -> Tensor {
        randomRows(shape: shape, key: key, sampleOffset: sampleOffset) { stream, row in
            for j in 0..<row.count { row[j] = stream.uniform(in: range) }
        }
    }

    /// Independent Rademacher draws (±1 with equal probability).
    public static func randomRademacher(shape: [Int], key: RandomKey, sampleOffset: Int = 0) -> Tensor {
        randomRows(shape: shape, key: key, sampleOffset: sampleOffset) { stream, row in
            for j in 0..<row.count { row[j] = stream.nextUInt32() & 1 == 0 ? -1 : 1 }
        }
    }

    /// One categorical draw per row of a `[rows, categories]` logit matrix (Gumbel-max in
    /// `Double`), row i from stream `key.folding(in: sampleOffset + i)`.
    public func sampleCategorical(logitsKey key: RandomKey, sampleOffset: Int = 0) -> [Int] {
        precondition(rank == 2, "sampleCategorical needs [rows, categories] logits, got \(shape)")
        let rows = shape[0], v = shape[1]
        let x = contiguous()
        var result = [Int](repeating: 0, count: rows)
        x.withUnsafeBufferPointer { p in
            result.withUnsafeMutableBufferPointer { out in
                Parallel.forEachChunk(count: rows, minimumChunk: 16) { r in
                    for i in r {
                        var stream = RandomStream(key: key.folding(in: sampleOffset + i))
                        out[i] = stream.categorical(logits: UnsafeBufferPointer(rebasing: p[(i * v)..<((i + 1) * v)]))
                    }
                }
            }
        }
        return result
    }

    /// A matrix with orthonormal columns drawn from the Haar measure: the Q factor of a
    /// Gaussian matrix with the signs of R's diagonal folded in (Mezzadri 2007).
    public static func randomOrthonormal(rows: Int, columns: Int, key: RandomKey) throws -> Tensor {
        precondition(columns <= rows, "an orthonormal basis of \(columns) vectors needs at least \(columns) rows")
        let g = Tensor.randomNormal(shape: [rows, columns], key: key)
        let (q, r) = try g.qrDecomposition()
        let signs = r.diagonalPart().sign().maximum(Tensor(-1)).scalars.map { $0 == 0 ? Scalar(1) : $0 }
        return q * Tensor(signs)
    }
}
