import Foundation
import XCTest
import DiffuseTensor
@testable import DiffuseCore

/// The deterministic full loops of diffusers' scheduler tests, reproduced with Diffuse's grids
/// and samplers. Reference samples were written by diffusers 0.42.1 itself:
/// `cd Tests/DiffuseCoreTests/Fixtures/diffusers && python3 make_fixtures.py` (see its README).
/// The loop is diffusers' test loop: the dummy model ε(x, t) = x·t/(t + 1) on the dummy sample
/// arange(768)/768 (permuted), 10 steps of a 1000-step linear-β schedule (1e-4 → 0.02).
final class DiffusersGoldenTests: XCTestCase {
    static let folder = Bundle.module.url(forResource: "Fixtures/diffusers", withExtension: nil)!
    static let golden: [String: [String: Any]] = {
        let data = try! Data(contentsOf: folder.appendingPathComponent("golden.json"))
        let json = try! JSONSerialization.jsonObject(with: data) as! [String: Any]
        return json["configs"] as! [String: [String: Any]]
    }()

    /// dummy_sample_deter: element [b, c, h, w] = (((c·8 + h)·8 + w)·4 + b)/768.
    static let dummySample: Tensor<Double> = {
        var values = [Double](repeating: 0, count: 768)
        for b in 0..<4 { for c in 0..<3 { for h in 0..<8 { for w in 0..<8 {
            values[((b * 3 + c) * 8 + h) * 8 + w] = Double(((c * 8 + h) * 8 + w) * 4 + b) / 768
        } } } }
        return Tensor(shape: [4, 3, 8, 8], scalars: values)
    }()

    static let schedule = DiscreteVPSchedule(trainingSteps: 1000, betaSchedule: .linear(start: 1e-4, end: 0.02))

    private func reference(_ name: String) throws -> Tensor<Double> {
        try NumPyFile.readTensor(Self.folder.appendingPathComponent("\(name).npy"), as: Double.self)
    }

    private func config(_ name: String) -> [String: Any] { Self.golden[name]! }

    /// The dummy model as a noise predictor.
    private let dummy = OutputModel<Tensor<Double>>(type: .noise, schedule: DiffusersGoldenTests.schedule) { x, point in
        x * (point.time / (point.time + 1))
    }

    private func assertMatches(_ result: Tensor<Double>, _ name: String, relative: Double = 2e-5, file: StaticString = #filePath, line: UInt = #line) throws {
        let expected = try reference(name)
        XCTAssertEqual(result.shape, expected.shape, file: file, line: line)
        let scale = expected.abs().max().scalar
        let error = (result - expected).abs().max().scalar
        XCTAssertLessThan(error, relative * scale, "\(name): max error \(error), scale \(scale)", file: file, line: line)
        if let computed = config(name)["computed"] as? [String: Any], let mean = computed["mean_abs_f64"] as? Double {
            XCTAssertEqual(result.abs().mean().scalar, mean, accuracy: 1e-4 * mean, name, file: file, line: line)
        }
    }

    func testTimeGridsEqualDiffusers() {
        // (Heun's fixture records its internal doubled arrays; its grid is Euler's.)
        for scheduler in [("ddim", DiffusersScheduler.ddim), ("euler", .euler), ("dpmpp", .dpmSolver), ("unipc", .uniPC)] {
            for spacing in DiffusersSpacing.allCases {
                guard let c = Self.golden["\(scheduler.0)_schedule_\(spacing.rawValue)"], let expected = c["timesteps"] as? [Double] else { continue }
                let grid = TimeGrid.diffusers(Self.schedule, scheduler: scheduler.1, steps: 10, spacing: spacing)
                let times = Array(grid.times.dropLast())
                XCTAssertEqual(times.count, expected.count, "\(scheduler.0) \(spacing)")
                for (a, b) in zip(times, expected) { XCTAssertEqual(a, b, accuracy: 1e-3, "\(scheduler.0) \(spacing): \(times) vs \(expected)") }
                if let sigmas = c["sigmas"] as? [Double] {
                    for (a, b) in zip(grid.edmSigmas, sigmas) { XCTAssertEqual(a, b, accuracy: 2e-5 * max(b, 1), "\(scheduler.0) \(spacing) σ") }
                }
            }
        }
        // The DPM-Solver linspace grid of the notes: 499.5 rounds to 500.
        XCTAssertEqual(TimeGrid.diffusers(Self.schedule, scheduler: .dpmSolver, steps: 10).times.dropLast(), [999, 899, 799, 699, 599, 500, 400, 300, 200, 100])
        // Karras noise levels (n = 5, σ ∈ [0.002, 80], ρ = 7), as diffusers and k-diffusion compute them.
        let karras = TimeGrid.karrasSigmas(count: 5, sigmaMin: 0.002, sigmaMax: 80)
        for (a, b) in zip(karras, [80.0, 17.52783196464411, 2.515218976147159, 0.16975275626876413, 0.002]) { XCTAssertEqual(a, b, accuracy: 1e-12 * max(b, 1)) }
    }

