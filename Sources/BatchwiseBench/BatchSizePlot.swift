import Batchwise
import BatchwiseReporting
import Foundation

/// A batch-size sweep as one SVG image, the three classic panels of McCandlish et al. (2018):
/// optimizer steps to the target against batch size, training samples to the target against
/// batch size, and samples against steps (the trade-off), all log-log. The first two have the
/// perfect-scaling line through the smallest batch that met the target (steps ∝ 1/B; samples
/// constant) and the median measured noise scale as a vertical line; the third has the
/// measured (S, E) points, each labelled with its batch size, and the fitted curve
/// (S/S_min − 1)(E/E_min − 1) = 1 (``BatchSizeTradeoff``); a caption says how to read them.
///
/// Plain SVG 1.1, no external CSS or fonts, like ``ScalingPlot``. Ids: panels `steps-panel`,
/// `samples-panel` and `tradeoff-panel`; in the first two, the paths `…-measured` (a subpath
/// per unbroken run of batch sizes that met the target) and `…-ideal`, the line
/// `…-noise-scale`; batch sizes that never met the target are marked `class="not-reached"`
/// along the top of the panel. In the third: the points `tradeoff-measured-points`, the path
/// `tradeoff-fit` (absent without a fit) and the auto run's point `tradeoff-auto-points`.
public struct BatchSizePlot: SVGFigure, Sendable {
    /// The sweep to draw.
    public var report: BatchSizeReport
    /// Width of the image in pixels (at least 560).
    public var width: Int
    /// Height of the image in pixels (at least 360).
    public var height: Int

    /// A plot of `report`; `width` and `height` (pixels) are raised to at least 560 × 360.
    public init(report: BatchSizeReport, width: Int = 1320, height: Int = 540) {
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
                        subtitle: "SGD momentum \(BatchSizeSweep.momentum), lr \(setup.learningRateRule) · \(setup.threads) thread(s) · validation \(setup.checkRule) · seed \(setup.seed) · \(setup.date.prefix(10))")
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
        let slots = PlotFrame.panels(panels.count + 1, width: width, height: height, top: 124, bottomInset: 112)
        for (panel, slot) in zip(panels, slots) {
            draw(panel, sizes: sizes, noise: noise, xAxis: xAxis, in: slot.frame, slotLeft: slot.slotLeft, into: &out)
        }
        drawTradeoff(in: slots[2].frame, slotLeft: slots[2].slotLeft, into: &out)
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

