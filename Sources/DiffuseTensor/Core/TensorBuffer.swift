/// Reference-counted, 64-byte aligned storage behind a ``Tensor``.
///
/// Tensors share a buffer until one of them is mutated (copy-on-write). The alignment keeps
/// FFTW and SIMD loads on their fast paths.
@usableFromInline
final class TensorBuffer<Scalar: TensorScalar>: @unchecked Sendable {
    @usableFromInline let pointer: UnsafeMutablePointer<Scalar>
    @usableFromInline let count: Int

    /// Allocates uninitialized storage for `count` elements (at least one is allocated).
    @usableFromInline
    init(uninitializedCount count: Int) {
        precondition(count >= 0, "negative element count")
        let raw = TensorMemory.allocate(byteCount: Swift.max(count, 1) * MemoryLayout<Scalar>.stride)
        self.pointer = raw.bindMemory(to: Scalar.self, capacity: Swift.max(count, 1))
        self.count = count
    }

    @usableFromInline
    convenience init(repeating value: Scalar, count: Int) {
        self.init(uninitializedCount: count)
        if value == 0 && value.sign == .plus {
            UnsafeMutableRawPointer(pointer).initializeMemory(as: UInt8.self, repeating: 0, count: count * MemoryLayout<Scalar>.stride)
            return
        }
        // Fill through the concrete type so the loop is specialised even from generic callers.
        switch ScalarKind.of(Scalar.self) {
        case .float: rebound(pointer, to: Float.self).initialize(repeating: Float(value), count: count)
        case .double: rebound(pointer, to: Double.self).initialize(repeating: Double(value), count: count)
        }
    }

    deinit {
        TensorMemory.release(UnsafeMutableRawPointer(pointer), byteCount: Swift.max(count, 1) * MemoryLayout<Scalar>.stride)
    }
}
