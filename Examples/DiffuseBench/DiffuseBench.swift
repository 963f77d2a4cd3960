import ArgumentParser

/// `diffuse-bench`: speed measurements of Diffuse in a release build.
///
/// Each subcommand prints its workload, the time, and the ratio to a reference figure where
/// one was measured; `--json` prints the same numbers as one JSON object.
@main
struct DiffuseBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diffuse-bench",
        abstract: "Measure Diffuse's speed (build with -c release).",
        subcommands: [BLASBenchmark.self, TrainMLPBenchmark.self, GMMSampleBenchmark.self, TSDiffStepBenchmark.self,
                      MDLMTrainBenchmark.self, MDLMSampleBenchmark.self, EMDMTrainBenchmark.self, EMDMSampleBenchmark.self])
}
