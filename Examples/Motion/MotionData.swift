import DiffuseNN
import DiffuseTensor
import DiffuseCore
import DiffuseMotion
import Foundation

/// Training data and checkpoint configurations shared by the `motion` commands.
enum MotionData {
    /// Windows of the training split and the action names (the benchmark, or a HumanML3D folder
    /// whose `actions.txt` labels the clips).
    static func training(frames: Int, folder: String?) throws -> (MotionWindows, [String]) {
        guard let folder else {
            return (try MotionWindows.benchmark(frames: frames, test: false), MotionAction.allCases.map(\.rawValue))
        }
        let dataset = HumanML3DFolder(URL(fileURLWithPath: folder))
        let clips = try dataset.clips(split: "train")
        let actions = Array(Set(clips.compactMap(\.action))).sorted()
        guard !actions.isEmpty else { throw MotionFileError(path: folder, reason: "no clip of the train split has an action in actions.txt") }
        let labelled = clips.filter { $0.action != nil }
        let rows = labelled.map(\.features)
        return (try MotionWindows(clips: rows, labels: labelled.map { actions.firstIndex(of: $0.action!)! }, frames: frames,
                                  normalization: FeatureNormalization(clips: rows)), actions)
    }
}

/// The baseline's samplers over the shared engine: DDPM and DDIM on diffusers' trailing grids,
/// DPM-Solver++(2M) on its default grid.
enum BaselineSolver: String, CaseIterable {
    case ddpm, ddim, dpmpp

    func sample(_ model: MotionDenoiserModel, schedule: DiscreteVPSchedule, steps: Int, labels: [Int], frames: Int, guidance: Double, key: RandomKey) -> Tensor<Float> {
        switch self {
        case .ddpm: return model.sample(labels: labels, frames: frames, grid: .diffusers(schedule, scheduler: .ddpm, steps: steps, spacing: .trailing), sampler: DDPMSampler<Tensor<Float>>(), guidance: guidance, key: key).samples
        case .ddim: return model.sample(labels: labels, frames: frames, grid: .diffusers(schedule, scheduler: .ddim, steps: steps, spacing: .trailing), sampler: DDIMSampler<Tensor<Float>>(), guidance: guidance, key: key).samples
        case .dpmpp: return model.sample(labels: labels, frames: frames, grid: .diffusers(schedule, scheduler: .dpmSolver, steps: steps), sampler: DPMSolverPlusPlus<Tensor<Float>>(), guidance: guidance, key: key).samples
        }
    }
}

