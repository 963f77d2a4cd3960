import Foundation

/// An SVG strip of stick figures: `count` evenly spaced frames of a clip seen from the side (the
/// clip's net direction of travel to the right, up as up), or from the front for a clip that stays
/// in place, each drawn where the body is, so a walk advances across the strip and a jump rises. Left limbs are blue, right limbs orange,
/// spine and head grey; later frames are drawn darker. The floor (lowest joint) is a line.
public enum StickFigureStrip {
    public static func svg(_ positions: [[Vector3]], count: Int = 8, title: String = "", width: Double = 960, height: Double = 260) -> String {
        guard !positions.isEmpty, positions.allSatisfy({ $0.count == Skeleton.humanML3DParents.count }) else {
            return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\"></svg>\n"
        }
        let parents = Skeleton.humanML3DParents
        // Horizontal axis: the root's net displacement (or +Z for a clip that stays in place),
        // spread so figures do not pile up when the body does not travel.
        let start = positions[0][0], end = positions[positions.count - 1][0]
        var axis = Vector3(end.x - start.x, 0, end.z - start.z)
        let travelled = axis.length
        // A clip that stays in place is seen from the front: the character's left to the right.
        let across = positions[0][1] - positions[0][2]
        let front = Vector3(across.x, 0, across.z).length > 0 ? Vector3(across.x, 0, across.z).normalized : Vector3(1, 0, 0)
        axis = travelled > 0.3 ? axis / travelled : front
        let shown = (0..<max(1, min(count, positions.count))).map { k in
            count <= 1 ? 0 : k * (positions.count - 1) / max(1, count - 1)
        }
        let spread = travelled > 0.3 ? 0.0 : 0.8  // metres between figures of an in-place clip
        func project(_ p: Vector3, _ k: Int) -> (Double, Double) { ((p - start).dot(axis) + spread * Double(k), p.y) }
        var xs = [Double](), ys = [Double]()
        for (k, t) in shown.enumerated() { for p in positions[t] { let (x, y) = project(p, k); xs.append(x); ys.append(y) } }
        let floor = ys.min()!, top = ys.max()!
        let xMin = xs.min()! - 0.3, xMax = xs.max()! + 0.3
        let margin = 24.0 + (title.isEmpty ? 0 : 18)
        let scale = min((width - 20) / (xMax - xMin), (height - margin - 12) / max(0.5, top - floor))
        func px(_ x: Double) -> Double { 10 + (x - xMin) * scale }
        func py(_ y: Double) -> Double { height - 12 - (y - floor) * scale }
        let leftJoints: Set<Int> = [1, 4, 7, 10, 13, 16, 18, 20], rightJoints: Set<Int> = [2, 5, 8, 11, 14, 17, 19, 21]
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        if !title.isEmpty { s += "<text x=\"10\" y=\"18\" font-family=\"sans-serif\" font-size=\"14\">\(escape(title))</text>\n" }
        s += String(format: "<line x1=\"0\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#999\" stroke-width=\"1\"/>\n", py(floor), width, py(floor))
        for (k, t) in shown.enumerated() {
            let opacity = 0.35 + 0.65 * Double(k + 1) / Double(shown.count)
            s += "<g stroke-width=\"2.5\" stroke-linecap=\"round\" opacity=\"\(String(format: "%.2f", opacity))\">\n"
            for j in 1..<parents.count {
                let (x0, y0) = project(positions[t][parents[j]], k), (x1, y1) = project(positions[t][j], k)
                let color = leftJoints.contains(j) ? "#1f77b4" : rightJoints.contains(j) ? "#ff7f0e" : "#555555"
                s += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%@\"/>\n", px(x0), py(y0), px(x1), py(y1), color)
            }
            let (hx, hy) = project(positions[t][15], k)
            s += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"none\" stroke=\"#555555\"/>\n", px(hx), py(hy), 0.09 * scale)
            s += "</g>\n"
        }
        return s + "</svg>\n"
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
