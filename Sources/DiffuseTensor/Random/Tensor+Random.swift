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
    /// eight normals per two Philox blocks; `Double` rows use ``RandomStream/normal(_:)``.
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

/// Standard normals for one stream: block pair i (counters 2i and 2i+1 of `key`) gives eight
/// values, (r cos θ, r sin θ) for four (u₁, u₂) pairs with r = √(−2 log u₁), θ = 2πu₂.
private func fillNormalFloat(_ out: UnsafeMutableBufferPointer<Float>, key: RandomKey) {
    let n = out.count
    var i = 0
    var counter: UInt32 = 0
    let scale: Float = 0x1p-23
    while i < n {
        let a = Philox4x32.block(counter: SIMD4(counter, 0, 0, 0), key: key.words)
        let b = Philox4x32.block(counter: SIMD4(counter &+ 1, 0, 0, 0), key: key.words)
        counter &+= 2
        // u₁ in (0, 1] from a, u₂ in [0, 1) from b; each lane pair (j, j+4) shares (u₁, u₂).
        let wordsA = SIMD8<UInt32>(a.x, a.y, a.z, a.w, a.x, a.y, a.z, a.w)
        let wordsB = SIMD8<UInt32>(b.x, b.y, b.z, b.w, b.x, b.y, b.z, b.w)
        // The top 23 bits as a float: or them into the mantissa of 2²³ and subtract 2²³
        // (no int→float conversion).
        let ua = unsafeBitCast((wordsA &>> 9) | 0x4B00_0000, to: SIMD8<Float>.self) - 8_388_608
        let ub = unsafeBitCast((wordsB &>> 9) | 0x4B00_0000, to: SIMD8<Float>.self) - 8_388_608
        let u1 = (ua + 1) * scale
        let u2 = ub * scale
        let r = (-2 * FastMath.log(u1)).squareRoot()
        let (s, c) = FastMath.sinCosTurns(u2)
        let z = r * SIMD8(lowHalf: c.lowHalf, highHalf: s.highHalf)
        let m = Swift.min(8, n - i)
        if m == 8 {
            UnsafeMutableRawPointer(out.baseAddress! + i).storeBytes(of: z, as: SIMD8<Float>.self)
        } else {
            for j in 0..<m { out[i + j] = z[j] }
        }
        i += 8
    }
}
