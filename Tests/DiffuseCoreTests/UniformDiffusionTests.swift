import Foundation
import XCTest
import _DiffuseTestSupport
import DiffuseNN
import DiffuseTensor
@testable import DiffuseCore

/// Uniform-noise discrete diffusion against exact quantities of the enumerated toy model of
/// ``MaskedDiffusionTests`` (27 sequences of length 3 over 3 tokens).
final class UniformDiffusionTests: XCTestCase {
    let schedule = LogLinearMasking()

    /// The exact p(x₀,ℓ | x_t) of the toy model under uniform noise at time t (per sample).
    struct ExactUniformDenoiser: TokenDenoiser {
        let schedule: any MaskingSchedule
        var vocabularySize: Int { 3 }
        var usesTime: Bool { true }
        func logits(_ x: TokenBatch, at times: [Double], key: SampleKey, state: inout Void) -> Tensor<Double> {
            var out: [Double] = []
            for i in 0..<x.sampleCount {
                let row = Array(x[sample: i]), a = schedule.alpha(at: times[i])
                let joint = MaskedDiffusionTests.sequences.indices.map { s -> Double in
                    (0..<3).reduce(MaskedDiffusionTests.probabilities[s]) { $0 * (a * (row[$1] == MaskedDiffusionTests.sequences[s][$1] ? 1 : 0) + (1 - a) / 3) }
                }
                for l in 0..<3 {
                    for c in 0..<3 {
                        let mass = joint.indices.filter { MaskedDiffusionTests.sequences[$0][l] == c }.reduce(0) { $0 + joint[$1] }
                        out.append(Foundation.log(mass))
                    }
                }
            }
            return Tensor(shape: [x.sampleCount, 3, 3], scalars: out)
        }
    }

    /// Σ_i q(x_t = i | x₀)·q(x_s | x_t = i, x₀) = q(x_s | x₀), and the model's reverse step equals
    /// the posterior when the model knows x₀.
    func testPosteriorIsConsistentWithTheForwardProcess() {
        let (at, as_) = (schedule.alpha(at: 0.6), schedule.alpha(at: 0.35))
        for c in 0..<3 {
            var marginal = [Double](repeating: 0, count: 3)
            for i in 0..<3 {
                let forward = at * (i == c ? 1 : 0) + (1 - at) / 3
                for (j, p) in UniformDiffusion.posterior(current: i, clean: c, vocabularySize: 3, alphaT: at, alphaS: as_).enumerated() { marginal[j] += forward * p }
            }
            for j in 0..<3 { XCTAssertEqual(marginal[j], as_ * (j == c ? 1 : 0) + (1 - as_) / 3, accuracy: 1e-14) }
            let x = TokenBatch(tokens: [0, 1, 2], length: 3, vocabularySize: 3)
            let certain = Tensor<Double>(shape: [1, 3, 3], scalars: (0..<9).map { $0 % 3 == c ? 0 : -1000 })
            let p = UniformDiffusion.reverseProbabilities(logits: Variable(certain), state: x, from: [0.6], to: [0.35], schedule: schedule).value.scalars
            for l in 0..<3 {
                let expected = UniformDiffusion.posterior(current: l, clean: c, vocabularySize: 3, alphaT: at, alphaS: as_)
                for j in 0..<3 { XCTAssertEqual(p[l * 3 + j], expected[j], accuracy: 1e-14) }
            }
        }
    }

    /// The T-step negative ELBO of the exact model, by enumeration of x_t: above −log p(x₀) for
    /// every T, and closer as T grows, as 1/T (the discretisation of the continuous-time bound,
    /// which is tight for an exact model).
    func testNegativeELBOBoundsTheNegativeLogLikelihood() {
        let model = ExactUniformDenoiser(schedule: schedule)
        let noisyStates = TokenBatch(tokens: MaskedDiffusionTests.sequences.flatMap { $0 }, length: 3, vocabularySize: 3)
        for s in [0, 13, 26] {
            let x0 = MaskedDiffusionTests.sequences[s]
            let nll = -Foundation.log(MaskedDiffusionTests.probabilities[s]) / 3
            var gaps: [Double] = []
            for steps in [4, 16, 64] {
                let objective = UniformDiffusionObjective(schedule: schedule, steps: steps)
                var nelbo = 0.0
                for k in 1...steps {
                    let a = schedule.alpha(at: objective.times(ofStep: k).t)
                    let weights = MaskedDiffusionTests.sequences.map { xt in (0..<3).reduce(1.0) { $0 * (a * (xt[$1] == x0[$1] ? 1 : 0) + (1 - a) / 3) } }
                    let example = UniformDiffusionObjective.Example(clean: TokenBatch(tokens: (0..<27).flatMap { _ in x0 }, length: 3, vocabularySize: 3),
                                                                    noisy: noisyStates, steps: [Int](repeating: k, count: 27))
                    var unit: Void = ()
                    let t = [Double](repeating: objective.times(ofStep: k).t, count: 27)
                    let losses = objective.perSampleLosses(logits: Variable(model.logits(noisyStates, at: t, key: .fixed, state: &unit)), example).value.scalars
                    nelbo += zip(weights, losses).reduce(0) { $0 + $1.0 * $1.1 } / Double(steps)
                }
                XCTAssertGreaterThan(nelbo, nll - 1e-9, "T = \(steps), sequence \(x0)")
                gaps.append(nelbo - nll)
            }
            // The gap falls as 1/T (measured: 0.062, 0.016, 0.0040 nats per token for [0, 0, 0]).
            XCTAssertLessThan(gaps[1], gaps[0], "gaps \(gaps)")
            XCTAssertEqual(gaps[1] / gaps[2], 4, accuracy: 1, "gaps \(gaps)")
        }
    }

    /// With the exact model, the sampler's sequences follow p within the sampling bound (the
    /// per-position reverse steps are exact as T grows; 64 steps here, measured TV 0.044 against a
    /// bound of 0.089 for 3000 samples).
    func testSamplerApproachesTheExactDistribution() {
        let sampler = UniformDiffusionSampler(model: ExactUniformDenoiser(schedule: schedule), schedule: schedule, steps: 64)
        let n = 3000
        let result = DiffuseCore.sample(sampler, from: sampler.prior(count: n, length: 3, key: RandomKey(seed: 1)), key: RandomKey(seed: 2))
        var counts = [Double](repeating: 0, count: 27)
        for i in 0..<n { let r = Array(result.samples[sample: i]); counts[r[0] * 9 + r[1] * 3 + r[2]] += 1 }
        let tv = 0.5 * zip(counts, MaskedDiffusionTests.probabilities).reduce(0) { $0 + Swift.abs($1.0 / Double(n) - $1.1) }
        let bound = 0.5 * MaskedDiffusionTests.probabilities.reduce(0) { $0 + ($1 * (1 - $1) / Double(n)).squareRoot() } + (Foundation.log(1e6) / (2 * Double(n))).squareRoot()
        XCTAssertLessThan(tv, bound, "TV \(tv), bound \(bound)")
        XCTAssertEqual(result.statistics.functionEvaluations, 64)
        // Batch independence.
        let part = DiffuseCore.sample(sampler, from: sampler.prior(count: 3, length: 3, key: RandomKey(seed: 1), sampleOffset: 5), key: RandomKey(seed: 2), sampleOffset: 5)
        XCTAssertEqual(Array(part.samples.tokens), Array(result.samples.tokens[15..<24]))
    }
}
