import Batchwise
import BatchwiseReporting
import Foundation

/// A batch-size sweep as one SVG image, the two classic panels of McCandlish et al. (2018):
/// optimizer steps to the target against batch size, and training samples to the target
/// against batch size, both log-log. Each panel has the perfect-scaling line through the
/// smallest batch that met the target (steps ∝ 1/B; samples constant), the median measured
/// noise scale as a vertical line, and a caption saying how to read it.
///
/// Plain SVG 1.1, no external CSS or fonts, like ``ScalingPlot``. Ids: panels `steps-panel` and
/// `samples-panel`; in each, the paths `…-measured` (a subpath per unbroken run of batch sizes
/// that met the target) and `…-ideal`, the line `…-noise-scale`; batch sizes that never met
/// the target are marked `class="not-reached"` along the top of the panel.
public struct BatchSizePlot: SVGFigure, Sendable {
    /// The sweep to draw.
    public var report: BatchSizeReport
    /// Width of the image in pixels (at least 560).
    public var width: Int
    /// Height of the image in pixels (at least 360).
    public var height: Int

    /// A plot of `report`; `width` and `height` (pixels) are raised to at least 560 × 360.
    public init(report: BatchSizeReport, width: Int = 980, height: Int = 540) {
        self.report = report
        self.width = max(width, 560)
        self.height = max(height, 360)
    }

    private typealias Style = PlotStyle
    private static let measuredColor = Style.primary, noiseColor = Style.secondary, missedColor = Style.alert

    private struct Panel {
        let name: String
        let heading: String
        let yTitle: String
        /// One value per run; nil where the target was not met.
        let measured: [Double?]
        /// The perfect-scaling value at each batch size, or nil without a reference run.
        let ideal: [Double]?
    }

    /// The image as an SVG document. O(batch sizes).
    public func svg() -> String {
        let runs = report.runs, setup = report.setup
        let sizes = runs.map { Double($0.batchSize) }
        let noise = report.medianNoiseScale
        var out = SVGText()
        out.beginFigure(width: width, height: height, title: "What batch size buys: \(setup.task), \(setup.modelName), to \(setup.target)",
                        subtitle: "SGD momentum \(BatchSizeSweep.momentum), lr \(setup.learningRateRule) · \(setup.threads) thread(s) · validation once per epoch · seed \(setup.seed) · \(setup.date.prefix(10))")
        drawLegend(into: &out, noise: noise)
        // The perfect-scaling lines go through the smallest batch size that met the target.
        let reference = runs.first { $0.reached }
        let panels = [
            Panel(name: "steps", heading: "Optimizer steps to target", yTitle: "steps", measured: runs.map { $0.stepsToTarget.map(Double.init) },
                  ideal: reference.map { r in sizes.map { Double(r.stepsToTarget!) * Double(r.batchSize) / $0 } }),
            Panel(name: "samples", heading: "Training samples to target", yTitle: "samples", measured: runs.map { $0.samplesToTarget.map(Double.init) },
                  ideal: reference.map { r in sizes.map { _ in Double(r.samplesToTarget!) } }),
        ]
        let xAxis = PlotAxis(powersOfTwoCovering: sizes + (noise.map { [$0] } ?? []))
        for (panel, slot) in zip(panels, PlotFrame.panels(panels.count, width: width, height: height, top: 124, bottomInset: 112)) {
            draw(panel, sizes: sizes, noise: noise, xAxis: xAxis, in: slot.frame, slotLeft: slot.slotLeft, into: &out)
        }
        drawCaption(into: &out, noise: noise, threads: setup.threads)
        out.endFigure()
        return out.text
    }

