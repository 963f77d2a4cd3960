import ArgumentParser

/// `motion`: the procedural motion benchmark (HumanML3D layout), clips as BVH and SVG.
@main
struct Motion: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "motion",
        abstract: "Motion data on the 22-joint HumanML3D skeleton: the procedural benchmark, BVH export, stick-figure plots.",
        subcommands: [ShowCommand.self, MakeBenchmarkCommand.self],
        defaultSubcommand: ShowCommand.self)
}
