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
    /// `Float` rows use a vectorised Box–Muller transform (see `FastMath`) on 23-bit uniforms,
    /// sixteen normals per four Philox blocks; `Double` rows use ``RandomStream/normal(_:)``.
    public static func randomNormal(shape: [Int], key: RandomKey, sampleOffset: Int = 0) -> Tensor {
        randomRows(shape: shape, key: key, sampleOffset: sampleOffset) { stream, row in
            switch ScalarKind.of(Scalar.self) {
            case .float:
                let p = UnsafeMutableRawPointer(row.baseAddress!).assumingMemoryBound(to: Float.self)
                fillNormalFloat(UnsafeMutableBufferPointer(start: p, count: row.count), key: stream.key)
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

/// Standard normals for one stream by the Box–Muller transform on 23-bit uniforms. Iteration i
/// takes Philox blocks 4i…4i+3 of `key` (four in SIMD lanes): their first two words give eight
/// u₁ ∈ (0, 1], their last two eight u₂ ∈ [0, 1); r = √(−2 log u₁) and (r cos 2πu₂, r sin 2πu₂)
/// fill 16 outputs (cosines first).
private func fillNormalFloat(_ out: UnsafeMutableBufferPointer<Float>, key: RandomKey) {
    let n = out.count
    var counter: UInt32 = 0
    var i = 0
    let o = out.baseAddress!
    while i < n {
        let (w0, w1, w2, w3) = Philox4x32.blocks(counters: SIMD4(counter, counter &+ 1, counter &+ 2, counter &+ 3), key: key.words)
        counter &+= 4
        // The top 23 bits as floats: or them into the mantissa of 2²³ and subtract 2²³.
        let bits1 = (SIMD8(lowHalf: w0, highHalf: w1) &>> 9) | 0x4B00_0000
        let bits2 = (SIMD8(lowHalf: w2, highHalf: w3) &>> 9) | 0x4B00_0000
        let u1 = (unsafeBitCast(bits1, to: SIMD8<Float>.self) - 8_388_607) * 0x1p-23
        let u2 = (unsafeBitCast(bits2, to: SIMD8<Float>.self) - 8_388_608) * 0x1p-23
        let r = FastMath.squareRoot(-2 * FastMath.log(u1))
        let (s, c) = FastMath.sinCosTurns(u2)
        let zc = r * c, zs = r * s
        if i + 16 <= n {
            UnsafeMutableRawPointer(o + i).storeBytes(of: zc, as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(o + i + 8).storeBytes(of: zs, as: SIMD8<Float>.self)
        } else {
            for j in 0..<Swift.min(8, n - i) { o[i + j] = zc[j] }
            for j in 0..<Swift.max(0, Swift.min(8, n - i - 8)) { o[i + 8 + j] = zs[j] }
        }
        i += 16
    }
}
