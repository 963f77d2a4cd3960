import DiffuseTensor

/// Every configured sampler the package ships, as values: the property tests iterate over
/// ``samplers(for:schedule:)``, so a configuration added here is enrolled in all of them
/// (deterministic ones in the convergence-order tests against the exact Gaussian flow map,
/// stochastic ones in the moment tests against exact mixture statistics), and the command-line
/// tools look samplers up by ``Sampler/identifier``.
///
/// Samplers that evaluate between grid points (Runge–Kutta stages, churn, Euler–Maruyama's
/// f and g) hold the schedule, so the registry is built for one.
public enum SamplerRegistry {
    /// The configured samplers for states of type `V` on `schedule`, each with a unique identifier.
    public static func samplers<V: NoiseSampleable>(for _: V.Type = V.self, schedule: any NoiseSchedule) -> [any Sampler<V>] {
        var list: [any Sampler<V>] = [
            // The ten defaults.
            DDPMSampler<V>(),
            DDIMSampler<V>(),
            EulerSampler<V>(),
            HeunSampler<V>(),
            DPMSolverPlusPlus<V>(order: 2),
            DPMSolverPlusPlus<V>(order: 3),
            DPMSolverPlusPlus<V>(order: 2, stochastic: true),
            UniPC<V>(),
            EulerMaruyamaSampler<V>(schedule: schedule),
            ProbabilityFlowODESampler<V>(schedule: schedule),
            // More configurations.
            DDPMSampler<V>(variance: .fixedLarge),
            DDIMSampler<V>(eta: 0.5),
            DDIMSampler<V>(eta: 1),
            DPMSolverPlusPlus<V>(order: 1),
            DPMSolverPlusPlus<V>(order: 1, stochastic: true),
            UniPC<V>(order: 1, variant: .bh1),
            UniPC<V>(order: 2, variant: .bh1),
            UniPC<V>(order: 3, variant: .bh1),
            UniPC<V>(order: 1, variant: .bh2),
            UniPC<V>(order: 3, variant: .bh2),
            UniPC<V>(order: 2, variant: .bh2, corrector: false),
            UniPC<V>(order: 3, variant: .bh2, corrector: false),
            EulerSampler<V>(churn: Churn(amount: 10, schedule: schedule)),
            HeunSampler<V>(churn: Churn(amount: 10, schedule: schedule)),
            ProbabilityFlowODESampler<V>(method: .bogackiShampine, schedule: schedule),
        ]
        // One fixed step of every tableau per grid interval.
        for tableau in ButcherTableau.all {
            list.append(ProbabilityFlowODESampler<V>(fixedStep: tableau, schedule: schedule))
        }
        return list
    }

    /// The sampler with the given identifier, or nil.
    public static func sampler<V: NoiseSampleable>(named identifier: String, for _: V.Type = V.self, schedule: any NoiseSchedule) -> (any Sampler<V>)? {
        samplers(for: V.self, schedule: schedule).first { $0.identifier == identifier }
    }

    /// The identifiers of every configured sampler.
    public static var identifiers: [String] {
        samplers(for: [Double].self, schedule: ContinuousVPSchedule.linear).map(\.identifier)
    }
}
