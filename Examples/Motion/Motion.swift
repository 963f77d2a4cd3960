import ArgumentParser

/// `motion`: the procedural motion benchmark (HumanML3D layout), clips as BVH and SVG.
@main
struct Motion: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "motion",
        abstract: "EMDM few-step motion generation against many-step diffusion on the 22-joint HumanML3D skeleton: generate, train, evaluate; the procedural benchmark, BVH, stick figures.",
        subcommands: [GenerateCommand.self, ShowCommand.self, TrainCommand.self, EvaluateCommand.self, MakeBenchmarkCommand.self],
        defaultSubcommand: GenerateCommand.self)
}
