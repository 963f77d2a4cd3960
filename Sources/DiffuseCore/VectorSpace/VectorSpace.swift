import DiffuseTensor

/// What a solver needs of a state: adding, subtracting and scaling by a real number.
///
/// Solvers, guidance terms and likelihood routines are written against this protocol, never
/// against a tensor layout: a `Tensor` (a whole batch is one state), a `[Double]` and a SIMD
/// vector all conform, and a solver gives the same numbers on each (every conformance evaluates
/// ``linearCombination(_:_:)`` as the same left-to-right sum of products).
///
/// Naming follows the Swift API Design Guidelines and swift-apis' `VectorProtocol`:
/// `scaled(by:)` is the non-mutating form. The requirements are named methods, not `+` and
/// `-`: declaring those operators for `[Double]` would silently replace array concatenation
/// with elementwise addition in every file that imports DiffuseCore.
public protocol VectorSpace: Sendable {
    /// The real field.
    associatedtype Scalar: TensorScalar

    /// `self + other`.
    func adding(_ other: Self) -> Self
    /// `self − other`.
    func subtracting(_ other: Self) -> Self
    /// `self · factor`.
    func scaled(by factor: Scalar) -> Self

    /// Σₖ coefficients[k] · vectors[k], evaluated left to right in one pass where possible
    /// (multistep solvers combine several states per step).
    static func linearCombination(_ coefficients: [Scalar], _ vectors: [Self]) -> Self

    /// Whether every component is finite (samplers stop with a status when one is not).
    var isFinite: Bool { get }
}

extension VectorSpace {
    public static func linearCombination(_ coefficients: [Scalar], _ vectors: [Self]) -> Self {
        precondition(!vectors.isEmpty && coefficients.count == vectors.count, "linearCombination needs matching, non-empty lists")
        var result = vectors[0].scaled(by: coefficients[0])
        for k in 1..<vectors.count { result = result.adding(vectors[k].scaled(by: coefficients[k])) }
        return result
    }

    /// a·x + b·y.
    @inlinable
    public static func combine(_ a: Double, _ x: Self, _ b: Double, _ y: Self) -> Self {
        linearCombination([Scalar(a), Scalar(b)], [x, y])
    }

    /// The zero vector of the same shape.
    public var zeroLike: Self { scaled(by: 0) }
}

/// A vector space with an inner product, for methods that need norms (adaptive step control,
/// cosine similarity in adaptive guidance, likelihood estimators).
public protocol InnerProductSpace: VectorSpace {
    /// The Euclidean inner product over all components.
    func innerProduct(_ other: Self) -> Double
    /// The number of real components.
    var dimension: Int { get }
    /// Elementwise product (Hadamard), used by Hutchinson estimators and masks.
    func elementwiseProduct(_ other: Self) -> Self
}

extension InnerProductSpace {
    /// The Euclidean norm.
    public var norm: Double { innerProduct(self).squareRoot() }
}

/// States that can produce Gaussian noise of their own shape, for stochastic samplers.
///
/// Noise for a batch must not depend on the batch size: a `Tensor`'s row i is drawn from
/// `key.folding(in: sampleOffset + i)`, so sample i receives the same noise in any batch.
public protocol NoiseSampleable: InnerProductSpace {
    /// Standard normal noise shaped like `self`.
    func standardNormal(key: RandomKey, sampleOffset: Int) -> Self
    /// Rademacher (±1) noise shaped like `self`, for Hutchinson trace estimators.
    func rademacher(key: RandomKey, sampleOffset: Int) -> Self
}

// MARK: - Conformances

extension Tensor: VectorSpace {
    public func adding(_ other: Tensor) -> Tensor { self + other }
    public func subtracting(_ other: Tensor) -> Tensor { self - other }
    public func scaled(by factor: Scalar) -> Tensor { self * factor }

}

extension Tensor: InnerProductSpace {
    public func innerProduct(_ other: Tensor) -> Double { Double((self * other).sum().scalar) }
    public var dimension: Int { count }
    public func elementwiseProduct(_ other: Tensor) -> Tensor { self * other }
}

extension Tensor: NoiseSampleable {
    public func standardNormal(key: RandomKey, sampleOffset: Int) -> Tensor {
        Tensor.randomNormal(shape: shape, key: key, sampleOffset: sampleOffset)
    }
    public func rademacher(key: RandomKey, sampleOffset: Int) -> Tensor {
        Tensor.randomRademacher(shape: shape, key: key, sampleOffset: sampleOffset)
    }
}

