import Foundation
import XCTest
import _DiffuseTestSupport
import DiffuseNN
import DiffuseTensor
@testable import DiffuseCore

/// Masked discrete diffusion against exact quantities of an enumerated toy model: sequences of
/// length 3 over 3 tokens (27 of them) with a fixed p, and the exact denoiser p(x₀ | x_t).
final class MaskedDiffusionTests: XCTestCase {
    static let length = 3, vocabulary = 3
    static let sequences: [[Int]] = (0..<27).map { [$0 / 9, ($0 / 3) % 3, $0 % 3] }
    static let probabilities: [Double] = {
        let w = sequences.map { x in Foundation.exp((x[0] == x[2] ? 1.1 : 0) - 0.7 * Double(x[1]) + (x[0] == 1 && x[1] == 0 ? 0.8 : 0)) }
        let total = w.reduce(0, +)
        return w.map { $0 / total }
    }()

    /// The exact p(x₀ | x_t): at a masked position, the marginal of p over the sequences that
    /// agree with the unmasked tokens.
    struct ExactToyDenoiser: TokenDenoiser {
        var vocabularySize: Int { MaskedDiffusionTests.vocabulary }
        var usesTime: Bool { false }
        func logits(_ x: TokenBatch, at times: [Double], key: SampleKey, state: inout Void) -> Tensor<Double> {
            var out: [Double] = []
            for i in 0..<x.sampleCount {
                let row = Array(x[sample: i])
                let consistent = MaskedDiffusionTests.sequences.indices.filter { s in
                    (0..<row.count).allSatisfy { row[$0] == x.mask || row[$0] == MaskedDiffusionTests.sequences[s][$0] }
                }
                for l in 0..<row.count {
                    for k in 0..<x.vocabularySize {
                        let mass = consistent.filter { MaskedDiffusionTests.sequences[$0][l] == k }.reduce(0) { $0 + MaskedDiffusionTests.probabilities[$1] }
                        out.append(Foundation.log(Swift.max(mass, 1e-300)))
                    }
                }
            }
            return Tensor(shape: [x.sampleCount, x.length, x.vocabularySize], scalars: out)
        }
    }

    /// The same model declaring independent rows: samplers run it once per distinct row, and
    /// count the rows it counted the times it was called with.
    struct RowCountingDenoiser: TokenDenoiser {
        final class Counter { var rows = 0 }
        let counter = Counter()
        var vocabularySize: Int { MaskedDiffusionTests.vocabulary }
        var usesTime: Bool { false }
        var rowsAreIndependent: Bool { true }
        func logits(_ x: TokenBatch, at times: [Double], key: SampleKey, state: inout Void) -> Tensor<Double> {
            counter.rows += x.sampleCount
            return ExactToyDenoiser().logits(x, at: times, key: key, state: &state)
        }
    }

    /// SVDD copies each particle M times before propagating; with independent rows the copies are
    /// evaluated once (and rows seen in the last evaluation not at all), the samples are the same
    /// bit for bit, and the per-sample count of model rows is the rows the model actually ran.
    func testDistinctRowsAreEvaluatedOnce() {
        let reward: (TokenBatch) -> [Double] = { x in (0..<x.sampleCount).map { i in Double(x[sample: i].filter { $0 == 1 }.count) } }
        let start = TokenBatch.masked(count: 5, length: 3, vocabularySize: 3)
        let plain = ParticleGuidance.svdd(MaskedDiffusionKernel(sampler: MaskedDiffusionSampler(model: ExactToyDenoiser(), schedule: LogLinearMasking(), steps: 8)),
                                          from: start, candidates: 4, key: RandomKey(seed: 12), reward: reward)
        let counting = RowCountingDenoiser()
        let deduplicated = ParticleGuidance.svdd(MaskedDiffusionKernel(sampler: MaskedDiffusionSampler(model: counting, schedule: LogLinearMasking(), steps: 8)),
                                                 from: start, candidates: 4, key: RandomKey(seed: 12), reward: reward)
        XCTAssertEqual(plain.samples, deduplicated.samples)
        XCTAssertEqual(plain.rewards, deduplicated.rewards)
        XCTAssertEqual(deduplicated.statistics.sampleEvaluations * 5, Double(counting.counter.rows), accuracy: 1e-9)
        XCTAssertLessThan(deduplicated.statistics.sampleEvaluations, plain.statistics.sampleEvaluations * 0.7)
        // Resampled populations: Feynman–Kac steering's particles are copies of estimated ones,
        // so with the row cache each step costs about one row per particle, not two.
        let counted = RowCountingDenoiser()
        let steered = ParticleGuidance.feynmanKac(MaskedDiffusionKernel(sampler: MaskedDiffusionSampler(model: counted, schedule: LogLinearMasking(), steps: 8)),
                                                  from: start, particles: 4, temperature: 0.5, trigger: .every(1), key: RandomKey(seed: 13), reward: reward)
        let reference = ParticleGuidance.feynmanKac(MaskedDiffusionKernel(sampler: MaskedDiffusionSampler(model: ExactToyDenoiser(), schedule: LogLinearMasking(), steps: 8)),
                                                    from: start, particles: 4, temperature: 0.5, trigger: .every(1), key: RandomKey(seed: 13), reward: reward)
        XCTAssertEqual(steered.samples, reference.samples)
        XCTAssertEqual(steered.statistics.sampleEvaluations * 5, Double(counted.counter.rows), accuracy: 1e-9)
        XCTAssertLessThanOrEqual(steered.statistics.sampleEvaluations, Double(4 * 8 + 4 + 4))
    }

