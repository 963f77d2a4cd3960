/// Every theory check, in the order the example runs them.
public enum TheoryChecks {
    public static let all: [any TheoryCheck] = [
        SolverOrderCheck(), LikelihoodCheck(), SubspaceRecoveryCheck(), HallucinationCheck(),
        KineticEnergyCheck(), InterpolantCheck(), LowRankSampleComplexityCheck(),
    ]

    /// The names accepted by `--check`.
    public static var names: [String] { all.map { type(of: $0).name } }
}
