import Foundation

/// The learning curves of a run as one SVG image: a loss panel (train and validation loss per
/// epoch) and, when accuracies were measured, an accuracy panel beside it, with round tick
/// values, grid, axis titles, a legend and a title line.
///
/// Plain SVG 1.1 with no external CSS or fonts (`font-family="sans-serif"`), so browsers and
/// `rsvg-convert` draw it alike. Values that are NaN or infinite (and, on the logarithmic loss
/// axis, values ≤ 0) are skipped: the curve breaks there. Each curve is one `<path>` whose `id`
/// names it: `loss-train`, `loss-validation`, `accuracy-train`, `accuracy-validation`.
///
/// ```swift
/// try TrainingPlot(records: records, title: "digits, batch 32").write(to: "run.svg")
/// ```
public struct TrainingPlot: SVGFigure, Sendable {
    /// The epochs to draw, in order.
    public var records: [EpochRecord]
    /// The first line of the image.
    public var title: String
    /// Draw the loss on a base-10 logarithmic axis (useful when it falls by orders of magnitude).
    public var logarithmicLoss: Bool
    /// Size of the image in pixels.
    public var width: Int
    public var height: Int

    public init(records: [EpochRecord], title: String = "Training", logarithmicLoss: Bool = false,
                width: Int = 960, height: Int = 420) {
        self.records = records
        self.title = title
        self.logarithmicLoss = logarithmicLoss
        self.width = max(width, 320)
        self.height = max(height, 240)
    }

