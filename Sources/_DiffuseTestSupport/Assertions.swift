import DiffuseTensor
import XCTest

/// Asserts that two tensors have the same shape and agree elementwise within
/// `absolute + relative · |expected|`, reporting the worst element at the caller's line.
public func assertClose<S: TensorScalar>(_ actual: Tensor<S>, _ expected: Tensor<S>, absolute: Double = 0, relative: Double = 1e-12,
                                         _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line) {
    guard actual.shape == expected.shape else {
        XCTFail("shape \(actual.shape) differs from expected \(expected.shape). \(message())", file: file, line: line)
        return
    }
    let a = actual.scalars, e = expected.scalars
    var worst = 0.0, worstIndex = -1
    for i in 0..<a.count {
        let diff = abs(Double(a[i]) - Double(e[i]))
        let allowed = absolute + relative * abs(Double(e[i]))
        if !(diff <= allowed) {
            let excess = diff.isNaN ? .infinity : diff - allowed
            if excess > worst || worstIndex < 0 { worst = excess; worstIndex = i }
        }
    }
    if worstIndex >= 0 {
        XCTFail("element \(worstIndex): \(a[worstIndex]) vs expected \(e[worstIndex]) (|diff| = \(abs(Double(a[worstIndex]) - Double(e[worstIndex]))), "
                + "allowed \(absolute) + \(relative)·|expected|). \(message())", file: file, line: line)
    }
}

/// Asserts that two numbers agree within `absolute + relative · |expected|`.
public func assertClose(_ actual: Double, _ expected: Double, absolute: Double = 0, relative: Double = 1e-12,
                        _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line) {
    let diff = abs(actual - expected)
    if !(diff <= absolute + relative * abs(expected)) {
        XCTFail("\(actual) vs expected \(expected) (|diff| = \(diff)). \(message())", file: file, line: line)
    }
}

/// The machine epsilon of a scalar type as a Double (for tolerances in generic tests).
public func epsilon<S: TensorScalar>(_: S.Type) -> Double { Double(S.ulpOfOne) }