    /// A model that knows nothing: uniform over the tokens.
    struct FlatDenoiser: TokenDenoiser {
        var vocabularySize: Int { MaskedDiffusionTests.vocabulary }
        var usesTime: Bool { false }
        func logits(_ x: TokenBatch, at times: [Double], key: SampleKey, state: inout Void) -> Tensor<Double> {
            Tensor(zeros: [x.sampleCount, x.length, x.vocabularySize])
        }
    }

    /// Classifier-free guidance on logits: scale 1 is the conditional model, 0 the unconditional
    /// one, and in general p ∝ p_c^γ·p_u^{1−γ} (with a flat unconditional model, p_c^γ
    /// renormalised); the masked sampler runs on the guided model.
    func testClassifierFreeGuidanceOnLogits() {
        let x = TokenBatch(tokens: [3, 3, 3, 0, 3, 3, 3, 1, 2], length: 3, vocabularySize: 3)
        var unit: Void = ()
        let exact = SUBSDistribution(logits: ExactToyDenoiser().logits(x, at: [1, 1, 1], key: .fixed, state: &unit), state: x)
        for scale in [0.0, 0.5, 1.0, 2.0] {
            let guided = TokenClassifierFreeGuidance(conditional: ExactToyDenoiser(), unconditional: FlatDenoiser(), scale: scale)
            var state = guided.makeState()
            let p = SUBSDistribution(logits: guided.logits(x, at: [1, 1, 1], key: .fixed, state: &state), state: x)
            for position in x.tokens.indices where x.tokens[position] == x.mask {
                let tilted = exact.probabilities(at: position).map { Foundation.pow($0, scale) }
                let total = tilted.reduce(0, +)
                for (a, b) in zip(p.probabilities(at: position), tilted.map { $0 / total }) { XCTAssertEqual(a, b, accuracy: 1e-12, "scale \(scale)") }
            }
        }
        let sampler = MaskedDiffusionSampler(model: TokenClassifierFreeGuidance(conditional: ExactToyDenoiser(), unconditional: FlatDenoiser(), scale: 3),
                                             schedule: LogLinearMasking(), steps: 8)
        XCTAssertEqual(sampler.sample(count: 4, length: 3, key: RandomKey(seed: 40)).samples.maskedCount, 0)
    }

