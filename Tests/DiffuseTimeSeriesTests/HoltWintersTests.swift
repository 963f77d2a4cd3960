import DiffuseTensor
@testable import DiffuseTimeSeries
import XCTest

/// Additive Holt–Winters against closed forms and hand-computed recursions.
final class HoltWintersTests: XCTestCase {
    /// y = 10 + t/2 + s(t mod 4) with centred s: the classical initial state is the true one and
    /// every one-step error is 0, so any parameters forecast the continuation exactly (σ = 0).
    func testALinearTrendPlusSeasonIsForecastExactly() throws {
        let pattern = [2.0, -1, 0.5, -1.5]
        let y = (0..<40).map { 10 + Double($0) / 2 + pattern[$0 % 4] }
        let model = try HoltWinters.fit(TimeSeries(name: "exact", frequency: .hourly, values: y), period: 4)
        XCTAssertEqual(model.sigma, 0, accuracy: 1e-9)
        let truth = (40..<48).map { 10 + Double($0) / 2 + pattern[$0 % 4] }
        for (f, t) in zip(model.pointForecast(horizon: 8), truth) { XCTAssertEqual(f, t, accuracy: 1e-9) }
    }

    /// The recursions on a short series, against the values computed by hand (python3, the same
    /// formulas step by step: level 5.8, trend 0.94, season [0.2, −0.32], SSE 3.56).
    func testTheRecursionsMatchAHandComputation() throws {
        let r = try XCTUnwrap(HoltWinters.run([1, 2, 3, 4, 6, 5], period: 2, alpha: 0.5, beta: 0.1, gamma: 0.2))
        XCTAssertEqual(r.level, 5.8, accuracy: 1e-12)
        XCTAssertEqual(r.trend, 0.94, accuracy: 1e-12)
        XCTAssertEqual(r.season[0], 0.2, accuracy: 1e-12)
        XCTAssertEqual(r.season[1], -0.32, accuracy: 1e-12)
        XCTAssertEqual(r.squaredErrors, 3.56, accuracy: 1e-12)
        XCTAssertEqual(r.count, 6)
        // A missing value: no error counted, the state runs on.
        let gap = try XCTUnwrap(HoltWinters.run([1, 2, 3, 4, nil, 5], period: 2, alpha: 0.5, beta: 0.1, gamma: 0.2))
        XCTAssertEqual(gap.count, 5)
    }

    /// Simulated paths: at h = 1 the mean is the point forecast and the standard deviation σ
    /// (20 000 paths: the mean within 5 standard errors, σ·5/√20 000; the standard deviation
    /// within 5 %, about 7 of its standard errors).
    func testSimulatedPathsHaveTheModelsFirstStepDistribution() {
        let model = HoltWinters(alpha: 0.3, beta: 0.05, gamma: 0.1, period: 3, level: 5, trend: 0.2, season: [1, -0.5, -0.5], sigma: 0.7)
        let paths = model.samplePaths(horizon: 4, samples: 20_000, key: RandomKey(seed: 3))
        let first = paths.map { $0[0] }
        let mean = first.reduce(0, +) / Double(first.count)
        let sd = (first.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(first.count - 1)).squareRoot()
        XCTAssertEqual(mean, model.pointForecast(horizon: 1)[0], accuracy: 5 * 0.7 / 20_000.squareRoot())
        XCTAssertEqual(sd, 0.7, accuracy: 0.035)
        // Later steps spread more: the errors feed the state.
        let fourth = paths.map { $0[3] }
        let m4 = fourth.reduce(0, +) / Double(fourth.count)
        let sd4 = (fourth.map { ($0 - m4) * ($0 - m4) }.reduce(0, +) / Double(fourth.count - 1)).squareRoot()
        XCTAssertGreaterThan(sd4, sd * 1.05)
    }

    /// Maximum likelihood moves towards the parameters that generated the data: on a series
    /// simulated with α = 0.6 the fitted α exceeds one fitted to a series simulated with α = 0.1.
    func testTheFittedSmoothingFollowsTheData() throws {
        func simulate(alpha: Double) -> TimeSeries {
            let generator = HoltWinters(alpha: alpha, beta: 0.01, gamma: 0.05, period: 12, level: 50, trend: 0,
                                        season: (0..<12).map { 5 * sin(Double($0) * .pi / 6) }, sigma: 1)
            return TimeSeries(name: "sim", frequency: .hourly, values: generator.samplePaths(horizon: 1200, samples: 1, key: RandomKey(seed: 9))[0])
        }
        let fast = try HoltWinters.fit(simulate(alpha: 0.6), period: 12)
        let slow = try HoltWinters.fit(simulate(alpha: 0.1), period: 12)
        XCTAssertGreaterThan(fast.alpha, slow.alpha + 0.2, "α fitted \(fast.alpha) and \(slow.alpha)")
        XCTAssertEqual(fast.sigma, 1, accuracy: 0.15)
    }

    func testTooShortSeriesAreErrors() {
        XCTAssertThrowsError(try HoltWinters.fit(TimeSeries(name: "short", frequency: .hourly, values: [1, 2, 3]), period: 2))
    }
}
