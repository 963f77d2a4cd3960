import DiffuseCore
import DiffuseNN
import DiffuseTensor
@testable import DiffuseMotion
import _DiffuseTestSupport
import XCTest

final class DenoisingGANTests: XCTestCase {
    // A tiny problem: windows of 3 frames of 5 features, 2 actions.
    let frames = 3, features = 5, actions = 2
    var discriminator: MotionDiscriminator { MotionDiscriminator(features: features, frames: frames, actionCount: actions, timeSize: 4, hiddenSizes: [8, 6]) }
    var generator: MotionTransformer {
        MotionTransformer(features: features, frames: frames, actionCount: actions, modelSize: 8, heads: 2, layers: 1, feedForwardSize: 8, latentSize: 3)
    }
    var normalization: FeatureNormalization {
        // Only the foot-contact loss reads it, through the velocity and contact columns; a 5-column
        // problem uses the reconstruction, position and velocity terms only.
        try! FeatureNormalization(clips: [[[Double]](repeating: [Double](repeating: 0, count: 263), count: 1) + [[Double](repeating: 1, count: 263)]])
    }

    /// Central differences of `loss` with respect to a few entries of one parameter, against the tape.
    func assertGradients(_ parameters: ParameterSet<Double>, names: [String], loss: (BoundParameters<Double>) -> Variable<Double>,
                         file: StaticString = #filePath, line: UInt = #line) {
        let tape = Tape<Double>()
        let bound = parameters.bound(to: tape)
        let gradients = bound.gradients(tape.gradient(of: loss(bound)))
        for name in names {
            let values = parameters[name]!.scalars
            let analytic = gradients[name]!.scalars
            for i in Set([0, values.count / 2, values.count - 1]) {
                func evaluate(_ delta: Double) -> Double {
                    var p = parameters
                    var v = values
                    v[i] += delta
                    p.modify(name) { $0 = Tensor(shape: parameters[name]!.shape, scalars: v) }
                    return loss(p.constants).value.scalar
                }
                let h = 1e-6
                let numeric = (evaluate(h) - evaluate(-h)) / (2 * h)
                XCTAssertEqual(analytic[i], numeric, accuracy: 1e-6 * max(1, abs(numeric)), "\(name)[\(i)]", file: file, line: line)
            }
        }
    }

    /// Done-when: the GAN losses' gradients against finite differences (Float64), for the
    /// discriminator's loss in D's weights and the generator's loss (adversarial through the
    /// posterior draw and D, plus reconstruction) in G's weights.
    func testGANLossGradientsMatchFiniteDifferences() {
        let key = RandomKey(seed: 3)
        let d = discriminator, g = generator
        let dParameters = d.makeParameters(as: Double.self, key: key.folding(in: 0))
        let gParameters = g.makeParameters(as: Double.self, key: key.folding(in: 1))
        let schedule = DenoisingGANConfiguration(generator: g, discriminator: d, steps: 4, normalization: normalization).schedule
        let x0 = Tensor<Double>.randomNormal(shape: [4, frames, features], key: key.folding(in: 2))
        let k = [0, 1, 2, 3], labels = [0, 1, 1, 0], times = k.map(Double.init)
        let (less, more) = DenoisingGANTrainer.realPairs(x0, steps: k, schedule: schedule, key: key.folding(in: 3))
        let z = Tensor<Double>.randomNormal(shape: [4, 3], key: key.folding(in: 4))
        let fakeLess = DenoisingGANTrainer.posteriorDraw(g(Variable(more), timesteps: times, actions: labels.map { $0 }, latent: Variable(z), gParameters.constants),
                                                         noisier: more, steps: k, schedule: schedule, key: key.folding(in: 5)).value
        assertGradients(dParameters, names: ["mlp.layers.0.weight", "mlp.layers.2.bias"]) { p in
            DenoisingGANTrainer.discriminatorLoss(real: d(lessNoisy: Variable(less), noisier: Variable(more), timesteps: times, actions: labels, p),
                                                  fake: d(lessNoisy: Variable(fakeLess), noisier: Variable(more), timesteps: times, actions: labels, p))
        }
        let weights = MotionLossWeights(reconstruction: 1, positions: 0, velocity: 0, footContact: 0)
        assertGradients(gParameters, names: ["output.weight", "latent.layers.0.weight", "layers.0.linear1.weight"]) { p in
            let denoised = g(Variable(more), timesteps: times, actions: [0, nil, 1, 0], latent: Variable(z), p)
            let drawn = DenoisingGANTrainer.posteriorDraw(denoised, noisier: more, steps: k, schedule: schedule, key: key.folding(in: 6))
            let adversarial = DenoisingGANTrainer.generatorAdversarialLoss(fake: d(lessNoisy: drawn, noisier: Variable(more), timesteps: times, actions: labels, dParameters.constants))
            return adversarial * 0.1 + weights.loss(denoised, x0, normalization: normalization)
        }
    }

