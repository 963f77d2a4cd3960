import Foundation

/// Minimal SVG charts for results a person would rather look at: line plots, bands (forecast
/// fans), scatter plots and heatmaps, with axes, ticks and a legend. Output is a standalone SVG
/// document string; write it with any file API (Diffuse's `AtomicFile.write` is atomic).
public struct SVGPlot {
    public enum Element {
        case line(x: [Double], y: [Double], color: String, width: Double, label: String?, dashed: Bool)
        case band(x: [Double], lower: [Double], upper: [Double], color: String, opacity: Double, label: String?)
        case scatter(x: [Double], y: [Double], color: String, radius: Double, label: String?)
        case verticalLine(x: Double, color: String)
        /// Cells of a grid over [x0, x1] × [y0, y1] with values in [0, 1] mapped to colour.
        case heatmap(values: [[Double]], xRange: ClosedRange<Double>, yRange: ClosedRange<Double>)
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var width: Double
    public var height: Double
    public var logX = false
    public var logY = false
    public private(set) var elements: [Element] = []
    /// Custom tick labels for the x axis (position, text); default numeric ticks.
    public var xTicks: [(Double, String)]? = nil

    public init(title: String, xLabel: String = "", yLabel: String = "", width: Double = 720, height: Double = 360) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.width = width
        self.height = height
    }

    public mutating func line(x: [Double], y: [Double], color: String = "#1f77b4", width: Double = 1.5, label: String? = nil, dashed: Bool = false) {
        elements.append(.line(x: x, y: y, color: color, width: width, label: label, dashed: dashed))
    }
    public mutating func band(x: [Double], lower: [Double], upper: [Double], color: String = "#1f77b4", opacity: Double = 0.25, label: String? = nil) {
        elements.append(.band(x: x, lower: lower, upper: upper, color: color, opacity: opacity, label: label))
    }
    public mutating func scatter(x: [Double], y: [Double], color: String = "#1f77b4", radius: Double = 1.5, label: String? = nil) {
        elements.append(.scatter(x: x, y: y, color: color, radius: radius, label: label))
    }
    public mutating func verticalLine(at x: Double, color: String = "#888888") {
        elements.append(.verticalLine(x: x, color: color))
    }
    public mutating func heatmap(_ values: [[Double]], xRange: ClosedRange<Double>, yRange: ClosedRange<Double>) {
        elements.append(.heatmap(values: values, xRange: xRange, yRange: yRange))
    }

    private func bounds() -> (ClosedRange<Double>, ClosedRange<Double>) {
        var xs: [Double] = [], ys: [Double] = []
        for e in elements {
            switch e {
            case let .line(x, y, _, _, _, _): xs += x; ys += y
            case let .band(x, lo, hi, _, _, _): xs += x; ys += lo + hi
            case let .scatter(x, y, _, _, _): xs += x; ys += y
            case let .verticalLine(x, _): xs.append(x)
            case let .heatmap(_, xr, yr): xs += [xr.lowerBound, xr.upperBound]; ys += [yr.lowerBound, yr.upperBound]
            }
        }
        let fx = xs.filter { $0.isFinite && (!logX || $0 > 0) }, fy = ys.filter { $0.isFinite && (!logY || $0 > 0) }
        func range(_ v: [Double]) -> ClosedRange<Double> {
            guard let lo = v.min(), let hi = v.max() else { return 0...1 }
            return lo == hi ? (lo - 1)...(hi + 1) : lo...hi
        }
        return (range(fx), range(fy))
    }