    private func drawLegend(into out: inout SVGText, noise: Double?) {
        var items = [("measured", Self.measuredColor, ""), ("perfect scaling", Style.reference, #" stroke-dasharray="6 4""#)]
        if noise != nil { items.append(("noise scale B_simple", Self.noiseColor, #" stroke-dasharray="3 3""#)) }
        // A row of its own under the subtitle: the title may be long.
        var x = 24.0
        out.line(#"<g id="legend">"#)
        for ((name, color, dash), step) in zip(items, [100.0, 140, 170]) {
            out.legendEntry(name, x: x, baseline: 80, length: 22, color: color, dash: dash)
            x += step
        }
        if report.runs.contains(where: { !$0.reached }) {
            out.text("×", x: x + 11, y: 82, size: 16, attributes: #"text-anchor="middle" fill="\#(Self.missedColor)""#)
            out.text("target not reached", x: x + 28, y: 80, size: 12, attributes: #"fill="\#(Style.ink)""#)
        }
        out.endGroup()
    }

    private func draw(_ panel: Panel, sizes: [Double], noise: Double?, xAxis: PlotAxis?, in frame: PlotFrame, slotLeft: Double,
                      into out: inout SVGText) {
        out.beginPanel(panel.name, heading: panel.heading, frame: frame)
        let inner = frame.inset(by: 10, extraTop: 14)
        let values = panel.measured.compactMap { $0 } + (panel.ideal ?? [])
        let yAxis = PlotAxis(covering: values, logarithmic: true)
        out.axes(frame: frame, inner: inner, x: xAxis, y: yAxis, xTitle: "batch size B (samples per step, log scale)",
                 yTitle: panel.yTitle + " (log scale)", yTitleX: slotLeft + 14)
        guard let xAxis else {
            out.endGroup()
            return
        }
        func px(_ b: Double) -> Double? { xAxis.position(b, from: inner.left, to: inner.right) }
        func py(_ v: Double) -> Double? { yAxis?.position(v, from: inner.bottom, to: inner.top) }
        if let noise, let x = px(noise) {
            out.line(#"<line id="\#(panel.name)-noise-scale" x1="\#(f(x))" y1="\#(f(frame.top))" x2="\#(f(x))" y2="\#(f(frame.bottom))" stroke="\#(Self.noiseColor)" stroke-width="2" stroke-dasharray="3 3"/>"#)
            let right = x > (frame.left + frame.right) / 2
            out.text("B_simple ≈ \(Self.short(noise))", x: right ? x - 6 : x + 6, y: frame.top + 16, size: 11,
                     attributes: #"text-anchor="\#(right ? "end" : "start")" fill="\#(Self.noiseColor)" stroke="\#(Style.paper)" stroke-width="3" paint-order="stroke" class="noise-label""#)
        }
        if let ideal = panel.ideal {
            let points: [(x: Double, y: Double)] = zip(sizes, ideal).compactMap { b, v in px(b).flatMap { x in py(v).map { (x, $0) } } }
            out.referenceLine(id: "\(panel.name)-ideal", points)
        }
        // A batch size that missed the target breaks the measured curve.
        var runsOfPoints: [[(x: Double, y: Double, value: Double)]] = [[]]
        var missed: [Double] = []
        for (b, value) in zip(sizes, panel.measured) {
            if let value, let x = px(b), let y = py(value) {
                runsOfPoints[runsOfPoints.count - 1].append((x, y, value))
            } else {
                if let x = px(b) { missed.append(x) }
                if !runsOfPoints[runsOfPoints.count - 1].isEmpty { runsOfPoints.append([]) }
            }
        }
        runsOfPoints.removeAll { $0.isEmpty }
        let points = runsOfPoints.flatMap { $0 }
        out.curve(id: "\(panel.name)-measured", runsOfPoints.map { $0.map { ($0.x, $0.y) } }, color: Self.measuredColor, width: 2.5)
        out.points(id: "\(panel.name)-measured", points.map { ($0.x, $0.y) }, color: Self.measuredColor, radius: 4)
        for p in points {
            out.text(Self.short(p.value), x: p.x, y: p.y - 10, size: 11,
                     attributes: #"text-anchor="\#(inner.anchor(atX: p.x))" fill="\#(Style.ink)" stroke="\#(Style.paper)" stroke-width="3" paint-order="stroke" class="point-label""#)
        }
        for x in missed {
            out.text("×", x: x, y: inner.top - 2, size: 16,
                     attributes: #"text-anchor="middle" fill="\#(Self.missedColor)" class="not-reached""#)
        }
        out.endGroup()
    }

    private func drawCaption(into out: inout SVGText, noise: Double?, threads: Int) {
        let y = Double(height) - 40
        let first = noise.map { "Below the critical batch size (≈ the measured noise scale B_simple = tr(Σ)/|G|², median \(Self.short($0)), dotted orange) doubling the batch halves the steps;" }
            ?? "Below the critical batch size (the gradient noise scale; not measured here\(threads < 2 ? " with 1 thread" : "")) doubling the batch halves the steps;"
        let lines = [
            first,
            "above it, it buys little: the steps level off and the samples to target grow. Counted at the first epoch whose validation met the target"
                + (report.runs.contains { !$0.reached } ? "; × never met it." : "."),
        ]
        out.line(#"<g id="caption">"#)
        for (i, text) in lines.enumerated() {
            out.text(text, x: 24, y: y + Double(i) * 17, size: 12, attributes: #"fill="\#(Style.ink)""#)
        }
        out.endGroup()
    }

    /// "96", "1,350", "23,400", "234k", "1.2M": short enough to sit above a point.
    static func short(_ value: Double) -> String {
        if value >= 1e6 { return String(format: "%.3gM", value / 1e6) }
        if value >= 1e5 { return String(format: "%.3gk", value / 1e3) }
        if value >= 100 || value == value.rounded() { return ProgressLine.grouped(Int(value.rounded())) }
        return String(format: "%.3g", value)
    }

    private func f(_ value: Double) -> String { SVGText.pixel(value) }
}