    /// Done-when: the R1 estimate against the exact squared gradient norm of a small MLP. Exact:
    /// ‖∇ₓD‖² from the tape. Estimate: ((D(x + εv) − D(x − εv))/(2ε))² with v ~ N(0, I), whose mean is
    /// ‖∇D‖² and whose variance is 2‖∇D‖⁴ (Gaussian v), so M directions give a standard error of
    /// √(2/M)·‖∇D‖²; the test allows 5 standard errors. For a fixed v the estimate equals (v·∇D)².
    func testR1EstimateMatchesTheExactGradientNorm() {
        let key = RandomKey(seed: 11)
        let d = discriminator
        let p = d.makeParameters(as: Double.self, key: key.folding(in: 0))
        let less = Tensor<Double>.randomNormal(shape: [1, frames, features], key: key.folding(in: 1))
        let more = Tensor<Double>.randomNormal(shape: [1, frames, features], key: key.folding(in: 2))
        let D = { (x: Variable<Double>) in   // the estimate evaluates D once on [x + εv; x − εv]
            d(lessNoisy: x, noisier: Variable(Tensor.concatenate(Array(repeating: more, count: x.shape[0]), alongAxis: 0)),
              timesteps: Array(repeating: 2, count: x.shape[0]), actions: Array(repeating: 1, count: x.shape[0]), p.constants)
        }
        let tape = Tape<Double>()
        let x = tape.watch(less)
        let out = d(lessNoisy: x, noisier: Variable(more), timesteps: [2], actions: [1], p.bound(to: tape))
        let gradient = tape.gradient(of: out)[x]
        let exact = (gradient * gradient).sum().scalar
        XCTAssertGreaterThan(exact, 0)

        let directions = 20_000
        var total = 0.0
        for m in 0..<directions {
            total += DenoisingGANTrainer.r1Estimate(D, at: less, step: 1e-4, key: key.folding(in: 100 + m)).value.scalars[0]
        }
        let estimate = total / Double(directions)
        let standardError = (2.0 / Double(directions)).squareRoot() * exact
        XCTAssertEqual(estimate, exact, accuracy: 5 * standardError, "mean of \(directions) directional estimates")

        let v = Tensor<Double>.randomNormal(shape: less.shape, key: key.folding(in: 100))
        let directional = (v * gradient).sum().scalar
        let single = DenoisingGANTrainer.r1Estimate(D, at: less, step: 1e-4, key: key.folding(in: 100)).value.scalars[0]
        XCTAssertEqual(single, directional * directional, accuracy: 1e-6 * directional * directional, "one direction")
    }

    /// DDGAN's schedule in closed form, and the posterior draw at k = 0 returns x̂₀.
    func testScheduleAndPosterior() {
        let c = DenoisingGANConfiguration(generator: generator, discriminator: discriminator, steps: 10, normalization: normalization)
        let s = c.schedule
        XCTAssertEqual(s.trainingSteps, 10)
        func logAlphaBar(_ t: Double) -> Double { -0.5 * t * t * (20 - 0.1) - t * 0.1 }
        for k in 0..<10 {
            let t0 = 1e-3, t = 1e-3 + (1 - 1e-3) * Double(k + 1) / 10
            XCTAssertEqual(log(s.alphasCumulativeProduct[k]), logAlphaBar(t) - logAlphaBar(t0), accuracy: 1e-9)
        }
        let x = Tensor<Double>.randomNormal(shape: [2, 3, 5], key: RandomKey(seed: 1))
        let denoised = Tensor<Double>.randomNormal(shape: [2, 3, 5], key: RandomKey(seed: 2))
        let drawn = DenoisingGANTrainer.posteriorDraw(Variable(denoised), noisier: x, steps: [0, 0], schedule: s, key: RandomKey(seed: 3)).value
        XCTAssertEqual(drawn.scalars, denoised.scalars)
    }

