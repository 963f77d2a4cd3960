import DiffusePlot
import Foundation

/// Two SVG charts of the feet: the ground track seen from above (root, left and right foot joints;
/// planted feet show as dots that do not move) and the height of each foot joint above the floor
/// over time with the foot-skating threshold, so a sliding low foot is visible at a glance.
public enum FootTrajectoryPlot {
    /// The top-down track (X against Z, metres).
    public static func groundTrack(_ positions: [[Vector3]], title: String = "Ground track") -> String {
        var plot = SVGPlot(title: title, xLabel: "x (m)", yLabel: "z (m)", width: 560, height: 560)
        plot.line(x: positions.map { $0[0].x }, y: positions.map { $0[0].z }, color: "#555555", label: "root")
        plot.scatter(x: positions.map { $0[10].x }, y: positions.map { $0[10].z }, color: "#1f77b4", radius: 2, label: "left foot")
        plot.scatter(x: positions.map { $0[11].x }, y: positions.map { $0[11].z }, color: "#ff7f0e", radius: 2, label: "right foot")
        return plot.render()
    }

    /// Foot-joint heights above the floor (lowest joint of the clip) over time in seconds.
    public static func heights(_ positions: [[Vector3]], framesPerSecond: Double = HumanML3DFeatures.framesPerSecond, title: String = "Foot heights") -> String {
        let floor = positions.lazy.flatMap { $0 }.map(\.y).min() ?? 0
        let time = positions.indices.map { Double($0) / framesPerSecond }
        var plot = SVGPlot(title: title, xLabel: "time (s)", yLabel: "height above floor (m)")
        plot.line(x: time, y: positions.map { $0[7].y - floor }, color: "#1f77b4", label: "left ankle", dashed: true)
        plot.line(x: time, y: positions.map { $0[10].y - floor }, color: "#1f77b4", label: "left foot")
        plot.line(x: time, y: positions.map { $0[8].y - floor }, color: "#ff7f0e", label: "right ankle", dashed: true)
        plot.line(x: time, y: positions.map { $0[11].y - floor }, color: "#ff7f0e", label: "right foot")
        plot.line(x: [time.first ?? 0, time.last ?? 1], y: [0.05, 0.05], color: "#888888", label: "skating height (5 cm)", dashed: true)
        return plot.render()
    }
}