    func testDDIMLeading() throws {
        // diffusers' DDIM test: clip_sample = True (x̂₀ clamped to [−1, 1]); asserted sum 172.0067, mean 0.223967.
        let grid = TimeGrid.diffusers(Self.schedule, scheduler: .ddim, steps: 10)
        let clipped = ClippedModel(base: dummy, range: -1...1)
        let result = sample(clipped, from: Self.dummySample, grid: grid, using: DDIMSampler()).samples
        try assertMatches(result, "ddim_test_clip")
        XCTAssertEqual(result.abs().sum().scalar, 172.0067, accuracy: 1e-2)
        let plain = sample(dummy, from: Self.dummySample, grid: grid, using: DDIMSampler()).samples
        try assertMatches(plain, "ddim_noclip_leading")
    }

    func testDPMSolverPlusPlus() throws {
        for order in [2, 3] {
            for final in [FinalSigma.sigmaMin, .zero] {
                for lowerOrderFinal in [true, false] {
                    let name = "dpmpp_order\(order)_\(final == .zero ? "zero" : "sigma_min")_lof\(lowerOrderFinal ? 1 : 0)"
                    let grid = TimeGrid.diffusers(Self.schedule, scheduler: .dpmSolver, steps: 10, finalSigma: final)
                    let result = sample(dummy, from: Self.dummySample, grid: grid, using: DPMSolverPlusPlus(order: order, lowerOrderFinal: lowerOrderFinal ? .belowSteps(15) : .never)).samples
                    try assertMatches(result, name)
                }
            }
        }
        // diffusers' test_full_loop_no_noise: mean 0.3301 (order 2, sigma_min, lower_order_final = False).
        let grid = TimeGrid.diffusers(Self.schedule, scheduler: .dpmSolver, steps: 10, finalSigma: .sigmaMin)
        let result = sample(dummy, from: Self.dummySample, grid: grid, using: DPMSolverPlusPlus(order: 2, lowerOrderFinal: .never)).samples
        XCTAssertEqual(result.abs().mean().scalar, 0.3301, accuracy: 1e-3)
    }

    func testUniPC() throws {
        for variant in [UniPC<Tensor<Double>>.Variant.bh1, .bh2] {
            for order in [2, 3] {
                for final in [FinalSigma.sigmaMin, .zero] where !(variant == .bh1 && final == .zero) {
                    let name = "unipc_\(variant.rawValue)_order\(order)_\(final == .zero ? "zero" : "sigma_min")"
                    let grid = TimeGrid.diffusers(Self.schedule, scheduler: .uniPC, steps: 10, finalSigma: final)
                    let result = sample(dummy, from: Self.dummySample, grid: grid, using: UniPC(order: order, variant: variant)).samples
                    try assertMatches(result, name)
                }
            }
        }
        // diffusers' test_full_loop_no_noise: mean 0.2464 (order 2, bh2, sigma_min).
        let grid = TimeGrid.diffusers(Self.schedule, scheduler: .uniPC, steps: 10, finalSigma: .sigmaMin)
        XCTAssertEqual(sample(dummy, from: Self.dummySample, grid: grid, using: UniPC()).samples.abs().mean().scalar, 0.2464, accuracy: 1e-3)
    }

    func testEulerAndHeunPipelineLoops() throws {
        for spacing in DiffusersSpacing.allCases {
            let grid = TimeGrid.diffusers(Self.schedule, scheduler: .euler, steps: 10, spacing: spacing)
            let initialSigma = config("euler_\(spacing.rawValue)_pipelineloop")["init_noise_sigma"] as! Double
            // diffusers keeps the sample in the VE scale; Diffuse's state is x = α·y.
            let start = Self.dummySample * (initialSigma * grid.points[0].alpha)
            let result = sample(dummy, from: start, grid: grid, using: EulerSampler()).samples
            try assertMatches(result, "euler_\(spacing.rawValue)_pipelineloop")
        }
        let heunSchedule = DiscreteVPSchedule(trainingSteps: 1000)
        let grid = TimeGrid.diffusers(heunSchedule, scheduler: .heun, steps: 10)
        let initialSigma = config("heun_linspace_T1000_pipelineloop")["init_noise_sigma"] as! Double
        let result = sample(dummy, from: Self.dummySample * (initialSigma * grid.points[0].alpha), grid: grid, using: HeunSampler()).samples
        try assertMatches(result, "heun_linspace_T1000_pipelineloop")
    }
}
