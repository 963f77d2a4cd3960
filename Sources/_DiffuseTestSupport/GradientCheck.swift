import DiffuseNN
import DiffuseTensor

/// The result of comparing a tape gradient with central finite differences.
public struct GradientCheckResult: CustomStringConvertible {
    /// ‖analytic − numeric‖ / max(‖analytic‖, ‖numeric‖, 1e-12), per input.
    public var relativeErrors: [Double]
    /// The largest of ``relativeErrors``.
    public var worst: Double { relativeErrors.max() ?? 0 }
    public var description: String { "relative errors \(relativeErrors.map { String(format: "%.2e", $0) })" }
}

/// Checks the gradients of `f` at `inputs` in Float64: the scalar objective is Σ R ⊙ f(x) with
/// a fixed random R, the analytic gradient comes from the tape, and the numeric one from central
/// differences with step `h`.
public func checkGradients(_ inputs: [Tensor<Double>], step h: Double = 1e-6, seed: UInt64 = 7,
                           _ f: ([Variable<Double>]) -> Variable<Double>) -> GradientCheckResult {
    let tape = Tape<Double>()
    let variables = inputs.map { tape.watch($0) }
    let output = f(variables)
    let projection = Tensor<Double>.randomNormal(shape: [max(output.value.count, 1)], key: RandomKey(seed: seed)).reshaped(output.shape)
    let gradients = tape.gradient(of: output, seed: projection)
    func objective(_ xs: [Tensor<Double>]) -> Double {
        (f(xs.map { Variable($0) }).value * projection).sum().scalar
    }
    var errors: [Double] = []
    for (k, input) in inputs.enumerated() {
        let analytic = gradients[variables[k]].scalars
        var numeric = [Double](repeating: 0, count: input.count)
        var base = input.contiguous()
        let values = base.scalars
        for i in 0..<input.count {
            var plus = inputs, minus = inputs
            var p = values, m = values
            p[i] += h
            m[i] -= h
            plus[k] = Tensor(shape: input.shape, scalars: p)
            minus[k] = Tensor(shape: input.shape, scalars: m)
            numeric[i] = (objective(plus) - objective(minus)) / (2 * h)
        }
        base = Tensor(zeros: [])
        var diff = 0.0, na = 0.0, nn = 0.0
        for i in 0..<numeric.count {
            diff += (analytic[i] - numeric[i]) * (analytic[i] - numeric[i])
            na += analytic[i] * analytic[i]
            nn += numeric[i] * numeric[i]
        }
        errors.append(diff.squareRoot() / max(na.squareRoot(), nn.squareRoot(), 1e-12))
    }
    return GradientCheckResult(relativeErrors: errors)
}
