import DiffuseCore
import DiffuseNN
import DiffuseTensor
@testable import DiffuseTimeSeries
import XCTest
import _DiffuseTestSupport

final class GuidanceTests: XCTestCase {
    /// A small TSDiff backbone in Float64 as a noise-prediction model.
    private func smallModel() -> (NetworkModel<Double>, DiscreteVPSchedule) {
        let backbone = TSDiffBackbone(TSDiffBackboneConfiguration(channels: 3, hidden: 8, blocks: 2, stepEmbedding: 16, stateSize: 4))
        let parameters = backbone.makeParameters(as: Double.self, key: RandomKey(seed: 11)).constants
        let schedule = DiscreteVPSchedule(trainingSteps: 100, betaSchedule: .linear(start: 1e-4, end: 0.1))
        let model = NetworkModel<Double>(type: .noise, schedule: schedule) { x, point in
            backbone(x, steps: [Double](repeating: point.time, count: x.shape[0]), parameters)
        }
        return (model, schedule)
    }

    /// ∇ₓ E(x̂₀(x)) through the backbone (the self-guidance gradient) against central differences
    /// in Float64, for the mean-squared and quantile energies on a masked observation.
    func testSelfGuidanceGradientMatchesFiniteDifferences() {
        let (model, schedule) = smallModel()
        let shape = [2, 12, 3]
        let x = Tensor<Double>.randomNormal(shape: shape, key: RandomKey(seed: 1))
        let y = Tensor<Double>.randomNormal(shape: shape, key: RandomKey(seed: 2))
        let mask = Tensor<Double>(shape: shape, scalars: (0..<x.count).map { ($0 / 3) % 12 < 9 ? 1 : 0 })
        let point = schedule.point(at: 37)
        for loss in [ObservationEnergy<Double>.Loss.squared, .quantile(levels: [0.25, 0.8])] {
            let energy = ObservationEnergy(observed: y, mask: mask, loss: loss)
            var state: Void = ()
            let (_, gradient) = model.predictWithGradient(x, at: point, key: .fixed, state: &state) { energy.gradient($0.denoised) }
            func total(_ x: Tensor<Double>) -> Double {
                var s: Void = ()
                return energy.energy(model.predict(x, at: point, key: .fixed, state: &s).denoised).reduce(0, +)
            }
            let h = 1e-6
            var stream = RandomStream(seed: 5)
            for _ in 0..<12 {
                let i = stream.integer(below: x.count)
                var plus = x.scalars, minus = x.scalars
                plus[i] += h
                minus[i] -= h
                let numeric = (total(Tensor(shape: shape, scalars: plus)) - total(Tensor(shape: shape, scalars: minus))) / (2 * h)
                assertClose(gradient.scalars[i], numeric, absolute: 1e-6, relative: 1e-5, "\(loss) coordinate \(i)")
            }
        }
    }

    /// With scale 0, TSDiff's post-step guidance is plain DDPM, draw for draw.
    func testZeroScaleGuidanceIsDDPM() {
        let (model, schedule) = smallModel()
        let shape = [3, 12, 3]
        let energy = ObservationEnergy(observed: Tensor<Double>(zeros: shape), mask: Tensor<Double>(ones: shape), loss: .squared)
        let grid = TimeGrid.diffusers(schedule, scheduler: .ddpm, steps: 100)
        let noise = Tensor<Double>.randomNormal(shape: shape, key: RandomKey(seed: 3))
        let plain = sample(model, from: noise, grid: grid, using: DDPMSampler(), key: RandomKey(seed: 4)).samples
        let guided = sample(PostStepGuidance(model, energy: energy, rule: .tsdiff(scale: 0)), from: noise, grid: grid, using: DDPMSampler(),
                            key: RandomKey(seed: 4)).samples
        XCTAssertEqual(plain.scalars, guided.scalars)
    }

    /// TSDiff's refinement step τ: the step whose loss is closest to the mean loss.
    func testRepresentativeStepRule() {
        XCTAssertEqual(TSDiff.representativeStep(losses: [4, 3, 2.4, 1, 0.5]), 2)    // mean 2.18
        XCTAssertEqual(TSDiff.representativeStep(losses: [1, 1, 1]), 0)
    }
}