    /// Nice tick values covering a range.
    static func ticks(_ r: ClosedRange<Double>, count: Int = 6) -> [Double] {
        let span = r.upperBound - r.lowerBound
        let raw = span / Double(count)
        let magnitude = Foundation.pow(10, Foundation.floor(Foundation.log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        let start = Foundation.ceil(r.lowerBound / step) * step
        return Swift.stride(from: start, through: r.upperBound + step * 1e-9, by: step).map { $0 }
    }

    static func label(_ v: Double) -> String {
        if v == 0 { return "0" }
        let a = Swift.abs(v)
        if a >= 1e5 || a < 1e-3 { return String(format: "%.1e", v) }
        if a >= 100 { return String(format: "%.0f", v) }
        return String(format: "%g", (v * 1000).rounded() / 1000)
    }

    private static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    /// The SVG document.
    public func render() -> String {
        let left = 70.0, right = 20.0, top = 34.0, bottom = 48.0
        let plotW = width - left - right, plotH = height - top - bottom
        var (xr, yr) = bounds()
        let pad = (yr.upperBound - yr.lowerBound) * 0.04
        if !logY { yr = (yr.lowerBound - pad)...(yr.upperBound + pad) }
        func tx(_ x: Double) -> Double {
            let (a, b, v) = logX ? (Foundation.log10(xr.lowerBound), Foundation.log10(xr.upperBound), Foundation.log10(x)) : (xr.lowerBound, xr.upperBound, x)
            return left + (v - a) / (b - a) * plotW
        }
        func ty(_ y: Double) -> Double {
            let (a, b, v) = logY ? (Foundation.log10(yr.lowerBound), Foundation.log10(yr.upperBound), Foundation.log10(y)) : (yr.lowerBound, yr.upperBound, y)
            return top + plotH - (v - a) / (b - a) * plotH
        }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"sans-serif\" font-size=\"11\">\n"
        svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        svg += "<text x=\"\(width / 2)\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">\(Self.escape(title))</text>\n"
        // Axes and ticks.
        svg += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotW)\" height=\"\(plotH)\" fill=\"none\" stroke=\"#333\"/>\n"
        let xTickValues = xTicks ?? (logX ? Self.logTicks(xr) : Self.ticks(xr)).map { ($0, Self.label($0)) }
        for (v, text) in xTickValues where v >= xr.lowerBound && v <= xr.upperBound {
            let x = tx(v)
            svg += "<line x1=\"\(x)\" y1=\"\(top + plotH)\" x2=\"\(x)\" y2=\"\(top + plotH + 4)\" stroke=\"#333\"/>"
            svg += "<text x=\"\(x)\" y=\"\(top + plotH + 16)\" text-anchor=\"middle\">\(Self.escape(text))</text>\n"
        }
        for v in (logY ? Self.logTicks(yr) : Self.ticks(yr)) where v >= yr.lowerBound && v <= yr.upperBound {
            let y = ty(v)
            svg += "<line x1=\"\(left - 4)\" y1=\"\(y)\" x2=\"\(left)\" y2=\"\(y)\" stroke=\"#333\"/>"
            svg += "<line x1=\"\(left)\" y1=\"\(y)\" x2=\"\(left + plotW)\" y2=\"\(y)\" stroke=\"#eee\"/>"
            svg += "<text x=\"\(left - 6)\" y=\"\(y + 4)\" text-anchor=\"end\">\(Self.label(v))</text>\n"
        }
        svg += "<text x=\"\(left + plotW / 2)\" y=\"\(height - 10)\" text-anchor=\"middle\">\(Self.escape(xLabel))</text>\n"
        svg += "<text x=\"16\" y=\"\(top + plotH / 2)\" text-anchor=\"middle\" transform=\"rotate(-90 16 \(top + plotH / 2))\">\(Self.escape(yLabel))</text>\n"
        svg += "<g clip-path=\"url(#plot)\"><clipPath id=\"plot\"><rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotW)\" height=\"\(plotH)\"/></clipPath>\n"
        var legend: [(String, String)] = []
        for e in elements {
            switch e {
            case let .heatmap(values, xRange, yRange):
                let rows = values.count, cols = values.first?.count ?? 0
                guard rows > 0 && cols > 0 else { continue }
                let cw = (tx(xRange.upperBound) - tx(xRange.lowerBound)) / Double(cols)
                let ch = (ty(yRange.lowerBound) - ty(yRange.upperBound)) / Double(rows)
                for (r, row) in values.enumerated() {
                    for (c, v) in row.enumerated() {
                        let t = Swift.min(Swift.max(v, 0), 1)
                        let color = String(format: "#%02x%02x%02x", Int(255 * (1 - t)), Int(255 * (1 - 0.6 * t)), Int(255 * (1 - 0.2 * t)))
                        svg += "<rect x=\(String(format: "\"%.2f\"", tx(xRange.lowerBound) + Double(c) * cw)) y=\(String(format: "\"%.2f\"", ty(yRange.upperBound) + Double(rows - 1 - r) * ch)) width=\"\(cw)\" height=\"\(ch)\" fill=\"\(color)\"/>"
                    }
                }
                svg += "\n"
            case let .band(x, lo, hi, color, opacity, label):
                let upper = zip(x, hi).filter { $0.1.isFinite }.map { String(format: "%.2f,%.2f", tx($0.0), ty($0.1)) }
                let lower = zip(x, lo).filter { $0.1.isFinite }.reversed().map { String(format: "%.2f,%.2f", tx($0.0), ty($0.1)) }
                svg += "<polygon points=\"\((upper + lower).joined(separator: " "))\" fill=\"\(color)\" fill-opacity=\"\(opacity)\" stroke=\"none\"/>\n"
                if let label { legend.append((label, color)) }
            case let .line(x, y, color, w, label, dashed):
                let points = zip(x, y).filter { $0.1.isFinite && (!logY || $0.1 > 0) }.map { String(format: "%.2f,%.2f", tx($0.0), ty($0.1)) }
                svg += "<polyline points=\"\(points.joined(separator: " "))\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"\(w)\"\(dashed ? " stroke-dasharray=\"5,3\"" : "")/>\n"
                if let label { legend.append((label, color)) }
            case let .scatter(x, y, color, radius, label):
                for (a, b) in zip(x, y) where b.isFinite {
                    svg += String(format: "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"%.1f\" fill=\"%@\" fill-opacity=\"0.6\"/>", tx(a), ty(b), radius, color)
                }
                svg += "\n"
                if let label { legend.append((label, color)) }
            case let .verticalLine(x, color):
                svg += "<line x1=\"\(tx(x))\" y1=\"\(top)\" x2=\"\(tx(x))\" y2=\"\(top + plotH)\" stroke=\"\(color)\" stroke-dasharray=\"3,3\"/>\n"
            }
        }
        svg += "</g>\n"
        for (i, (label, color)) in legend.enumerated() {
            let y = top + 12 + Double(i) * 15
            svg += "<rect x=\"\(left + 10)\" y=\"\(y - 8)\" width=\"12\" height=\"8\" fill=\"\(color)\"/>"
            svg += "<text x=\"\(left + 27)\" y=\"\(y)\">\(Self.escape(label))</text>\n"
        }
        return svg + "</svg>\n"
    }

    static func logTicks(_ r: ClosedRange<Double>) -> [Double] {
        guard r.lowerBound > 0 else { return [] }
        let a = Int(Foundation.floor(Foundation.log10(r.lowerBound))), b = Int(Foundation.ceil(Foundation.log10(r.upperBound)))
        return (a...b).map { Foundation.pow(10, Double($0)) }
    }
}
