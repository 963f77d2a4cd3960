/// A dense row-major array of integer indices: the result of `argmax`, and the input of
/// `gather`, `scatter` and embedding lookups.
public struct IndexTensor: Equatable, Hashable, Sendable {
    /// The size of each axis.
    public var shape: [Int]
    /// The indices in row-major order.
    public var indices: [Int]

    /// An index tensor with the given shape and row-major contents.
    public init(shape: [Int], indices: [Int]) {
        precondition(Shape.count(of: shape) == indices.count,
                     "shape \(shape) needs \(Shape.count(of: shape)) indices, got \(indices.count)")
        self.shape = shape
        self.indices = indices
    }

    /// A one-dimensional index tensor.
    public init(_ indices: [Int]) {
        self.init(shape: [indices.count], indices: indices)
    }

    /// The number of axes.
    public var rank: Int { shape.count }
    /// The number of indices.
    public var count: Int { indices.count }
}