extension Array: VectorSpace where Element: TensorScalar {
    public typealias Scalar = Element

    public var isFinite: Bool { allSatisfy(\.isFinite) }

    public func adding(_ other: [Element]) -> [Element] {
        precondition(count == other.count, "adding arrays of lengths \(count) and \(other.count)")
        return (0..<count).map { self[$0] + other[$0] }
    }
    public func subtracting(_ other: [Element]) -> [Element] {
        precondition(count == other.count, "subtracting arrays of lengths \(count) and \(other.count)")
        return (0..<count).map { self[$0] - other[$0] }
    }
    public func scaled(by factor: Element) -> [Element] { map { $0 * factor } }

    public static func linearCombination(_ coefficients: [Element], _ vectors: [[Element]]) -> [Element] {
        precondition(!vectors.isEmpty && coefficients.count == vectors.count, "linearCombination needs matching, non-empty lists")
        return (0..<vectors[0].count).map { i in
            var s = vectors[0][i] * coefficients[0]
            for k in 1..<vectors.count { s = s + vectors[k][i] * coefficients[k] }
            return s
        }
    }
}

extension Array: InnerProductSpace where Element: TensorScalar {
    public func innerProduct(_ other: [Element]) -> Double { zip(self, other).reduce(0) { $0 + Double($1.0) * Double($1.1) } }
    public var dimension: Int { count }
    public func elementwiseProduct(_ other: [Element]) -> [Element] { zip(self, other).map { $0 * $1 } }
}

extension Array: NoiseSampleable where Element: TensorScalar {
    /// The whole array is one sample: drawn from `key.folding(in: sampleOffset)`.
    public func standardNormal(key: RandomKey, sampleOffset: Int) -> [Element] {
        var stream = RandomStream(key: key.folding(in: sampleOffset))
        return map { _ in stream.normal(Element.self) }
    }
    public func rademacher(key: RandomKey, sampleOffset: Int) -> [Element] {
        var stream = RandomStream(key: key.folding(in: sampleOffset))
        return map { _ in stream.nextUInt32() & 1 == 0 ? -1 : 1 }
    }
}

/// SIMD vectors of Float or Double are vector spaces (one sample per vector).
public protocol SIMDVectorSpace: SIMD, InnerProductSpace, NoiseSampleable where Scalar: TensorScalar {}

extension SIMDVectorSpace {
    public func adding(_ other: Self) -> Self { self + other }
    public func subtracting(_ other: Self) -> Self { self - other }
    public func scaled(by factor: Scalar) -> Self { self * factor }

    public var isFinite: Bool { (0..<scalarCount).allSatisfy { self[$0].isFinite } }

    public static func linearCombination(_ coefficients: [Scalar], _ vectors: [Self]) -> Self {
        precondition(!vectors.isEmpty && coefficients.count == vectors.count, "linearCombination needs matching, non-empty lists")
        var result = Self()
        for i in 0..<result.scalarCount {
            var s = vectors[0][i] * coefficients[0]
            for k in 1..<vectors.count { s = s + vectors[k][i] * coefficients[k] }
            result[i] = s
        }
        return result
    }

    public func innerProduct(_ other: Self) -> Double {
        var s = 0.0
        for i in 0..<scalarCount { s += Double(self[i]) * Double(other[i]) }
        return s
    }
    public var dimension: Int { scalarCount }
    public func elementwiseProduct(_ other: Self) -> Self { self * other }

    public func standardNormal(key: RandomKey, sampleOffset: Int) -> Self {
        var stream = RandomStream(key: key.folding(in: sampleOffset))
        var result = Self()
        for i in 0..<scalarCount { result[i] = stream.normal(Scalar.self) }
        return result
    }
    public func rademacher(key: RandomKey, sampleOffset: Int) -> Self {
        var stream = RandomStream(key: key.folding(in: sampleOffset))
        var result = Self()
        for i in 0..<scalarCount { result[i] = stream.nextUInt32() & 1 == 0 ? -1 : 1 }
        return result
    }
}

extension SIMD2: VectorSpace, InnerProductSpace, NoiseSampleable, SIMDVectorSpace where Scalar: TensorScalar {}
extension SIMD4: VectorSpace, InnerProductSpace, NoiseSampleable, SIMDVectorSpace where Scalar: TensorScalar {}
extension SIMD8: VectorSpace, InnerProductSpace, NoiseSampleable, SIMDVectorSpace where Scalar: TensorScalar {}
extension SIMD16: VectorSpace, InnerProductSpace, NoiseSampleable, SIMDVectorSpace where Scalar: TensorScalar {}
