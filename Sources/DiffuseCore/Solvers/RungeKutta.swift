import Foundation

/// An explicit Runge–Kutta method as data (diffrax's `ButcherTableau`): stage coefficients
/// `a` (lower triangular), weights `b`, nodes `c`, and optionally the weights `bError` of the
/// embedded lower-order solution, whose difference gives the local error estimate.
public struct ButcherTableau: Hashable, Sendable, Codable {
    public var name: String
    public var a: [[Double]]
    public var b: [Double]
    public var c: [Double]
    /// Weights of the embedded solution (nil for methods without an error estimate).
    public var bEmbedded: [Double]?
    /// The order of `b`.
    public var order: Int
    /// Whether the last stage equals f(y₁, t₁) ("first same as last"), saving one evaluation.
    public var firstSameAsLast: Bool

    public var stages: Int { b.count }

    /// Euler's method (order 1).
    public static let euler = ButcherTableau(name: "euler", a: [[]], b: [1], c: [0], bEmbedded: nil, order: 1, firstSameAsLast: false)
    /// Heun's method, the explicit trapezoidal rule (order 2, Euler embedded).
    public static let heun = ButcherTableau(name: "heun", a: [[], [1]], b: [0.5, 0.5], c: [0, 1], bEmbedded: [1, 0], order: 2, firstSameAsLast: false)
    /// Ralston's second-order method (minimal error bound among two-stage methods).
    public static let ralston = ButcherTableau(name: "ralston", a: [[], [2.0 / 3]], b: [0.25, 0.75], c: [0, 2.0 / 3], bEmbedded: nil, order: 2, firstSameAsLast: false)
    /// The explicit midpoint method (order 2).
    public static let midpoint = ButcherTableau(name: "midpoint", a: [[], [0.5]], b: [0, 1], c: [0, 0.5], bEmbedded: nil, order: 2, firstSameAsLast: false)
    /// The classical fourth-order method.
    public static let rungeKutta4 = ButcherTableau(name: "rk4", a: [[], [0.5], [0, 0.5], [0, 0, 1]], b: [1.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 6],
                                                   c: [0, 0.5, 0.5, 1], bEmbedded: nil, order: 4, firstSameAsLast: false)
    /// Bogacki–Shampine 3(2).
    public static let bogackiShampine = ButcherTableau(name: "bosh3", a: [[], [0.5], [0, 0.75], [2.0 / 9, 1.0 / 3, 4.0 / 9]],
                                                       b: [2.0 / 9, 1.0 / 3, 4.0 / 9, 0], c: [0, 0.5, 0.75, 1],
                                                       bEmbedded: [7.0 / 24, 0.25, 1.0 / 3, 0.125], order: 3, firstSameAsLast: true)
    /// Dormand–Prince 5(4), the `dopri5`/`RK45` of MATLAB, SciPy and torchdiffeq (Dormand &
    /// Prince 1980): fifth-order solution, fourth-order embedded, seven stages, FSAL.
    public static let dormandPrince = ButcherTableau(
        name: "dopri5",
        a: [[],
            [1.0 / 5],
            [3.0 / 40, 9.0 / 40],
            [44.0 / 45, -56.0 / 15, 32.0 / 9],
            [19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729],
            [9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656],
            [35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84]],
        b: [35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84, 0],
        c: [0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1, 1],
        bEmbedded: [5179.0 / 57600, 0, 7571.0 / 16695, 393.0 / 640, -92097.0 / 339200, 187.0 / 2100, 1.0 / 40],
        order: 5, firstSameAsLast: true)

    /// Every tableau the package defines (the registry and the order-condition test iterate it).
    public static let all: [ButcherTableau] = [.euler, .heun, .midpoint, .ralston, .bogackiShampine, .rungeKutta4, .dormandPrince]

