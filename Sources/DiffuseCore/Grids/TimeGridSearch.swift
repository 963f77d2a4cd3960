import Foundation

/// A hook for searched time grids (AutoDiffusion, Li et al. 2023; LD3): a greedy coordinate
/// search that moves one interior grid time at a time, keeping a move when `objective` (for
/// example an MMD or sliced-Wasserstein distance of samples to references) decreases.
public enum TimeGridSearch {
    public static func search(initial: TimeGrid, schedule: some NoiseSchedule, rounds: Int = 3, relativeStep: Double = 0.25,
                              objective: (TimeGrid) -> Double) -> (grid: TimeGrid, objective: Double) {
        var best = initial
        var bestValue = objective(initial)
        var step = relativeStep
        for _ in 0..<rounds {
            for i in 1..<Swift.max(best.points.count - 1, 1) {
                for direction in [-1.0, 1.0] {
                    var times = best.times
                    let lower = best.points[i + 1].time, upper = best.points[i - 1].time
                    let candidate = times[i] + direction * step * (direction > 0 ? upper - times[i] : times[i] - lower)
                    guard candidate > Swift.min(lower, upper) && candidate < Swift.max(lower, upper) else { continue }
                    times[i] = candidate
                    let points = times.enumerated().map { k, t in k == i ? schedule.point(at: t) : best.points[k] }
                    let grid = TimeGrid(points: points)
                    let value = objective(grid)
                    if value < bestValue { best = grid; bestValue = value }
                }
            }
            step /= 2
        }
        return (best, bestValue)
    }
}
