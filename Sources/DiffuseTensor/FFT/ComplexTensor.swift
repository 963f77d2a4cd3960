/// A tensor of complex numbers stored as two real tensors of the same shape (split form,
/// which FFTW's guru interface reads and writes directly).
public struct ComplexTensor<Scalar: TensorScalar>: Sendable, Equatable {
    /// The real parts.
    public var real: Tensor<Scalar>
    /// The imaginary parts.
    public var imaginary: Tensor<Scalar>

    /// A complex tensor from its real and imaginary parts (same shape).
    public init(real: Tensor<Scalar>, imaginary: Tensor<Scalar>) {
        precondition(real.shape == imaginary.shape, "real \(real.shape) and imaginary \(imaginary.shape) shapes differ")
        self.real = real
        self.imaginary = imaginary
    }

    /// A complex tensor with zero imaginary part.
    public init(real: Tensor<Scalar>) {
        self.init(real: real, imaginary: Tensor(zeros: real.shape))
    }

    /// The shape shared by both parts.
    public var shape: [Int] { real.shape }

    /// Elementwise product with broadcasting.
    public static func * (a: ComplexTensor, b: ComplexTensor) -> ComplexTensor {
        ComplexTensor(real: a.real * b.real - a.imaginary * b.imaginary,
                      imaginary: a.real * b.imaginary + a.imaginary * b.real)
    }

    /// Elementwise sum with broadcasting.
    public static func + (a: ComplexTensor, b: ComplexTensor) -> ComplexTensor {
        ComplexTensor(real: a.real + b.real, imaginary: a.imaginary + b.imaginary)
    }

    /// Elementwise difference with broadcasting.
    public static func - (a: ComplexTensor, b: ComplexTensor) -> ComplexTensor {
        ComplexTensor(real: a.real - b.real, imaginary: a.imaginary - b.imaginary)
    }

    /// Both parts multiplied by a real scalar.
    public func scaled(by s: Scalar) -> ComplexTensor {
        ComplexTensor(real: real * s, imaginary: imaginary * s)
    }

    /// The complex conjugate.
    public func conjugate() -> ComplexTensor {
        ComplexTensor(real: real, imaginary: -imaginary)
    }

    /// The modulus |z|.
    public func magnitude() -> Tensor<Scalar> {
        (real.squared() + imaginary.squared()).squareRoot()
    }

    /// The elements with index `range` along `axis`, in both parts.
    public func slice(axis: Int, _ range: Range<Int>) -> ComplexTensor {
        ComplexTensor(real: real.slice(axis: axis, range), imaginary: imaginary.slice(axis: axis, range))
    }
}