    func testScheduleIdentitiesAndLossWeights() {
        let schedules: [any MaskingSchedule] = [LogLinearMasking(), CosineMasking(), GeometricMasking()]
        for schedule in schedules {
            for t in stride(from: 0.05, through: 0.95, by: 0.1) {
                let h = 1e-6
                let numeric = (schedule.alpha(at: t + h) - schedule.alpha(at: t - h)) / (2 * h)
                XCTAssertEqual(schedule.alphaDerivative(at: t), numeric, accuracy: 1e-7 * Swift.max(1, Swift.abs(numeric)), "\(schedule) t = \(t)")
                XCTAssertEqual(schedule.lossWeight(at: t), -schedule.alphaDerivative(at: t) / (1 - schedule.alpha(at: t)), accuracy: 1e-9 * schedule.lossWeight(at: t))
                XCTAssertLessThan(schedule.alpha(at: t + 0.01), schedule.alpha(at: t))
                // Unmasking from t to s < t and then from s to 0 unmasks with total probability 1.
                let s = t / 2
                let p = schedule.unmaskingProbability(from: t, to: s), q = schedule.unmaskingProbability(from: s, to: 0)
                XCTAssertEqual(p + (1 - p) * q, schedule.unmaskingProbability(from: t, to: 0), accuracy: 1e-12)
            }
        }
        let logLinear = LogLinearMasking(epsilon: 1e-3)
        XCTAssertEqual(logLinear.alpha(at: 0), 1)
        XCTAssertEqual(logLinear.alpha(at: 1), 1e-3, accuracy: 1e-15)
        for t in [1e-3, 0.1, 0.5, 0.9, 1] { XCTAssertEqual(logLinear.lossWeight(at: t), 1 / t, accuracy: 1e-12 / t) }
        XCTAssertEqual(CosineMasking().alpha(at: 0), 1)
        XCTAssertEqual(CosineMasking().alpha(at: 1), 1e-3, accuracy: 1e-15)
        XCTAssertEqual(GeometricMasking().alpha(at: 0), Foundation.exp(-1e-4), accuracy: 1e-15)
    }

    /// SUBS: a masked position gets the log-softmax over the data tokens; an unmasked one a point
    /// mass on its token, whatever the logits say.
    func testSUBSCarriesOverUnmaskedTokens() {
        let x = TokenBatch(tokens: [3, 1, 3], length: 3, vocabularySize: 3)
        let logits = Tensor<Double>(shape: [1, 3, 3], scalars: [0.5, -1, 2, 9, 9, 9, 0, 0, 0])
        let d = SUBSDistribution(logits: logits, state: x)
        let z = Foundation.log(Foundation.exp(0.5) + Foundation.exp(-1) + Foundation.exp(2))
        XCTAssertEqual(d.logProbabilities[0], 0.5 - z, accuracy: 1e-14)
        XCTAssertEqual(d.logProbabilities[2], 2 - z, accuracy: 1e-14)
        XCTAssertEqual(Array(d.logProbabilities[3..<6]), [-.infinity, 0, -.infinity])
        XCTAssertEqual(d.probabilities(at: 2), [1.0 / 3, 1.0 / 3, 1.0 / 3].map { _ in d.probabilities(at: 2)[0] })
        XCTAssertEqual(d.mostProbable(at: 0), 2)
        XCTAssertEqual(d.mostProbable(at: 1), 1)
    }

    /// With an exact model and α(1) = 0, the negative ELBO equals −log p(x₀) exactly: integrated
    /// over t with Gauss–Legendre (the integrand is a polynomial of degree L − 1 in t for the
    /// log-linear schedule) and over all 2^L mask patterns.
    func testNegativeELBOEqualsTheExactNegativeLogLikelihood() {
        let objective = MaskedDiffusionObjective(schedule: LogLinearMasking(epsilon: 0), minimumTime: 0)
        let model = ExactToyDenoiser()
        let (nodes, weights) = ([-0.8611363115940526, -0.3399810435848563, 0.3399810435848563, 0.8611363115940526],
                                [0.3478548451374538, 0.6521451548625461, 0.6521451548625461, 0.3478548451374538])
        for s in [0, 5, 13, 26] {
            let x0 = Self.sequences[s]
            var nelbo = 0.0
            for (node, weight) in zip(nodes, weights) {
                let t = 0.5 * (node + 1)
                // Every mask pattern of the sequence, with its probability at t.
                var noisy: [Int] = [], probabilities: [Double] = []
                for pattern in 0..<8 {
                    let masked = (0..<3).map { pattern >> $0 & 1 == 1 }
                    noisy += (0..<3).map { masked[$0] ? 3 : x0[$0] }
                    let k = masked.filter { $0 }.count
                    probabilities.append(Foundation.pow(1 - objective.schedule.alpha(at: t), Double(k)) * Foundation.pow(objective.schedule.alpha(at: t), Double(3 - k)))
                }
                let clean = TokenBatch(tokens: [Int](repeating: 0, count: 8).indices.flatMap { _ in x0 }, length: 3, vocabularySize: 3)
                let batch = TokenBatch(tokens: noisy, length: 3, vocabularySize: 3)
                let example = MaskedDiffusionObjective.Example(clean: clean, noisy: batch, times: [Double](repeating: t, count: 8),
                                                               weights: [Double](repeating: objective.schedule.lossWeight(at: t), count: 8))
                var unit: Void = ()
                let losses = objective.perSampleLosses(logits: Variable(model.logits(batch, at: example.times, key: .fixed, state: &unit)), example).value.scalars
                nelbo += 0.5 * weight * zip(probabilities, losses).reduce(0) { $0 + $1.0 * $1.1 }
            }
            // Per token: −log p(x₀)/L.
            XCTAssertEqual(nelbo, -Foundation.log(Self.probabilities[s]) / 3, accuracy: 1e-12, "sequence \(x0)")
        }
        // The Monte-Carlo estimate agrees within its standard error (MDLM's defaults: ε = 10⁻³).
        let data = TokenBatch(tokens: (0..<200).flatMap { Self.sequences[$0 % 27] }, length: 3, vocabularySize: 3)
        let exact = (0..<200).reduce(0.0) { $0 - Foundation.log2(Self.probabilities[$1 % 27]) } / 600
        let estimate = MaskedDiffusionObjective().negativeELBO(model, data: data, draws: 40, key: RandomKey(seed: 1))
        XCTAssertEqual(estimate.bitsPerToken, exact, accuracy: 4 * estimate.standardError + 0.01, "\(estimate)")
    }