    /// Done-when: sampling does not depend on the batch: the latent z and the noise of sample i come
    /// from its sample index, so sampling rows 2–3 alone (offset 2) gives rows 2–3 of the batch of 4.
    func testSamplingIsIndependentOfTheBatch() {
        let g = generator
        let model = MotionDenoiserModel(network: g, parameters: g.makeParameters(as: Float.self, key: RandomKey(seed: 5)))
        let schedule = DenoisingGANConfiguration(generator: g, discriminator: discriminator, steps: 4, normalization: normalization).schedule
        let grid = TimeGrid.discrete(schedule, steps: 4, spacing: .linspace)
        let key = RandomKey(seed: 9)
        let all = model.sample(labels: [0, 1, 1, 0], frames: frames, grid: grid, sampler: DDPMSampler<Tensor<Float>>(), key: key).samples
        let tail = model.sample(labels: [1, 0], frames: frames, grid: grid, sampler: DDPMSampler<Tensor<Float>>(), key: key, sampleOffset: 2).samples
        let a = all.slice(axis: 0, 2..<4).scalars, b = tail.scalars
        XCTAssertEqual(a.count, b.count)
        for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 1e-5) }
        // And with guidance (two model calls per step, one z).
        let guided = model.sample(labels: [0, 1, 1, 0], frames: frames, grid: grid, sampler: DDPMSampler<Tensor<Float>>(), guidance: 2, key: key).samples
        let guidedTail = model.sample(labels: [1, 0], frames: frames, grid: grid, sampler: DDPMSampler<Tensor<Float>>(), guidance: 2, key: key, sampleOffset: 2).samples
        for (x, y) in zip(guided.slice(axis: 0, 2..<4).scalars, guidedTail.scalars) { XCTAssertEqual(x, y, accuracy: 1e-5) }
        // Across the model's parallel row blocks: rows 15–17 of 18 (blocks 0..<16 and 16..<18) alone.
        let many = (0..<18).map { $0 % 2 }
        let batch = model.sample(labels: many, frames: frames, grid: grid, sampler: DDPMSampler<Tensor<Float>>(), key: key).samples
        let rows = model.sample(labels: Array(many[15...]), frames: frames, grid: grid, sampler: DDPMSampler<Tensor<Float>>(), key: key, sampleOffset: 15).samples
        XCTAssertGreaterThan(many.count, MotionDenoiserModel.rowsPerBlock)
        for (x, y) in zip(batch.slice(axis: 0, 15..<18).scalars, rows.scalars) { XCTAssertEqual(x, y, accuracy: 1e-5) }
        // The grid visits all four steps and the model is evaluated four times.
        XCTAssertEqual(grid.points.count, 5)
    }
}

