import Foundation

/// A scaling report as one SVG image: speedup against threads beside the ideal line
/// y = threads / baseline threads, and parallel efficiency against threads beside the ideal
/// 100 %, with each measured point labelled.
///
/// Plain SVG 1.1, no external CSS or fonts, like ``TrainingPlot``. Each curve is one `<path>`
/// whose `id` names it: `speedup-measured`, `speedup-ideal`, `efficiency-measured`,
/// `efficiency-ideal`; the panels are groups `speedup-panel` and `efficiency-panel`.
public struct ScalingPlot: SVGFigure, Sendable {
    public var report: ScalingReport
    public var width: Int
    public var height: Int

    public init(report: ScalingReport, width: Int = 960, height: Int = 440) {
        self.report = report
        self.width = max(width, 480)
        self.height = max(height, 280)
    }


    private typealias Style = TrainingPlot.Style
    private typealias Frame = TrainingPlot.Frame
    private static let measuredColor = "#2563eb", idealColor = "#6b7280"

    private struct Panel {
        let name: String
        let heading: String
        let yTitle: String
        let measured: [Double]
        let ideal: [Double]
        let label: (Double) -> String
    }

    /// The image as an SVG document. O(thread counts).
    public func svg() -> String {
        let rows = report.rows, setup = report.setup
        let threads = rows.map { Double($0.threads) }
        let baseline = report.baselineThreads
        var out = SVGText()
        out.line(#"<?xml version="1.0" encoding="UTF-8"?>"#)
        out.line(#"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="\#(width)" height="\#(height)" viewBox="0 0 \#(width) \#(height)" font-family="sans-serif">"#)
        out.line(#"<rect x="0" y="0" width="\#(width)" height="\#(height)" fill="\#(Style.paper)"/>"#)
        out.text("Scaling of one training step: \(setup.modelName), batch \(setup.batchSize)", x: 24, y: 32, size: 18,
                 attributes: #"font-weight="bold" fill="\#(Style.ink)""#)
        let day = setup.date.prefix(10)
        let pairs = rows.filter { $0.allReduce == AllReduceStrategy.replicatedPair.rawValue }.map { String($0.threads) }
        // Short: the subtitle is one line. "pair" is the replicated pair, the rest reduce-scatter.
        let allReduce = pairs.isEmpty ? "reduce-scatter" : pairs.count == rows.count ? "replicated pair"
            : "pair at \(pairs.joined(separator: ",")) threads"
        out.text("median of \(setup.timedSteps) steps · placement \(setup.placement) · all-reduce \(allReduce) · \(setup.machine) · \(Self.shortBLAS(setup.blas)) · \(day)",
                 x: 24, y: 54, size: 12, attributes: #"fill="\#(Style.muted)""#)
        drawLegend(into: &out)
        let panels = [
            Panel(name: "speedup", heading: baseline == 1 ? "Speedup over 1 thread" : "Speedup over \(baseline) threads",
                  yTitle: "speedup (×)", measured: rows.map(\.speedup), ideal: threads.map { $0 / Double(baseline) },
                  label: { String(format: "%.2f×", $0) }),
            Panel(name: "efficiency", heading: "Parallel efficiency", yTitle: "efficiency (%)",
                  measured: rows.map { $0.efficiency * 100 }, ideal: threads.map { _ in 100 },
                  label: { String(format: "%.0f%%", $0) }),
        ]
        let xAxis = PlotAxis(covering: threads, integers: true, maxIntervals: 8)
        let slot = (Double(width) - 16 - 24 - 40) / 2
        for (index, panel) in panels.enumerated() {
            let left = 16 + Double(index) * (slot + 40)
            let frame = Frame(left: left + 62, top: 96, right: left + slot, bottom: Double(height) - 58)
            draw(panel, threads: threads, xAxis: xAxis, in: frame, slotLeft: left, into: &out)
        }
        out.line("</svg>")
        return out.text
    }

    private func drawLegend(into out: inout SVGText) {
        var x = Double(width) - 24 - 180
        out.line(#"<g id="legend">"#)
        for (name, color, dash) in [("measured", Self.measuredColor, ""), ("ideal", Self.idealColor, #" stroke-dasharray="6 4""#)] {
            out.line(#"<line x1="\#(f(x))" y1="27" x2="\#(f(x + 22))" y2="27" stroke="\#(color)" stroke-width="2.5"\#(dash)/>"#)
            out.text(name, x: x + 28, y: 31, size: 12, attributes: #"fill="\#(Style.ink)""#)
            x += 110
        }
        out.line("</g>")
    }

    private func draw(_ panel: Panel, threads: [Double], xAxis: PlotAxis?, in frame: Frame, slotLeft: Double, into out: inout SVGText) {
        out.line(#"<g id="\#(panel.name)-panel">"#)
        out.text(panel.heading, x: frame.left, y: frame.top - 12, size: 14, attributes: #"font-weight="bold" fill="\#(Style.ink)""#)
        let inset = 8.0
        let inner = Frame(left: frame.left + inset, top: frame.top + inset, right: frame.right - inset, bottom: frame.bottom - inset)
        // Zero is on the axis, so bar-like comparisons of the heights are honest; the headroom
        // above the highest value keeps the point labels inside the frame.
        let top = (panel.measured + panel.ideal).filter(\.isFinite).max() ?? 1
        let yAxis = PlotAxis(covering: [0, top * 1.12] + panel.measured + panel.ideal)
        out.axes(frame: frame, inner: inner, x: xAxis, y: yAxis, xTitle: "threads", yTitle: panel.yTitle, yTitleX: slotLeft + 14)
        if let xAxis, let yAxis {
            func pixels(_ values: [Double]) -> [(x: Double, y: Double)] {
                zip(threads, values).compactMap { t, v in
                    guard let x = xAxis.position(t, from: inner.left, to: inner.right),
                          let y = yAxis.position(v, from: inner.bottom, to: inner.top) else { return nil }
                    return (x, y)
                }
            }
            let ideal = pixels(panel.ideal), measured = pixels(panel.measured)
            out.line(#"<path id="\#(panel.name)-ideal" d="\#(path(ideal))" fill="none" stroke="\#(Self.idealColor)" stroke-width="1.5" stroke-dasharray="6 4"/>"#)
            out.line(#"<path id="\#(panel.name)-measured" d="\#(path(measured))" fill="none" stroke="\#(Self.measuredColor)" stroke-width="2.5" stroke-linejoin="round" stroke-linecap="round"/>"#)
            out.line(#"<g id="\#(panel.name)-measured-points" fill="\#(Self.measuredColor)" stroke="\#(Style.paper)" stroke-width="1">"#)
            for p in measured { out.line(#"<circle cx="\#(f(p.x))" cy="\#(f(p.y))" r="4"/>"#) }
            out.line("</g>")
            for (p, (value, ideal)) in zip(measured, zip(panel.measured, panel.ideal)) {
                // A label goes on the side of its point away from the ideal line, shifted
                // inwards at the ends of the axis.
                let anchor = p.x <= inner.left + 1 ? "start" : p.x >= inner.right - 1 ? "end" : "middle"
                out.text(panel.label(value), x: p.x, y: value <= ideal * 1.001 ? p.y + 20 : p.y - 10, size: 11,
                         attributes: #"text-anchor="\#(anchor)" fill="\#(Style.ink)" class="point-label""#)
            }
        }
        out.line("</g>")
    }

    /// "M x y L x y …" through the points.
    private func path(_ points: [(x: Double, y: Double)]) -> String {
        points.enumerated().map { "\($0.offset == 0 ? "M" : "L")\(f($0.element.x)) \(f($0.element.y))" }.joined(separator: " ")
    }

    /// The first words of the BLAS configuration string ("OpenBLAS 0.3.21").
    static func shortBLAS(_ name: String) -> String { name.split(separator: " ").prefix(2).joined(separator: " ") }

    private func f(_ value: Double) -> String { String(format: "%.1f", value) }
}
