/// Every theory check, in the order the example runs them.
public enum TheoryChecks {
    public static let all: [any TheoryCheck] = [
        SolverOrderCheck(), LikelihoodCheck(), SubspaceRecoveryCheck(), HallucinationCheck(), HallucinationCheck(layout: .grid),
        KineticEnergyCheck(), InterpolantCheck(), LowRankSampleComplexityCheck(),
    ]

    /// The names accepted by `--check`.
    public static var names: [String] { all.map { $0.name } }
}