final class MotionLossAndEvaluationTests: XCTestCase {
    /// The reconstruction and geometric losses (positions, velocities, foot contact) against
    /// central differences in Float64, on real features with the benchmark's normalisation.
    func testMotionLossGradients() throws {
        let clip = RepresentationTests.clips[0]
        let rows = try HumanML3DFeatures.encode(clip.positions, skeleton: clip.skeleton)
        let normalization = try FeatureNormalization(clips: RepresentationTests.clips.map { try HumanML3DFeatures.encode($0.positions, skeleton: $0.skeleton) })
        let target = Tensor<Double>(shape: [1, 4, 263], scalars: normalization.normalize(Array(rows[10..<14])).joined())
        XCTAssertGreaterThan(target.slice(axis: 2, 259..<263).scalars.filter { $0 > 0 }.count, 0, "some contact in the window")
        let predicted = target + Tensor<Double>.randomNormal(shape: target.shape, key: RandomKey(seed: 4)) * 0.3
        let weights = MotionLossWeights(reconstruction: 1, positions: 2, velocity: 3, footContact: 4, footSlide: 5)
        let result = checkGradients([predicted]) { v in weights.loss(v[0], target, normalization: normalization) }
        XCTAssertLessThan(result.worst, 1e-6, "\(result)")
        // Every term but the foot term is zero at the target (the foot term pushes contact velocities to zero).
        XCTAssertEqual(MotionLossWeights(footContact: 0).loss(Variable(target), target, normalization: normalization).value.scalar, 0, accuracy: 1e-12)
    }

    /// The foot-slide term's displacements are those of `recover_from_ric`'s positions
    /// (`HumanML3DFeatures.positions`), frame to frame, on every action's clip; configurations
    /// written before the term decode with weight 0.
    func testFootStepsMatchRecoveredPositions() throws {
        let normalization = try FeatureNormalization(clips: RepresentationTests.clips.map { try HumanML3DFeatures.encode($0.positions, skeleton: $0.skeleton) })
        let feet = Skeleton.humanML3DFootJoints
        for clip in RepresentationTests.clips {
            let rows = try HumanML3DFeatures.encode(clip.positions, skeleton: clip.skeleton)
            let positions = try HumanML3DFeatures.positions(rows)
            let l = rows.count
            let features = Variable(Tensor<Double>(shape: [1, l, 263], scalars: normalization.normalize(rows).joined()))
            let steps = MotionLossWeights.footSteps(features, normalization: normalization)
            for (k, joint) in feet.enumerated() {
                let x = steps[k].x.value.scalars, z = steps[k].z.value.scalars
                for t in 0..<(l - 1) {
                    XCTAssertEqual(x[t], positions[t + 1][joint].x - positions[t][joint].x, accuracy: 1e-9)
                    XCTAssertEqual(z[t], positions[t + 1][joint].z - positions[t][joint].z, accuracy: 1e-9)
                }
            }
        }
        let old = #"{"reconstruction":1,"positions":1,"velocity":1,"footContact":1}"#
        XCTAssertEqual(try JSONDecoder().decode(MotionLossWeights.self, from: Data(old.utf8)), MotionLossWeights())
    }

    func testFrechetDistanceAndDiversity() throws {
        var r = RandomStream(seed: 1)
        let n = 4000, d = 3
        let a = (0..<n).map { _ in (0..<d).map { _ in r.normal(Double.self) } }
        let shift = [1.0, -2.0, 0.5]
        let b = (0..<n).map { _ in (0..<d).map { r.normal(Double.self) + shift[$0] } }
        // Both are N(·, I): the Fréchet distance is ‖Δμ‖² = 5.25, with sampling error of order d/n and ‖Δμ‖/√n.
        XCTAssertEqual(try MotionEvaluation.frechetDistance(a, b), 5.25, accuracy: 0.25)
        XCTAssertEqual(try MotionEvaluation.frechetDistance(a, a), 0, accuracy: 1e-9)
        // Mean distance between independent N(0, I₃) points: E‖x − y‖ = 2·Γ(2)/Γ(3/2) = 4/√π ≈ 2.257.
        XCTAssertEqual(MotionEvaluation.diversity(a, pairs: 20_000, key: RandomKey(seed: 2)), 4 / Double.pi.squareRoot(), accuracy: 0.05)
        XCTAssertEqual(MotionEvaluation.multimodality(a + b, labels: Array(repeating: 0, count: n) + Array(repeating: 1, count: n), pairsPerAction: 20_000, key: RandomKey(seed: 3)), 4 / Double.pi.squareRoot(), accuracy: 0.05)
        XCTAssertEqual(MotionEvaluation.accuracy([1, 2, 3, 4], [1, 2, 0, 4]), 0.75)
        XCTAssertThrowsError(try MotionEvaluation.frechetDistance([[1]], [[1], [2]]))
    }
}