    /// Float64 categorical draws follow their probabilities, tiny ones included: Pearson's
    /// χ² with 3 degrees of freedom stays below 30.7 (p = 10⁻⁶).
    func testCategoricalDrawsPassAChiSquareTest() {
        let probabilities = [0.6, 0.3, 0.0999, 0.0001]
        var counts = [Double](repeating: 0, count: 4)
        var stream = RandomStream(seed: 3)
        let n = 400_000
        for _ in 0..<n { counts[CategoricalDraw.index(probabilities, uniform: stream.uniformDouble())] += 1 }
        let chiSquare = zip(counts, probabilities).reduce(0) { $0 + ($1.0 - Double(n) * $1.1) * ($1.0 - Double(n) * $1.1) / (Double(n) * $1.1) }
        XCTAssertLessThan(chiSquare, 30.7, "counts \(counts)")
        XCTAssertEqual(CategoricalDraw.index([0, 1, 0], uniform: 0), 1)
        XCTAssertEqual(CategoricalDraw.index([1, 1, 0], uniform: 0.9999999999), 1)
    }

    private func totalVariation(_ x: TokenBatch) -> Double {
        var counts = [Double](repeating: 0, count: 27)
        for i in 0..<x.sampleCount { let r = Array(x[sample: i]); counts[r[0] * 9 + r[1] * 3 + r[2]] += 1 }
        return 0.5 * zip(counts, Self.probabilities).reduce(0) { $0 + Swift.abs($1.0 / Double(x.sampleCount) - $1.1) }
    }

    private func samplingBound(n: Int) -> Double {
        0.5 * Self.probabilities.reduce(0) { $0 + ($1 * (1 - $1) / Double(n)).squareRoot() } + (Foundation.log(1e6) / (2 * Double(n))).squareRoot()
    }

