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
    public var report: BatchSizeReport
    public var width: Int
    public var height: Int

    public init(report: BatchSizeReport, width: Int = 980, height: Int = 540) {
        self.report = report
        self.width = max(width, 560)
        self.height = max(height, 360)
    }


    private typealias Style = TrainingPlot.Style
    private typealias Frame = TrainingPlot.Frame
    private static let measuredColor = "#2563eb", idealColor = "#6b7280", noiseColor = "#ea580c", missedColor = "#dc2626"

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
        out.line(#"<?xml version="1.0" encoding="UTF-8"?>"#)
        out.line(#"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="\#(width)" height="\#(height)" viewBox="0 0 \#(width) \#(height)" font-family="sans-serif">"#)
        out.line(#"<rect x="0" y="0" width="\#(width)" height="\#(height)" fill="\#(Style.paper)"/>"#)
        out.text("What batch size buys: \(setup.task), \(setup.modelName), to \(setup.target)", x: 24, y: 32, size: 18,
                 attributes: #"font-weight="bold" fill="\#(Style.ink)""#)
        out.text("SGD momentum \(BatchSizeSweep.momentum), lr \(setup.learningRateRule) · \(setup.threads) thread(s) · validation once per epoch · seed \(setup.seed) · \(setup.date.prefix(10))",
                 x: 24, y: 54, size: 12, attributes: #"fill="\#(Style.muted)""#)
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
        let slot = (Double(width) - 16 - 24 - 40) / 2
        for (index, panel) in panels.enumerated() {
            let left = 16 + Double(index) * (slot + 40)
            let frame = Frame(left: left + 62, top: 124, right: left + slot, bottom: Double(height) - 112)
            draw(panel, sizes: sizes, noise: noise, xAxis: xAxis, in: frame, slotLeft: left, into: &out)
        }
        drawCaption(into: &out, noise: noise, threads: setup.threads)
        out.line("</svg>")
        return out.text
    }

    private func drawLegend(into out: inout SVGText, noise: Double?) {
        var items = [("measured", Self.measuredColor, ""), ("perfect scaling", Self.idealColor, #" stroke-dasharray="6 4""#)]
        if noise != nil { items.append(("noise scale B_simple", Self.noiseColor, #" stroke-dasharray="3 3""#)) }
        // A row of its own under the subtitle: the title may be long.
        var x = 24.0
        out.line(#"<g id="legend">"#)
        for ((name, color, dash), step) in zip(items, [100.0, 140, 170]) {
            out.line(#"<line x1="\#(f(x))" y1="76" x2="\#(f(x + 22))" y2="76" stroke="\#(color)" stroke-width="2.5"\#(dash)/>"#)
            out.text(name, x: x + 28, y: 80, size: 12, attributes: #"fill="\#(Style.ink)""#)
            x += step
        }
        if report.runs.contains(where: { !$0.reached }) {
            out.text("×", x: x + 11, y: 82, size: 16, attributes: #"text-anchor="middle" fill="\#(Self.missedColor)""#)
            out.text("target not reached", x: x + 28, y: 80, size: 12, attributes: #"fill="\#(Style.ink)""#)
        }
        out.line("</g>")
    }

    private func draw(_ panel: Panel, sizes: [Double], noise: Double?, xAxis: PlotAxis?, in frame: Frame, slotLeft: Double,
                      into out: inout SVGText) {
        out.line(#"<g id="\#(panel.name)-panel">"#)
        out.text(panel.heading, x: frame.left, y: frame.top - 12, size: 14, attributes: #"font-weight="bold" fill="\#(Style.ink)""#)
        let inset = 10.0
        let inner = Frame(left: frame.left + inset, top: frame.top + inset + 14, right: frame.right - inset, bottom: frame.bottom - inset)
        let values = panel.measured.compactMap { $0 } + (panel.ideal ?? [])
        let yAxis = PlotAxis(covering: values, logarithmic: true)
        out.axes(frame: frame, inner: inner, x: xAxis, y: yAxis, xTitle: "batch size B (samples per step, log scale)",
                 yTitle: panel.yTitle + " (log scale)", yTitleX: slotLeft + 14)
        guard let xAxis else {
            out.line("</g>")
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
            let points = zip(sizes, ideal).compactMap { b, v in px(b).flatMap { x in py(v).map { (x, $0) } } }
            out.line(#"<path id="\#(panel.name)-ideal" d="\#(path([points]))" fill="none" stroke="\#(Self.idealColor)" stroke-width="1.5" stroke-dasharray="6 4"/>"#)
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
        out.line(#"<path id="\#(panel.name)-measured" d="\#(path(runsOfPoints.map { $0.map { ($0.x, $0.y) } }))" fill="none" stroke="\#(Self.measuredColor)" stroke-width="2.5" stroke-linejoin="round" stroke-linecap="round"/>"#)
        out.line(#"<g id="\#(panel.name)-measured-points" fill="\#(Self.measuredColor)" stroke="\#(Style.paper)" stroke-width="1">"#)
        for p in points { out.line(#"<circle cx="\#(f(p.x))" cy="\#(f(p.y))" r="4"/>"#) }
        out.line("</g>")
        for p in points {
            let anchor = p.x <= inner.left + 1 ? "start" : p.x >= inner.right - 1 ? "end" : "middle"
            out.text(Self.short(p.value), x: p.x, y: p.y - 10, size: 11,
                     attributes: #"text-anchor="\#(anchor)" fill="\#(Style.ink)" stroke="\#(Style.paper)" stroke-width="3" paint-order="stroke" class="point-label""#)
        }
        for x in missed {
            out.text("×", x: x, y: inner.top - 2, size: 16,
                     attributes: #"text-anchor="middle" fill="\#(Self.missedColor)" class="not-reached""#)
        }
        out.line("</g>")
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
        out.line("</g>")
    }

    /// "M x y L x y … M x y …": one subpath per list of points.
    private func path(_ subpaths: [[(Double, Double)]]) -> String {
        subpaths.flatMap { points in
            points.enumerated().map { "\($0.offset == 0 ? "M" : "L")\(f($0.element.0)) \(f($0.element.1))" }
        }.joined(separator: " ")
    }

    /// "96", "1,350", "23,400", "234k", "1.2M": short enough to sit above a point.
    static func short(_ value: Double) -> String {
        if value >= 1e6 { return String(format: "%.3gM", value / 1e6) }
        if value >= 1e5 { return String(format: "%.3gk", value / 1e3) }
        if value >= 100 || value == value.rounded() { return ProgressLine.grouped(Int(value.rounded())) }
        return String(format: "%.3g", value)
    }

    private func f(_ value: Double) -> String { String(format: "%.1f", value) }
}

extension PlotAxis {
    /// A logarithmic axis for batch sizes, ticked at powers of two ("16", "32", … "1024")
    /// from the one at or below the smallest positive value to the one at or above the largest;
    /// every second (fourth, …) power when more than `maxTicks` would be needed. Nil without a
    /// positive finite value.
    init?(powersOfTwoCovering values: [Double], maxTicks: Int = 9) {
        let usable = values.filter { $0.isFinite && $0 > 0 }
        guard let low = usable.min(), let high = usable.max() else { return nil }
        let first = Int(log2(low).rounded(.down))
        var last = Int(log2(high).rounded(.up))
        if last == first { last += 1 }
        let every = max(1, (last - first + maxTicks - 2) / max(1, maxTicks - 1))
        last = first + ((last - first + every - 1) / every) * every
        let exponents = Array(stride(from: first, through: last, by: every))
        ticks = exponents.map { pow(2, Double($0)) }
        labels = ticks.map { $0 >= 1 ? String(Int($0)) : String(format: "%g", $0) }
        lower = ticks.first!
        upper = ticks.last!
        logarithmic = true
    }
}