    /// Samples against steps to the target: the measured points and the fitted trade-off curve.
    private func drawTradeoff(in frame: PlotFrame, slotLeft: Double, into out: inout SVGText) {
        out.beginPanel("tradeoff", heading: "Samples against steps to target", frame: frame)
        let inner = frame.inset(by: 10, extraTop: 14)
        let points = BatchSizeReport.tradeoffPoints(report.runs)
        let fit = report.fit
        let autoPoint: (steps: Double, samples: Double)? = report.auto.flatMap { a in
            guard let s = a.stepsToTarget, let e = a.samplesToTarget else { return nil }
            return (Double(s), Double(e))
        }
        // The fitted curve over the measured batch sizes and a little beyond, S from the B grid.
        let batches = points.map(\.batchSize)
        var curve: [(steps: Double, samples: Double)] = []
        if let fit, let low = batches.min(), let high = batches.max() {
            let from = log(low / 2), to = log(high * 2)
            curve = (0...64).map { i in
                let b = exp(from + (to - from) * Double(i) / 64)
                return (fit.steps(batchSize: b), fit.samples(batchSize: b))
            }
        }
        let xs = points.map(\.steps) + curve.map(\.steps) + (autoPoint.map { [$0.steps] } ?? [])
        let ys = points.map(\.samples) + curve.map(\.samples) + (autoPoint.map { [$0.samples] } ?? [])
        let xAxis = PlotAxis(covering: xs, logarithmic: true), yAxis = PlotAxis(covering: ys, logarithmic: true)
        out.axes(frame: frame, inner: inner, x: xAxis, y: yAxis, xTitle: "steps S to target (log scale)",
                 yTitle: "samples E (log scale)", yTitleX: slotLeft + 14)
        guard let xAxis, let yAxis else {
            out.text("no batch size reached the target", x: (frame.left + frame.right) / 2, y: (frame.top + frame.bottom) / 2, size: 12,
                     attributes: #"text-anchor="middle" fill="\#(Style.ink)""#)
            out.endGroup()
            return
        }
        func pixel(_ s: Double, _ e: Double) -> (x: Double, y: Double)? {
            xAxis.position(s, from: inner.left, to: inner.right).flatMap { x in yAxis.position(e, from: inner.bottom, to: inner.top).map { (x, $0) } }
        }
        if let fit {
            out.line(#"<path id="tradeoff-fit" d="\#(SVGText.pathData([curve.compactMap { pixel($0.steps, $0.samples) }]))" fill="none" stroke="\#(Self.noiseColor)" stroke-width="2" stroke-dasharray="6 3"/>"#)
            let label = "fit: S_min " + Self.short(fit.minimumSteps) + ", E_min " + Self.short(fit.minimumSamples)
                + ", B_crit " + Self.short(fit.criticalBatchSize)
            out.text(label, x: inner.right, y: inner.top + 4, size: 11,
                     attributes: #"text-anchor="end" fill="\#(Self.noiseColor)" stroke="\#(Style.paper)" stroke-width="3" paint-order="stroke" class="fit-label""#)
        } else if case .failure(let failure) = report.tradeoff {
            out.text("no fit: " + (failure == .unbounded ? "B_crit not bounded by these points" : "fewer than 2 points"),
                     x: inner.right, y: inner.top + 4, size: 11, attributes: #"text-anchor="end" fill="\#(Style.ink)" class="fit-label""#)
        }
        let measured = zip(points, report.runs.filter { $0.reached && !$0.diverged }).compactMap { p, run in
            pixel(p.steps, p.samples).map { (x: $0.x, y: $0.y, batch: run.batchSize) }
        }
        out.points(id: "tradeoff-measured", measured.map { ($0.x, $0.y) }, color: Self.measuredColor, radius: 4)
        for p in measured {
            out.text("B=\(p.batch)", x: p.x + 6, y: p.y - 8, size: 11,
                     attributes: #"fill="\#(Style.ink)" stroke="\#(Style.paper)" stroke-width="3" paint-order="stroke" class="point-label""#)
        }
        if let autoPoint, let p = pixel(autoPoint.steps, autoPoint.samples) {
            out.points(id: "tradeoff-auto", [p], color: Self.missedColor, radius: 5)
            out.text("auto", x: p.x + 7, y: p.y + 14, size: 11,
                     attributes: #"fill="\#(Self.missedColor)" stroke="\#(Style.paper)" stroke-width="3" paint-order="stroke" class="point-label""#)
        }
        out.endGroup()
    }

    private func drawCaption(into out: inout SVGText, noise: Double?, threads: Int) {
        let y = Double(height) - 56
        let first = noise.map { "Below the critical batch size (≈ the measured noise scale B_simple = tr(Σ)/|G|², median \(Self.short($0)), dotted orange) doubling the batch halves the steps;" }
            ?? "Below the critical batch size (the gradient noise scale; not measured here\(threads < 2 ? " with 1 thread" : "")) doubling the batch halves the steps;"
        let lines = [
            first,
            "above it, it buys little: the steps level off and the samples to target grow. Counted at the first epoch whose validation met the target"
                + (report.runs.contains { !$0.reached } ? "; × never met it." : "."),
            report.fit.map { "Right: the trade-off (S/S_min − 1)(E/E_min − 1) = 1 fitted to the points (McCandlish et al. 2018): B_crit = E_min/S_min ≈ \(Self.short($0.criticalBatchSize))"
                + (noise.map { ", beside the measured noise scale \(Self.short($0))." } ?? ".") }
                ?? "Right: samples against steps to the target; the trade-off curve needs 2 or more batch sizes that reached the target and bound B_crit.",
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