    /// The highest order p ≤ 5 whose order conditions Σ bᵢΦᵢ(τ) = 1/γ(τ) hold for every rooted
    /// tree τ with up to p nodes (Butcher 2016, §31), for weights `weights` (default `b`), to
    /// `tolerance`. Row sums cᵢ = Σⱼ aᵢⱼ are checked too (0 if they fail). A tableau's declared
    /// ``order`` must equal this for `b`, and its embedded pair's order is this for `bEmbedded`.
    public func satisfiedOrder(weights: [Double]? = nil, tolerance: Double = 1e-12) -> Int {
        let w = weights ?? b
        let n = stages
        let A: [[Double]] = (0..<n).map { i in (0..<n).map { j in j < a[i].count ? a[i][j] : 0 } }
        for i in 0..<n where Swift.abs(A[i].reduce(0, +) - c[i]) > tolerance { return 0 }
        func times(_ u: [Double], _ v: [Double]) -> [Double] { zip(u, v).map { $0 * $1 } }
        func apply(_ v: [Double]) -> [Double] { A.map { row in zip(row, v).reduce(0) { $0 + $1.0 * $1.1 } } }
        func weighted(_ v: [Double]) -> Double { zip(w, v).reduce(0) { $0 + $1.0 * $1.1 } }
        let one = [Double](repeating: 1, count: n)
        let c2 = times(c, c), c3 = times(c2, c)
        let ac = apply(c), ac2 = apply(c2), aac = apply(ac)
        // (Φ(τ), 1/γ(τ)) for the trees of each order.
        let conditions: [[([Double], Double)]] = [
            [(one, 1)],
            [(c, 1.0 / 2)],
            [(c2, 1.0 / 3), (ac, 1.0 / 6)],
            [(c3, 1.0 / 4), (times(c, ac), 1.0 / 8), (ac2, 1.0 / 12), (aac, 1.0 / 24)],
            [(times(c3, c), 1.0 / 5), (times(c2, ac), 1.0 / 10), (times(c, ac2), 1.0 / 15), (times(c, aac), 1.0 / 30),
             (times(ac, ac), 1.0 / 20), (apply(c3), 1.0 / 20), (apply(times(c, ac)), 1.0 / 40), (apply(ac2), 1.0 / 60), (apply(aac), 1.0 / 120)],
        ]
        var order = 0
        for trees in conditions {
            guard trees.allSatisfy({ Swift.abs(weighted($0.0) - $0.1) <= tolerance }) else { break }
            order += 1
        }
        return order
    }

    /// One step from (y, t) to t + h. `firstStage` reuses f(y, t) when known (FSAL).
    /// Returns the new state, the error estimate (if embedded) and the last stage's slope.
    public func step<V: VectorSpace>(_ f: (V, Double) -> V, y: V, t: Double, h: Double, firstStage: V? = nil) -> (y: V, error: V?, lastSlope: V) {
        var k: [V] = []
        k.reserveCapacity(stages)
        k.append(firstStage ?? f(y, t))
        for i in 1..<stages {
            let stageY = V.linearCombination([1] + a[i].map { V.Scalar(h * $0) }, [y] + Array(k.prefix(a[i].count)))
            k.append(f(stageY, t + c[i] * h))
        }
        let nonzero = b.indices.filter { b[$0] != 0 }
        let yNext = V.linearCombination([1] + nonzero.map { V.Scalar(h * b[$0]) }, [y] + nonzero.map { k[$0] })
        var error: V? = nil
        if let be = bEmbedded {
            let d = b.indices.filter { b[$0] != be[$0] }
            if !d.isEmpty { error = V.linearCombination(d.map { V.Scalar(h * (b[$0] - be[$0])) }, d.map { k[$0] }) }
        }
        return (yNext, error, k[stages - 1])
    }
}

/// A proportional–integral–derivative step-size controller (Söderlind 2002; diffrax's
/// `PIDController`). The error of a step is ‖e‖_rms / (atol + rtol·max(‖y‖_rms, ‖y′‖_rms)); a
/// step with error ≤ 1 is accepted; the next step size is multiplied by
/// safety · ε₀^{(kI+kP+kD)/q} · ε₁^{−(kP+2kD)/q} · ε₂^{kD/q} with εⱼ = 1/errorⱼ (current,
/// previous, before that) and q = the embedded order + 1, clamped to [factorMin, factorMax].
/// The defaults (kI = 1, kP = kD = 0) are the classical integral controller.
public struct PIDController: Hashable, Sendable, Codable {
    public var relativeTolerance: Double
    public var absoluteTolerance: Double
    public var proportional: Double
    public var integral: Double
    public var derivative: Double
    public var safety: Double
    public var factorMin: Double
    public var factorMax: Double
    public var maximumSteps: Int

    public init(relativeTolerance: Double = 1e-5, absoluteTolerance: Double = 1e-5, proportional: Double = 0, integral: Double = 1,
                derivative: Double = 0, safety: Double = 0.9, factorMin: Double = 0.2, factorMax: Double = 10, maximumSteps: Int = 4096) {
        precondition(relativeTolerance >= 0 && absoluteTolerance > 0, "tolerances must be positive")
        self.relativeTolerance = relativeTolerance
        self.absoluteTolerance = absoluteTolerance
        self.proportional = proportional
        self.integral = integral
        self.derivative = derivative
        self.safety = safety
        self.factorMin = factorMin
        self.factorMax = factorMax
        self.maximumSteps = maximumSteps
    }

