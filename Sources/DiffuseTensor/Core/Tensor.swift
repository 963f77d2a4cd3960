/// A dense n-dimensional array of `Float` or `Double` with value semantics.
///
/// Storage is row-major and shared between copies until one is mutated (copy-on-write).
/// A tensor is a *view*: a shape, strides (in elements, possibly zero for broadcast axes) and an
/// offset into a buffer, so slicing, transposing and broadcasting do not copy. Operations that
/// need contiguous memory (BLAS with an unusual layout, FFTW, file output) make a contiguous copy
/// only when the view is not already contiguous.
///
/// ```swift
/// let x = Tensor<Double>(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
/// let y = (x * 2 + 1).exp().sum(alongAxes: [1])   // shape [2]
/// let xt = x.transposed()                            // a view, no copy
/// ```
public struct Tensor<Scalar: TensorScalar>: @unchecked Sendable {
    @usableFromInline var buffer: TensorBuffer<Scalar>
    /// The size of each axis.
    public private(set) var shape: [Int]
    /// The distance, in elements, between neighbours along each axis.
    public private(set) var strides: [Int]
    @usableFromInline var offset: Int

    @usableFromInline
    init(buffer: TensorBuffer<Scalar>, shape: [Int], strides: [Int], offset: Int) {
        self.buffer = buffer
        self.shape = shape
        self.strides = strides
        self.offset = offset
    }

    /// A contiguous tensor over a fresh, uninitialized buffer; `body` must write every element.
    @inlinable
    public init(shape: [Int], unsafeUninitializedScalars body: (UnsafeMutableBufferPointer<Scalar>) throws -> Void) rethrows {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        let count = Shape.count(of: shape)
        let buffer = TensorBuffer<Scalar>(uninitializedCount: count)
        try body(UnsafeMutableBufferPointer(start: buffer.pointer, count: count))
        self.init(buffer: buffer, shape: shape, strides: Shape.contiguousStrides(for: shape), offset: 0)
    }

