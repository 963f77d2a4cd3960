import DiffuseTensor

/// Every registered sampler under a stable identifier, with its default settings. Property
/// tests iterate over ``allCases``, so a new solver added here is enrolled in all of them.
public enum SolverIdentifier: String, CaseIterable, Codable, Sendable {
    case ddpm
    case ddim
    case euler
    case heun
    case dpmpp2M = "dpmpp-2m"
    case dpmpp3M = "dpmpp-3m"
    case dpmpp2MSDE = "dpmpp-2m-sde"
    case unipc
    case eulerMaruyama = "euler-maruyama"
    case dopri5

    /// The declared order of the default configuration (for stochastic samplers, the weak order
    /// we test: 1).
    public var order: Int {
        switch self {
        case .ddpm, .ddim, .euler, .eulerMaruyama, .dpmpp2MSDE: return 1
        case .heun, .dpmpp2M: return 2
        case .dpmpp3M: return 3
        case .unipc: return UniPC().order
        case .dopri5: return 5
        }
    }

    /// The global order as the step h → 0. Multistep methods that start with lower-order steps
    /// carry the start's local error: DPM-Solver++ 3M's first step is first-order (as in
    /// diffusers), an O(h²) contribution, so its error falls as h³ only until that term dominates
    /// and as h² beyond (measured on a Gaussian flow map: local slopes 3.7, 2.4, 2.2, 2.1 from 10
    /// to 160 steps). UniPC's corrector lifts its first step to second order, so it keeps order 3.
    public var asymptoticOrder: Int {
        self == .dpmpp3M ? 2 : order
    }

    /// Whether the sampler injects noise.
    public var isStochastic: Bool { [.ddpm, .dpmpp2MSDE, .eulerMaruyama].contains(self) }

    /// Whether the sampler needs the schedule (it evaluates off the grid or uses f, g).
    public var needsSchedule: Bool { [.eulerMaruyama, .dopri5].contains(self) }

    /// Runs the sampler with its default configuration.
    public func sample<M: PredictionModel>(_ model: M, from x: M.Value, grid: TimeGrid, key: RandomKey = RandomKey(seed: 0),
                                           sampleOffset: Int = 0, schedule: (any NoiseSchedule)? = nil,
                                           controller: PIDController = PIDController(),
                                           observer: ((StepEvent<M.Value>) -> Void)? = nil) -> SampleResult<M.Value> where M.Value: NoiseSampleable {
        func run<S: Sampler>(_ s: S) -> SampleResult<M.Value> {
            DiffuseCore.sample(model, from: x, grid: grid, using: s, key: key, sampleOffset: sampleOffset, schedule: schedule, observer: observer)
        }
        switch self {
        case .ddpm: return run(DDPMSampler())
        case .ddim: return run(DDIMSampler())
        case .euler: return run(EulerSampler())
        case .heun: return run(HeunSampler())
        case .dpmpp2M: return run(DPMSolverPlusPlus(order: 2))
        case .dpmpp3M: return run(DPMSolverPlusPlus(order: 3))
        case .dpmpp2MSDE: return run(DPMSolverPlusPlus(order: 2, stochastic: true))
        case .unipc: return run(UniPC())
        case .eulerMaruyama: return run(EulerMaruyamaSampler())
        case .dopri5: return run(ProbabilityFlowODESampler(method: .dormandPrince, controller: controller))
        }
    }
}