    /// The scaled error of a step (≤ 1 means accept).
    public func scaledError<V: InnerProductSpace>(_ error: V, y: V, yNext: V) -> Double {
        let n = Double(Swift.max(y.dimension, 1))
        let scale = absoluteTolerance + relativeTolerance * Swift.max(y.norm, yNext.norm) / n.squareRoot()
        return error.norm / n.squareRoot() / scale
    }

    /// The factor for the next step size from the current and previous scaled errors.
    public func factor(errors: (current: Double, previous: Double, beforePrevious: Double), embeddedOrder: Int) -> Double {
        let q = Double(embeddedOrder + 1)
        let e0 = 1 / Swift.max(errors.current, 1e-10), e1 = 1 / Swift.max(errors.previous, 1e-10), e2 = 1 / Swift.max(errors.beforePrevious, 1e-10)
        let f = safety * Foundation.pow(e0, (integral + proportional + derivative) / q)
            * Foundation.pow(e1, -(proportional + 2 * derivative) / q) * Foundation.pow(e2, derivative / q)
        return Swift.min(Swift.max(f, factorMin), factorMax)
    }
}

/// The result of ``integrate(_:from:over:method:controller:initialStep:)``.
public struct ODESolution<V> {
    public var y: V
    public var accepted: Int
    public var rejected: Int
    public var evaluations: Int
    public var reachedEnd: Bool
}

/// Integrates dy/dt = f(y, t) from t₀ to t₁ (either direction) with an embedded Runge–Kutta
/// method and a PID step-size controller.
public func integrate<V: InnerProductSpace>(_ f: (V, Double) -> V, from y0: V, over interval: (Double, Double),
                                            method: ButcherTableau = .dormandPrince, controller: PIDController = PIDController(),
                                            initialStep: Double? = nil) -> ODESolution<V> {
    precondition(method.bEmbedded != nil, "adaptive integration needs a method with an embedded error estimate")
    let (t0, t1) = interval
    let direction = t1 >= t0 ? 1.0 : -1.0
    var t = t0, y = y0
    var evaluations = 0
    func counted(_ v: V, _ time: Double) -> V {
        evaluations += 1
        return f(v, time)
    }
    var slope = counted(y, t)
    var h = initialStep.map { Swift.abs($0) * direction } ?? {
        // Hairer–Nørsett–Wanner's starting step: 0.01·‖y‖/‖f‖, bounded by the interval.
        let n0 = y.norm, n1 = slope.norm
        let guess = (n0 < 1e-5 || n1 < 1e-5) ? 1e-6 : 0.01 * n0 / n1
        return direction * Swift.min(guess, Swift.abs(t1 - t0))
    }()
    var accepted = 0, rejected = 0
    var errors = (current: 1.0, previous: 1.0, beforePrevious: 1.0)
    let embeddedOrder = method.order - 1
    while (t1 - t) * direction > 0 {
        if accepted + rejected >= controller.maximumSteps {
            return ODESolution(y: y, accepted: accepted, rejected: rejected, evaluations: evaluations, reachedEnd: false)
        }
        if (t + h - t1) * direction > 0 { h = t1 - t }
        let (yNext, error, last) = method.step(counted, y: y, t: t, h: h, firstStage: slope)
        let e = controller.scaledError(error!, y: y, yNext: yNext)
        if e <= 1 || Swift.abs(h) < 1e-14 * Swift.max(Swift.abs(t), 1) {
            t = (t + h - t1) * direction >= 0 || Swift.abs(t + h - t1) < 1e-15 * Swift.max(Swift.abs(t1), 1) ? t1 : t + h
            y = yNext
            slope = method.firstSameAsLast ? last : counted(y, t)
            accepted += 1
            errors = (e, errors.current, errors.previous)
            h *= controller.factor(errors: errors, embeddedOrder: embeddedOrder)
        } else {
            rejected += 1
            h *= Swift.min(1, controller.factor(errors: (e, errors.current, errors.previous), embeddedOrder: embeddedOrder))
        }
    }
    return ODESolution(y: y, accepted: accepted, rejected: rejected, evaluations: evaluations, reachedEnd: true)
}