    /// One token per step with the exact model samples p exactly; the ancestral sampler with many
    /// steps nearly so. The cache changes nothing but the number of model calls.
    func testSamplersAgainstTheExactDistribution() {
        let n = 4000
        let exact = MaskedDiffusionSampler(model: ExactToyDenoiser(), schedule: LogLinearMasking(), steps: 3, unmasking: .tokensPerStep(1))
        let oneByOne = exact.sample(count: n, length: 3, key: RandomKey(seed: 4))
        XCTAssertEqual(oneByOne.samples.maskedCount, 0)
        XCTAssertLessThan(totalVariation(oneByOne.samples), samplingBound(n: n))
        XCTAssertEqual(oneByOne.statistics.functionEvaluations, 3)

        let ancestral = MaskedDiffusionSampler(model: ExactToyDenoiser(), schedule: LogLinearMasking(), steps: 64)
        let cached = ancestral.sample(count: n, length: 3, key: RandomKey(seed: 5))
        XCTAssertEqual(cached.samples.maskedCount, 0)
        XCTAssertLessThan(totalVariation(cached.samples), samplingBound(n: n) + 0.02)
        let uncached = MaskedDiffusionSampler(model: ExactToyDenoiser(), schedule: LogLinearMasking(), steps: 64, cache: false)
            .sample(count: n, length: 3, key: RandomKey(seed: 5))
        XCTAssertEqual(cached.samples, uncached.samples)
        // A batch of 4000 changes at nearly every step; two sequences of 3 tokens over 64 steps
        // leave most steps unchanged, and the cache saves those evaluations, bit for bit.
        let few = ancestral.sample(count: 2, length: 3, key: RandomKey(seed: 9))
        let fewUncached = MaskedDiffusionSampler(model: ExactToyDenoiser(), schedule: LogLinearMasking(), steps: 64, cache: false)
            .sample(count: 2, length: 3, key: RandomKey(seed: 9))
        XCTAssertEqual(few.samples, fewUncached.samples)
        XCTAssertLessThan(few.statistics.functionEvaluations, fewUncached.statistics.functionEvaluations / 4)
        // To t = 0 every masked position unmasks at the last step: one evaluation per step, no
        // noise-removal pass; with a minimum time above 0 some positions may remain and cost one more.
        let toZero = MaskedDiffusionSampler(model: ExactToyDenoiser(), schedule: LogLinearMasking(), steps: 64, minimumTime: 0, cache: false)
            .sample(count: 50, length: 3, key: RandomKey(seed: 5))
        XCTAssertEqual(toZero.statistics.functionEvaluations, 64)
        XCTAssertEqual(toZero.samples.maskedCount, 0)
    }

    /// A denoiser certain of position 2 (token 1) and undecided between the tokens elsewhere.
    struct CertainOfLastPosition: TokenDenoiser {
        var vocabularySize: Int { 3 }
        var usesTime: Bool { false }
        func logits(_ x: TokenBatch, at times: [Double], key: SampleKey, state: inout Void) -> Tensor<Double> {
            var out: [Double] = []
            for _ in 0..<x.sampleCount {
                out += [0, 0, 0, 0, 0.5, 0.2, -60, 0, -60]
            }
            return Tensor(shape: [x.sampleCount, 3, 3], scalars: out)
        }
    }

    /// Confident unmasking commits the most probable positions first; with very large Gumbel
    /// noise the order is uniform again and the exact model's samples follow p as the ancestral
    /// sampler's do. A token temperature τ draws from p^{1/τ}, checked by a chi-square test.
    func testConfidentUnmaskingAndTokenTemperature() {
        func orderViolations(noise: Double) -> Int {
            var violations = 0
            let sampler = MaskedDiffusionSampler(model: CertainOfLastPosition(), schedule: LogLinearMasking(), steps: 8, unmasking: .confident(noise: noise))
            _ = sampler.sample(count: 200, length: 3, key: RandomKey(seed: 31), observer: { event in
                for i in 0..<event.x.sampleCount {
                    let row = Array(event.x[sample: i])
                    if row[2] == event.x.mask && (row[0] != event.x.mask || row[1] != event.x.mask) { violations += 1 }
                }
            })
            return violations
        }
        XCTAssertEqual(orderViolations(noise: 0), 0)
        XCTAssertGreaterThan(orderViolations(noise: 1e6), 20)

        let n = 4000
        let noisy = MaskedDiffusionSampler(model: ExactToyDenoiser(), schedule: LogLinearMasking(), steps: 64, unmasking: .confident(noise: 1e9))
            .sample(count: n, length: 3, key: RandomKey(seed: 32))
        XCTAssertEqual(noisy.samples.maskedCount, 0)
        XCTAssertLessThan(totalVariation(noisy.samples), samplingBound(n: n) + 0.02)

        // One step unmasks every position: position 0 is drawn from its marginal at 1/τ.
        let tau = 0.5
        let draws = MaskedDiffusionSampler(model: ExactToyDenoiser(), schedule: LogLinearMasking(), steps: 1, unmasking: .tokensPerStep(3), temperature: tau)
            .sample(count: 20_000, length: 3, key: RandomKey(seed: 33)).samples
        var marginal = [Double](repeating: 0, count: 3)
        for (s, p) in zip(Self.sequences, Self.probabilities) { marginal[s[0]] += p }
        let tempered = marginal.map { Foundation.pow($0, 1 / tau) }
        let expected = tempered.map { $0 / tempered.reduce(0, +) }
        var counts = [Double](repeating: 0, count: 3)
        for i in 0..<draws.sampleCount { counts[draws[sample: i].first!] += 1 }
        let chiSquare = zip(counts, expected).reduce(0) { $0 + ($1.0 - 20_000 * $1.1) * ($1.0 - 20_000 * $1.1) / (20_000 * $1.1) }
        XCTAssertLessThan(chiSquare, 18.4, "counts \(counts), expected \(expected)") // χ²(2) at 1 − 10⁻⁴
    }

