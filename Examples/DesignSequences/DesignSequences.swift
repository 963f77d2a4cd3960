import ArgumentParser

/// `design-sequences`: masked discrete diffusion on DNA promoters — train a model, measure its
/// likelihood against k-mer Markov models, and design sequences with reward-guided sampling,
/// comparing every particle method at equal model calls.
@main
struct DesignSequences: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "design-sequences",
        abstract: "Train, evaluate and guide masked discrete diffusion on DNA (dm3 promoters bundled).",
        subcommands: [DesignCommand.self, TrainCommand.self, LikelihoodCommand.self, MoleculesCommand.self],
        defaultSubcommand: DesignCommand.self)
}
