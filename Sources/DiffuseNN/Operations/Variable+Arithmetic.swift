import DiffuseTensor

// Elementwise arithmetic with broadcasting, and pointwise functions, with their pullbacks.
// Gradients of broadcast operands are summed back to the operand's shape.

extension Variable {
    public static func + (a: Variable, b: Variable) -> Variable {
        record(a.value + b.value, inputs: [a, b]) { g, needed in
            [needed[0] ? g.summed(toShape: a.shape) : nil, needed[1] ? g.summed(toShape: b.shape) : nil]
        }
    }

    public static func - (a: Variable, b: Variable) -> Variable {
        record(a.value - b.value, inputs: [a, b]) { g, needed in
            [needed[0] ? g.summed(toShape: a.shape) : nil, needed[1] ? (-g).summed(toShape: b.shape) : nil]
        }
    }

    public static func * (a: Variable, b: Variable) -> Variable {
        record(a.value * b.value, inputs: [a, b]) { g, needed in
            [needed[0] ? (g * b.value).summed(toShape: a.shape) : nil,
             needed[1] ? (g * a.value).summed(toShape: b.shape) : nil]
        }
    }

    public static func / (a: Variable, b: Variable) -> Variable {
        let q = a.value / b.value
        return record(q, inputs: [a, b]) { g, needed in
            [needed[0] ? (g / b.value).summed(toShape: a.shape) : nil,
             needed[1] ? (-(g * q) / b.value).summed(toShape: b.shape) : nil]
        }
    }

    public static func + (a: Variable, b: Tensor<Scalar>) -> Variable { a + Variable(b) }
    public static func - (a: Variable, b: Tensor<Scalar>) -> Variable { a - Variable(b) }
    public static func * (a: Variable, b: Tensor<Scalar>) -> Variable { a * Variable(b) }
    public static func / (a: Variable, b: Tensor<Scalar>) -> Variable { a / Variable(b) }
    public static func + (a: Tensor<Scalar>, b: Variable) -> Variable { Variable(a) + b }
    public static func - (a: Tensor<Scalar>, b: Variable) -> Variable { Variable(a) - b }
    public static func * (a: Tensor<Scalar>, b: Variable) -> Variable { Variable(a) * b }
    public static func / (a: Tensor<Scalar>, b: Variable) -> Variable { Variable(a) / b }

    public static func + (a: Variable, s: Scalar) -> Variable {
        record(a.value + s, inputs: [a]) { g, _ in [g] }
    }
    public static func - (a: Variable, s: Scalar) -> Variable { a + (-s) }
    public static func + (s: Scalar, a: Variable) -> Variable { a + s }
    public static func - (s: Scalar, a: Variable) -> Variable { (-a) + s }

    public static func * (a: Variable, s: Scalar) -> Variable {
        record(a.value * s, inputs: [a]) { g, _ in [g * s] }
    }
    public static func * (s: Scalar, a: Variable) -> Variable { a * s }
    public static func / (a: Variable, s: Scalar) -> Variable { a * (1 / s) }

    public static prefix func - (a: Variable) -> Variable {
        record(-a.value, inputs: [a]) { g, _ in [-g] }
    }

    /// `scale · x + shift` in one pass.
    public func affine(scale: Scalar, shift: Scalar) -> Variable {
        Variable.record(value.affine(scale: scale, shift: shift), inputs: [self]) { g, _ in [g * scale] }
    }

    // MARK: Pointwise functions

    public func exp() -> Variable {
        let y = value.exp()
        return Variable.record(y, inputs: [self]) { g, _ in [g * y] }
    }

    public func log() -> Variable {
        Variable.record(value.log(), inputs: [self]) { g, _ in [g / self.value] }
    }

    public func squareRoot() -> Variable {
        let y = value.squareRoot()
        return Variable.record(y, inputs: [self]) { g, _ in [g / (y * 2)] }
    }

    public func squared() -> Variable {
        Variable.record(value.squared(), inputs: [self]) { g, _ in [g * self.value * 2] }
    }

    public func abs() -> Variable {
        Variable.record(value.abs(), inputs: [self]) { g, _ in [g * self.value.sign()] }
    }

    /// x^p for a constant exponent.
    public func pow(_ p: Scalar) -> Variable {
        Variable.record(value.pow(p), inputs: [self]) { g, _ in [g * self.value.pow(p - 1) * p] }
    }

    public func sin() -> Variable {
        Variable.record(value.sin(), inputs: [self]) { g, _ in [g * self.value.cos()] }
    }

    public func cos() -> Variable {
        Variable.record(value.cos(), inputs: [self]) { g, _ in [-(g * self.value.sin())] }
    }

    /// The activation applied elementwise, with its fused derivative in the pullback.
    public func activated(_ activation: Activation) -> Variable {
        if activation == .identity { return self }
        guard node >= 0 else { return Variable(value.activated(activation)) }
        // On a tape, the derivative computed in the forward pass where a kernel gives it.
        let (output, derivative) = value.activatedWithDerivative(activation)
        if let derivative {
            return Variable.record(output, inputs: [self]) { g, _ in [g * derivative] }
        }
        return Variable.record(output, inputs: [self]) { g, _ in
            [self.value.activationGradient(activation, upstream: g)]
        }
    }

    public func tanh() -> Variable { activated(.tanh) }
    public func sigmoid() -> Variable { activated(.sigmoid) }
    public func softplus() -> Variable { activated(.softplus) }
    public func relu() -> Variable { activated(.relu) }
    public func leakyReLU(slope: Double = 0.01) -> Variable { activated(.leakyReLU(slope: slope)) }
    public func silu() -> Variable { activated(.silu) }
    public func gelu() -> Variable { activated(.gelu) }
    public func selu() -> Variable { activated(.selu) }

    /// log σ(x) = −softplus(−x).
    public func logSigmoid() -> Variable {
        Variable.record(value.logSigmoid(), inputs: [self]) { g, _ in [g * (-self.value).sigmoid()] }
    }

    /// Elementwise maximum; the gradient goes to the larger operand (to `a` on ties).
    public func maximum(_ other: Variable) -> Variable {
        let mask = value.isGreaterOrEqual(to: other.value)
        return Variable.record(value.maximum(other.value), inputs: [self, other]) { g, needed in
            [needed[0] ? (g * mask).summed(toShape: self.shape) : nil,
             needed[1] ? (g * (1 - mask)).summed(toShape: other.shape) : nil]
        }
    }

    /// Elementwise minimum; the gradient goes to the smaller operand (to `a` on ties).
    public func minimum(_ other: Variable) -> Variable {
        let mask = value.isLessOrEqual(to: other.value)
        return Variable.record(value.minimum(other.value), inputs: [self, other]) { g, needed in
            [needed[0] ? (g * mask).summed(toShape: self.shape) : nil,
             needed[1] ? (g * (1 - mask)).summed(toShape: other.shape) : nil]
        }
    }
}