    /// Sample i's sequence does not depend on the batch, for the sampler and for SVDD over its
    /// kernel; a reward pulls SVDD's samples toward high-reward sequences.
    func testBatchIndependenceAndSVDDOverTheMaskedKernel() {
        let sampler = MaskedDiffusionSampler(model: ExactToyDenoiser(), schedule: LogLinearMasking(), steps: 16)
        let all = sampler.sample(count: 9, length: 3, key: RandomKey(seed: 6)).samples
        let part = DiffuseCore.sample(sampler, from: .masked(count: 3, length: 3, vocabularySize: 3), key: RandomKey(seed: 6), sampleOffset: 3).samples
        XCTAssertEqual(Array(part.tokens), Array(all.tokens[9..<18]))

        let kernel = MaskedDiffusionKernel(sampler: sampler)
        let reward: (TokenBatch) -> [Double] = { x in (0..<x.sampleCount).map { i in Double(x[sample: i].filter { $0 == 2 }.count) } }
        let svdd = ParticleGuidance.svdd(kernel, from: .masked(count: 9, length: 3, vocabularySize: 3), candidates: 4, key: RandomKey(seed: 7), reward: reward)
        let svddPart = ParticleGuidance.svdd(kernel, from: .masked(count: 3, length: 3, vocabularySize: 3), candidates: 4, key: RandomKey(seed: 7),
                                             sampleOffset: 3, reward: reward)
        XCTAssertEqual(Array(svddPart.samples.tokens), Array(svdd.samples.tokens[9..<18]))
        let base = sampler.sample(count: 400, length: 3, key: RandomKey(seed: 8)).samples
        let guided = ParticleGuidance.svdd(kernel, from: .masked(count: 400, length: 3, vocabularySize: 3), candidates: 4, key: RandomKey(seed: 8), reward: reward)
        XCTAssertGreaterThan(guided.rewards.reduce(0, +) / 400, reward(base).reduce(0, +) / 400 + 0.3)
    }

    /// Every token sampler and particle method gives sample i the same sequence in any batch:
    /// samples 3…5 of a batch of 9 equal a batch of 3 started at offset 3.
    func testEverySamplerAndParticleMethodIsBatchIndependent() {
        let reward: (TokenBatch) -> [Double] = { x in (0..<x.sampleCount).map { i in Double(x[sample: i].filter { $0 == 1 }.count) } }
        let masked = MaskedDiffusionSampler(model: ExactToyDenoiser(), schedule: LogLinearMasking(), steps: 12)
        let kernel = MaskedDiffusionKernel(sampler: masked)
        let methods: [(String, (Int, Int) -> TokenBatch)] = [
            ("ancestral", { n, o in DiffuseCore.sample(masked, from: .masked(count: n, length: 3, vocabularySize: 3), key: RandomKey(seed: 21), sampleOffset: o).samples }),
            ("confident, noisy, tempered", { n, o in
                DiffuseCore.sample(MaskedDiffusionSampler(model: ExactToyDenoiser(), schedule: LogLinearMasking(), steps: 6, unmasking: .confident(noise: 2), temperature: 0.7),
                                   from: .masked(count: n, length: 3, vocabularySize: 3), key: RandomKey(seed: 29), sampleOffset: o).samples }),
            ("two tokens per step", { n, o in
                DiffuseCore.sample(MaskedDiffusionSampler(model: ExactToyDenoiser(), schedule: CosineMasking(), steps: 4, unmasking: .tokensPerStep(2)),
                                   from: .masked(count: n, length: 3, vocabularySize: 3), key: RandomKey(seed: 22), sampleOffset: o).samples }),
            ("uniform", { n, o in
                let sampler = UniformDiffusionSampler(model: UniformDiffusionTests.ExactUniformDenoiser(schedule: LogLinearMasking()), schedule: LogLinearMasking(), steps: 8)
                return DiffuseCore.sample(sampler, from: sampler.prior(count: n, length: 3, key: RandomKey(seed: 23), sampleOffset: o), key: RandomKey(seed: 23), sampleOffset: o).samples }),
            ("best-of-N", { n, o in ParticleGuidance.bestOfN(kernel, from: .masked(count: n, length: 3, vocabularySize: 3), candidates: 3, key: RandomKey(seed: 24), sampleOffset: o, reward: reward).samples }),
            ("SVDD softmax", { n, o in ParticleGuidance.svdd(kernel, from: .masked(count: n, length: 3, vocabularySize: 3), candidates: 3, temperature: 0.5, key: RandomKey(seed: 25), sampleOffset: o, reward: reward).samples }),
            ("SMC", { n, o in ParticleGuidance.smc(kernel, from: .masked(count: n, length: 3, vocabularySize: 3), particles: 3, temperature: 0.5, key: RandomKey(seed: 26), sampleOffset: o, reward: reward).samples }),
            ("FK max, systematic", { n, o in
                ParticleGuidance.feynmanKac(kernel, from: .masked(count: n, length: 3, vocabularySize: 3), particles: 3, temperature: 0.5, potential: .max,
                                            resampling: .systematic, trigger: .every(2), key: RandomKey(seed: 27), sampleOffset: o, reward: reward).samples }),
            ("beam search", { n, o in ParticleGuidance.beamSearch(kernel, from: .masked(count: n, length: 3, vocabularySize: 3), beams: 2, expansions: 2, key: RandomKey(seed: 28), sampleOffset: o, reward: reward).samples }),
        ]
        for (name, run) in methods {
            XCTAssertEqual(Array(run(3, 3).tokens), Array(run(9, 0).tokens[9..<18]), name)
        }
    }