    /// The image as an SVG document. O(epochs).
    public func svg() -> String {
        var out = SVGText()
        out.line(#"<?xml version="1.0" encoding="UTF-8"?>"#)
        out.line(#"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="\#(width)" height="\#(height)" viewBox="0 0 \#(width) \#(height)" font-family="sans-serif">"#)
        out.line(#"<rect x="0" y="0" width="\#(width)" height="\#(height)" fill="\#(Style.paper)"/>"#)
        out.text(title, x: 24, y: 32, size: 18, attributes: #"font-weight="bold" fill="\#(Style.ink)""#)
        out.text(subtitle, x: 24, y: 54, size: 12, attributes: #"fill="\#(Style.muted)""#)
        let panels = self.panels
        drawLegend(into: &out, validation: panels.contains { $0.series.contains { $0.role == .validation } })
        let epochs = PlotAxis(covering: records.map { Double($0.epoch) }, integers: true, maxIntervals: 8)
        let slotWidth = (Double(width) - Layout.outerLeft - Layout.outerRight - Double(panels.count - 1) * Layout.gap)
            / Double(panels.count)
        for (index, panel) in panels.enumerated() {
            let left = Layout.outerLeft + Double(index) * (slotWidth + Layout.gap)
            let frame = Frame(left: left + Layout.yLabelWidth, top: Layout.frameTop,
                              right: left + slotWidth, bottom: Double(height) - Layout.frameBottomInset)
            draw(panel, in: frame, slotLeft: left, epochs: epochs, into: &out)
        }
        out.line("</svg>")
        return out.text
    }

    // MARK: What is drawn

    enum Role: String { case train, validation }

    struct Series {
        let id: String
        let role: Role
        /// (epoch, value) pairs; values may be NaN where nothing was measured.
        let points: [(x: Double, y: Double)]
        var hasValues: Bool { points.contains { $0.y.isFinite } }
    }

    struct Panel {
        let name: String
        let heading: String
        let yTitle: String
        let logarithmic: Bool
        let series: [Series]
    }

    /// The loss panel always; the accuracy panel when any accuracy was measured (in percent).
    var panels: [Panel] {
        func series(_ name: String, _ role: Role, _ value: (EpochRecord) -> Double?) -> Series {
            Series(id: "\(name)-\(role.rawValue)", role: role,
                   points: records.map { (Double($0.epoch), value($0) ?? .nan) })
        }
        let loss = [series("loss", .train) { $0.trainLoss }, series("loss", .validation) { $0.validationLoss }]
        let accuracy = [series("accuracy", .train) { $0.trainAccuracy.map { $0 * 100 } },
                        series("accuracy", .validation) { $0.validationAccuracy.map { $0 * 100 } }]
        var panels = [Panel(name: "loss", heading: logarithmicLoss ? "Loss (log scale)" : "Loss", yTitle: "loss",
                            logarithmic: logarithmicLoss,
                            series: loss.filter { $0.role == .train || $0.hasValues })]
        if accuracy.contains(where: \.hasValues) {
            panels.append(Panel(name: "accuracy", heading: "Accuracy", yTitle: "accuracy (%)", logarithmic: false,
                                series: accuracy.filter(\.hasValues)))
        }
        return panels
    }

    /// "30 epochs · 1,350 steps · final train loss 0.0412 · validation loss 0.0950 · validation accuracy 97.22%".
    var subtitle: String {
        guard let last = records.last else { return "no epochs yet" }
        var parts = ["\(records.count) epoch\(records.count == 1 ? "" : "s")", "\(ProgressLine.grouped(last.step)) steps",
                     "final train loss \(Self.number(last.trainLoss))"]
        if let v = last.validationLoss { parts.append("validation loss \(Self.number(v))") }
        if let a = last.validationAccuracy ?? last.trainAccuracy {
            parts.append("\(last.validationAccuracy == nil ? "train" : "validation") accuracy \(String(format: "%.2f", a * 100))%")
        }
        return parts.joined(separator: " · ")
    }

    static func number(_ value: Double) -> String {
        value.isFinite ? String(format: abs(value) >= 1e4 || (value != 0 && abs(value) < 1e-3) ? "%.3e" : "%.4f", value) : "n/a"
    }

    // MARK: Drawing

    enum Style {
        static let paper = "#ffffff", ink = "#111827", muted = "#4b5563", grid = "#e5e7eb", frame = "#9ca3af"
        static func color(_ role: Role) -> String { role == .train ? "#2563eb" : "#ea580c" }
    }

    enum Layout {
        static let outerLeft = 16.0, outerRight = 24.0, gap = 40.0, yLabelWidth = 62.0
        static let frameTop = 96.0, frameBottomInset = 58.0, inset = 8.0
        /// Curves with at most this many points also get a dot per point.
        static let markerLimit = 40
    }

    struct Frame {
        let left, top, right, bottom: Double
        var midX: Double { (left + right) / 2 }
        var midY: Double { (top + bottom) / 2 }
    }

    private func drawLegend(into out: inout SVGText, validation: Bool) {
        let roles: [Role] = validation ? [.train, .validation] : [.train]
        // Right-aligned on the title line; text width estimated at 0.6 em per character.
        let widths = roles.map { 24 + 7.2 * Double($0.rawValue.count) }
        var x = Double(width) - Layout.outerRight - widths.reduce(0, +) - Double(roles.count - 1) * 18
        out.line(#"<g id="legend">"#)
        for (role, itemWidth) in zip(roles, widths) {
            out.line(#"<line x1="\#(f(x))" y1="27" x2="\#(f(x + 18))" y2="27" stroke="\#(Style.color(role))" stroke-width="2.5"/>"#)
            out.text(role.rawValue, x: x + 24, y: 31, size: 12, attributes: #"fill="\#(Style.ink)""#)
            x += itemWidth + 18
        }
        out.line("</g>")
    }

    private func draw(_ panel: Panel, in frame: Frame, slotLeft: Double, epochs: PlotAxis?, into out: inout SVGText) {
        out.line(#"<g id="\#(panel.name)-panel">"#)
        out.text(panel.heading, x: frame.left, y: frame.top - 12, size: 14, attributes: #"font-weight="bold" fill="\#(Style.ink)""#)
        let values = panel.series.flatMap { $0.points.map(\.y) }
        let axis = PlotAxis(covering: values, logarithmic: panel.logarithmic)
        // Data map into the frame less an inset, so points at the ends of an axis are not drawn
        // on the frame itself.
        let inner = Frame(left: frame.left + Layout.inset, top: frame.top + Layout.inset,
                          right: frame.right - Layout.inset, bottom: frame.bottom - Layout.inset)
        if let axis {
            for (tick, label) in zip(axis.ticks, axis.labels) {
                guard let y = axis.position(tick, from: inner.bottom, to: inner.top) else { continue }
                out.line(#"<line x1="\#(f(frame.left))" y1="\#(f(y))" x2="\#(f(frame.right))" y2="\#(f(y))" stroke="\#(Style.grid)" stroke-width="1"/>"#)
                out.text(label, x: frame.left - 8, y: y + 4, size: 11, attributes: #"text-anchor="end" fill="\#(Style.muted)" class="y-tick""#)
            }
        }
        if let epochs {
            for (tick, label) in zip(epochs.ticks, epochs.labels) {
                guard let x = epochs.position(tick, from: inner.left, to: inner.right) else { continue }
                out.line(#"<line x1="\#(f(x))" y1="\#(f(frame.top))" x2="\#(f(x))" y2="\#(f(frame.bottom))" stroke="\#(Style.grid)" stroke-width="1"/>"#)
                out.line(#"<line x1="\#(f(x))" y1="\#(f(frame.bottom))" x2="\#(f(x))" y2="\#(f(frame.bottom + 4))" stroke="\#(Style.frame)" stroke-width="1"/>"#)
                out.text(label, x: x, y: frame.bottom + 18, size: 11, attributes: #"text-anchor="middle" fill="\#(Style.muted)" class="x-tick""#)
            }
        }
        out.line(#"<rect x="\#(f(frame.left))" y="\#(f(frame.top))" width="\#(f(frame.right - frame.left))" height="\#(f(frame.bottom - frame.top))" fill="none" stroke="\#(Style.frame)" stroke-width="1"/>"#)
        out.text("epoch", x: frame.midX, y: frame.bottom + 42, size: 12, attributes: #"text-anchor="middle" fill="\#(Style.ink)""#)
        let titleX = slotLeft + 14
        out.text(panel.yTitle, x: titleX, y: frame.midY, size: 12,
                 attributes: #"text-anchor="middle" fill="\#(Style.ink)" transform="rotate(-90 \#(f(titleX)) \#(f(frame.midY)))""#)
        guard let axis, let epochs else {
            out.text("no finite values", x: frame.midX, y: frame.midY, size: 12, attributes: #"text-anchor="middle" fill="\#(Style.muted)""#)
            out.line("</g>")
            return
        }
        for series in panel.series {
            let pixels = series.points.map { point -> (x: Double, y: Double)? in
                guard let x = epochs.position(point.x, from: inner.left, to: inner.right),
                      let y = axis.position(point.y, from: inner.bottom, to: inner.top) else { return nil }
                return (x, y)
            }
            drawCurve(series, pixels: pixels, into: &out)
        }
        out.line("</g>")
    }

    /// One `<path>` per series, broken (a new `M`) where a value is missing; dots on every point
    /// of short curves, and on points with no neighbour (which a path alone would not show).
    private func drawCurve(_ series: Series, pixels: [(x: Double, y: Double)?], into out: inout SVGText) {
        let color = Style.color(series.role)
        var d: [String] = []
        var dots: [(x: Double, y: Double)] = []
        let everyPoint = pixels.count(where: { $0 != nil }) <= Layout.markerLimit
        for (i, pixel) in pixels.enumerated() {
            guard let pixel else { continue }
            let joined = i > 0 && pixels[i - 1] != nil
            d.append("\(joined ? "L" : "M")\(f(pixel.x)) \(f(pixel.y))")
            let alone = !joined && (i + 1 == pixels.count || pixels[i + 1] == nil)
            if everyPoint || alone { dots.append(pixel) }
        }
        out.line(#"<path id="\#(series.id)" d="\#(d.joined(separator: " "))" fill="none" stroke="\#(color)" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"/>"#)
        guard !dots.isEmpty else { return }
        out.line(#"<g id="\#(series.id)-points" fill="\#(color)" stroke="\#(Style.paper)" stroke-width="1">"#)
        for dot in dots { out.line(#"<circle cx="\#(f(dot.x))" cy="\#(f(dot.y))" r="3"/>"#) }
        out.line("</g>")
    }

    /// A pixel coordinate with one decimal.
    private func f(_ value: Double) -> String { String(format: "%.1f", value) }
}

/// An SVG document being built, line by line.
struct SVGText {
    private(set) var text = ""

    mutating func line(_ s: String) {
        text += s
        text += "\n"
    }

    /// A `<text>` element, its content escaped for XML.
    mutating func text(_ content: String, x: Double, y: Double, size: Int, attributes: String) {
        line(#"<text x="\#(String(format: "%.1f", x))" y="\#(String(format: "%.1f", y))" font-size="\#(size)" \#(attributes)>\#(Self.escape(content))</text>"#)
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
