import Batchwise
import BatchwiseReporting
import Foundation

/// A scaling report as one SVG image: speedup against threads beside the ideal line
/// y = threads / baseline threads, and parallel efficiency against threads beside the ideal
/// 100 %, with each measured point labelled.
///
/// Plain SVG 1.1, no external CSS or fonts, like `TrainingPlot`. Each curve is one `<path>`
/// whose `id` names it: `speedup-measured`, `speedup-ideal`, `efficiency-measured`,
/// `efficiency-ideal`; the panels are groups `speedup-panel` and `efficiency-panel`.
public struct ScalingPlot: SVGFigure, Sendable {
    /// The benchmark to draw.
    public var report: ScalingReport
    /// Width of the image in pixels (at least 480).
    public var width: Int
    /// Height of the image in pixels (at least 280).
    public var height: Int

    /// A plot of `report`; `width` and `height` (pixels) are raised to at least 480 × 280.
    public init(report: ScalingReport, width: Int = 960, height: Int = 440) {
        self.report = report
        self.width = max(width, 480)
        self.height = max(height, 280)
    }

    private typealias Style = PlotStyle

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
        let day = setup.date.prefix(10)
        let pairs = rows.filter { $0.allReduce == AllReduceStrategy.replicatedPair.rawValue }.map { String($0.threads) }
        // Short: the subtitle is one line. "pair" is the replicated pair, the rest reduce-scatter.
        let allReduce = pairs.isEmpty ? "reduce-scatter" : pairs.count == rows.count ? "replicated pair"
            : "pair at \(pairs.joined(separator: ",")) threads"
        var out = SVGText()
        out.beginFigure(width: width, height: height, title: "Scaling of one training step: \(setup.modelName), batch \(setup.batchSize)",
                        subtitle: "median of \(setup.timedSteps) steps · placement \(setup.placement) · all-reduce \(allReduce) · \(setup.machine) · \(Self.shortBLAS(setup.blas)) · \(day)")
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
        for (panel, slot) in zip(panels, PlotFrame.panels(panels.count, width: width, height: height, top: 96, bottomInset: 58)) {
            draw(panel, threads: threads, xAxis: xAxis, in: slot.frame, slotLeft: slot.slotLeft, into: &out)
        }
        out.endFigure()
        return out.text
    }

    private func drawLegend(into out: inout SVGText) {
        var x = Double(width) - 24 - 180
        out.line(#"<g id="legend">"#)
        for (name, color, dash) in [("measured", Style.primary, ""), ("ideal", Style.reference, #" stroke-dasharray="6 4""#)] {
            out.legendEntry(name, x: x, baseline: 31, length: 22, color: color, dash: dash)
            x += 110
        }
        out.endGroup()
    }

    private func draw(_ panel: Panel, threads: [Double], xAxis: PlotAxis?, in frame: PlotFrame, slotLeft: Double, into out: inout SVGText) {
        out.beginPanel(panel.name, heading: panel.heading, frame: frame)
        let inner = frame.inset(by: 8)
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
            out.referenceLine(id: "\(panel.name)-ideal", ideal)
            out.curve(id: "\(panel.name)-measured", [measured], color: Style.primary, width: 2.5)
            out.points(id: "\(panel.name)-measured", measured, color: Style.primary, radius: 4)
            for (p, (value, ideal)) in zip(measured, zip(panel.measured, panel.ideal)) {
                // A label goes on the side of its point away from the ideal line, shifted
                // inwards at the ends of the axis.
                out.text(panel.label(value), x: p.x, y: value <= ideal * 1.001 ? p.y + 20 : p.y - 10, size: 11,
                         attributes: #"text-anchor="\#(inner.anchor(atX: p.x))" fill="\#(Style.ink)" class="point-label""#)
            }
        }
        out.endGroup()
    }

    /// The first words of the BLAS configuration string ("OpenBLAS 0.3.21").
    static func shortBLAS(_ name: String) -> String { name.split(separator: " ").prefix(2).joined(separator: " ") }
}