    /// Beam search with one beam is SVDD-PM with argmax selection; more beams reach a higher mean
    /// reward at the same expansions per beam.
    func testBeamSearch() {
        let reward: (TokenBatch) -> [Double] = { x in (0..<x.sampleCount).map { i in Double(x[sample: i].filter { $0 == 1 }.count) } }
        let kernel = MaskedDiffusionKernel(sampler: MaskedDiffusionSampler(model: ExactToyDenoiser(), schedule: LogLinearMasking(), steps: 6))
        let start = TokenBatch.masked(count: 200, length: 3, vocabularySize: 3)
        let one = ParticleGuidance.beamSearch(kernel, from: start, beams: 1, expansions: 3, key: RandomKey(seed: 30), reward: reward)
        let svdd = ParticleGuidance.svdd(kernel, from: start, candidates: 3, key: RandomKey(seed: 30), reward: reward)
        XCTAssertEqual(one.samples, svdd.samples)
        XCTAssertEqual(one.rewards, svdd.rewards)
        let four = ParticleGuidance.beamSearch(kernel, from: start, beams: 4, expansions: 3, key: RandomKey(seed: 30), reward: reward)
        XCTAssertEqual(four.rewards, reward(four.samples))
        XCTAssertGreaterThan(four.rewards.reduce(0, +), one.rewards.reduce(0, +))
        XCTAssertGreaterThan(four.statistics.sampleEvaluations, one.statistics.sampleEvaluations)
    }

    /// Feynman–Kac steering over the masked kernel gives the same particles with and without the
    /// cache, and the cache saves evaluations when the population reaches a step unchanged.
    func testFeynmanKacOverTheMaskedKernelWithAndWithoutCache() {
        let reward: (TokenBatch) -> [Double] = { x in (0..<x.sampleCount).map { i in Double(x[sample: i].filter { $0 == 0 }.count) } }
        func run(cache: Bool) -> SampleResult<TokenBatch> {
            let sampler = MaskedDiffusionSampler(model: ExactToyDenoiser(), schedule: LogLinearMasking(), steps: 32, cache: cache)
            return ParticleGuidance.feynmanKac(MaskedDiffusionKernel(sampler: sampler), from: .masked(count: 1, length: 3, vocabularySize: 3), particles: 2,
                                               temperature: 2, trigger: .every(8), key: RandomKey(seed: 11), reward: reward)
        }
        let cached = run(cache: true), uncached = run(cache: false)
        XCTAssertEqual(cached.samples, uncached.samples)
        XCTAssertEqual(cached.rewards, uncached.rewards)
        XCTAssertLessThan(cached.statistics.functionEvaluations, uncached.statistics.functionEvaluations)
    }
}