    /// A tensor of the given shape with every element equal to `value`.
    public init(shape: [Int], repeating value: Scalar) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        let count = Shape.count(of: shape)
        self.init(buffer: TensorBuffer(repeating: value, count: count), shape: shape,
                  strides: Shape.contiguousStrides(for: shape), offset: 0)
    }

    /// A tensor of zeros.
    public init(zeros shape: [Int]) {
        self.init(shape: shape, repeating: 0)
    }

    /// A tensor of ones.
    public init(ones shape: [Int]) {
        self.init(shape: shape, repeating: 1)
    }

    /// A tensor with the given shape and elements in row-major order.
    public init<C: Collection>(shape: [Int], scalars: C) where C.Element == Scalar {
        let count = Shape.count(of: shape)
        precondition(scalars.count == count,
                     "shape \(shape) needs \(count) elements, got \(scalars.count)")
        self.init(shape: shape) { out in
            _ = out.initialize(from: scalars)
        }
    }

    /// A one-dimensional tensor.
    public init(_ scalars: [Scalar]) {
        self.init(shape: [scalars.count], scalars: scalars)
    }

    /// A zero-dimensional tensor holding one value.
    public init(_ scalar: Scalar) {
        self.init(shape: [], repeating: scalar)
    }

    /// A two-dimensional tensor from rows of equal length.
    public init(rows: [[Scalar]]) {
        let columns = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == columns }, "rows have different lengths")
        self.init(shape: [rows.count, columns], scalars: rows.joined())
    }

    /// Converts the element type (for example `Float` to `Double`).
    ///
    /// The two conversions between `Float` and `Double` run as concrete loops (a generic element
    /// conversion would go through witness tables for every element).
    public init<Other: TensorScalar>(_ other: Tensor<Other>) {
        let source = other.contiguous()
        if let same = source as? Tensor<Scalar> {
            self = same
            return
        }
        switch ScalarKind.of(Scalar.self) {
        case .float:
            let double = source as! Tensor<Double>
            let converted = Tensor<Float>(shape: double.shape) { out in
                double.withUnsafeBufferPointer { src in for i in 0..<src.count { out[i] = Float(src[i]) } }
            }
            self = converted as! Tensor<Scalar>
        case .double:
            let float = source as! Tensor<Float>
            let converted = Tensor<Double>(shape: float.shape) { out in
                float.withUnsafeBufferPointer { src in for i in 0..<src.count { out[i] = Double(src[i]) } }
            }
            self = converted as! Tensor<Scalar>
        }
    }

    // MARK: - Properties

    /// The number of axes.
    @inlinable public var rank: Int { shape.count }

    /// The number of elements.
    @inlinable public var count: Int { Shape.count(of: shape) }

    /// Whether the elements are laid out densely in row-major order (no gaps, no broadcasting).
    public var isContiguous: Bool {
        var expected = 1
        var i = shape.count - 1
        while i >= 0 {
            if shape[i] != 1 && strides[i] != expected { return false }
            expected &*= shape[i]
            i -= 1
        }
        return true
    }

    /// The elements in row-major order.
    public var scalars: [Scalar] {
        let c = contiguous()
        return c.withUnsafeBufferPointer { Array($0) }
    }

    /// The single element of a tensor with one element.
    public var scalar: Scalar {
        precondition(count == 1, "`scalar` needs exactly one element, shape is \(shape)")
        return buffer.pointer[offset]
    }

    /// A contiguous tensor with the same elements (the tensor itself when already contiguous).
    public func contiguous() -> Tensor {
        if isContiguous {
            if strides == Shape.contiguousStrides(for: shape) { return self }
            return Tensor(buffer: buffer, shape: shape, strides: Shape.contiguousStrides(for: shape), offset: offset)
        }
        var result = Tensor(buffer: TensorBuffer(uninitializedCount: count), shape: shape,
                            strides: Shape.contiguousStrides(for: shape), offset: 0)
        Kernels.copy(from: self, into: &result)
        return result
    }

    // MARK: - Raw access

    /// Calls `body` with the elements in row-major order, making a contiguous copy first if needed.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Scalar>) throws -> R) rethrows -> R {
        let c = contiguous()
        return try withExtendedLifetime(c) {
            try body(UnsafeBufferPointer(start: c.buffer.pointer + c.offset, count: c.count))
        }
    }

    /// Calls `body` with mutable row-major storage, first making the storage unique and contiguous.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Scalar>) throws -> R) rethrows -> R {
        makeUniqueAndContiguous()
        return try body(UnsafeMutableBufferPointer(start: buffer.pointer + offset, count: count))
    }

    /// Ensures that this tensor owns its storage alone and that the storage is contiguous.
    @usableFromInline
    mutating func makeUniqueAndContiguous() {
        if isKnownUniquelyReferenced(&buffer) && isContiguous && strides == Shape.contiguousStrides(for: shape) {
            return
        }
        var copy = Tensor(buffer: TensorBuffer(uninitializedCount: count), shape: shape,
                          strides: Shape.contiguousStrides(for: shape), offset: 0)
        Kernels.copy(from: self, into: &copy)
        self = copy
    }

    /// The base address of the first element of the view (strides apply from there).
    @usableFromInline
    var basePointer: UnsafeMutablePointer<Scalar> { buffer.pointer + offset }

    /// Replaces shape and strides of this view; internal to view operations.
    @usableFromInline
    func view(shape: [Int], strides: [Int], offset: Int) -> Tensor {
        Tensor(buffer: buffer, shape: shape, strides: strides, offset: offset)
    }

    // MARK: - Element access

    /// The linear storage position of a multi-index.
    @usableFromInline
    func storageIndex(_ index: [Int]) -> Int {
        precondition(index.count == rank, "index \(index) does not match rank \(rank)")
        var position = offset
        for (axis, i) in index.enumerated() {
            precondition(i >= 0 && i < shape[axis], "index \(index) is out of bounds for shape \(shape)")
            position += i * strides[axis]
        }
        return position
    }

    /// The element at a full multi-index.
    public subscript(index: [Int]) -> Scalar {
        get { buffer.pointer[storageIndex(index)] }
        set {
            makeUniqueAndContiguous()
            buffer.pointer[storageIndex(index)] = newValue
        }
    }

    /// The element at a full multi-index, written as `t[i, j, k]`.
    public subscript(element index: Int...) -> Scalar {
        get { self[index] }
        set { self[index] = newValue }
    }
}

extension Tensor: Equatable {
    /// Two tensors are equal when they have the same shape and the same elements.
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        lhs.shape == rhs.shape && lhs.scalars == rhs.scalars
    }
}

extension Tensor: CustomStringConvertible {
    /// A nested-bracket rendering of the elements, abbreviated for large tensors.
    public var description: String {
        let values = scalars
        if rank == 0 { return "\(values[0])" }
        var text = ""
        func render(axis: Int, start: Int) {
            let n = shape[axis]
            let step = Shape.count(of: Array(shape[(axis + 1)...]))
            text += "["
            let shown = n > 12 ? Array(0..<6) + [-1] + Array((n - 6)..<n) : Array(0..<n)
            for (k, i) in shown.enumerated() {
                if k > 0 { text += axis == rank - 1 ? ", " : ",\n" + String(repeating: " ", count: axis + 1) }
                if i < 0 { text += "..."; continue }
                if axis == rank - 1 { text += "\(values[start + i])" } else { render(axis: axis + 1, start: start + i * step) }
            }
            text += "]"
        }
        render(axis: 0, start: 0)
        return text
    }
}
