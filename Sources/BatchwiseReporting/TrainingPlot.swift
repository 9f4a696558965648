import Batchwise
import Foundation

/// The learning curves of a run as one SVG image: a loss panel (train and validation loss per
/// epoch) and, when accuracies were measured, an accuracy panel beside it, with round tick
/// values, grid, axis titles, a legend and a title line.
///
/// Plain SVG 1.1 with no external CSS or fonts (`font-family="sans-serif"`), so browsers and
/// `rsvg-convert` draw it alike. Values that are NaN or infinite (and, on the logarithmic loss
/// axis, values ≤ 0) are skipped: the curve breaks there. Each curve is one `<path>` whose `id`
/// names it: `loss-train`, `loss-validation`, `accuracy-train`, `accuracy-validation`, and
/// `batch-size` for the panel of the batch sizes a `--batch-size auto` run went through.
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
    /// Width of the image in pixels (at least 320).
    public var width: Int
    /// Height of the image in pixels (at least 240).
    public var height: Int
    /// The batch sizes of a `--batch-size auto` run, each with the passes over the data done
    /// when it took over (0.5: half-way through epoch 1), in order; when not empty, a third
    /// panel draws the batch size over the run (log scale) as steps.
    public var batchSizes: [BatchSizeChange]

    /// One batch size of `batchSizes` and when it took over.
    public struct BatchSizeChange: Sendable, Equatable {
        /// Passes over the data done when it took over.
        public var epochs: Double
        /// The batch size from then on.
        public var batchSize: Int
        /// A change to `batchSize` after `epochs` passes over the data.
        public init(epochs: Double, batchSize: Int) {
            self.epochs = epochs
            self.batchSize = batchSize
        }
    }

    /// A plot of `records`; `width` and `height` (pixels) are raised to at least 320 × 240.
    public init(records: [EpochRecord], title: String = "Training", logarithmicLoss: Bool = false,
                width: Int = 960, height: Int = 420, batchSizes: [BatchSizeChange] = []) {
        self.records = records
        self.batchSizes = batchSizes
        self.title = title
        self.logarithmicLoss = logarithmicLoss
        self.width = max(width, 320)
        self.height = max(height, 240)
    }

    /// The image as an SVG document. O(epochs).
    public func svg() -> String {
        var out = SVGText()
        out.beginFigure(width: width, height: height, title: title, subtitle: subtitle)
        let panels = self.panels
        drawLegend(into: &out, validation: panels.contains { $0.series.contains { $0.role == .validation } })
        let epochs = PlotAxis(covering: records.map { Double($0.epoch) } + batchSizes.map(\.epochs), integers: true, maxIntervals: 8)
        let slots = PlotFrame.panels(panels.count, width: width, height: height, top: Layout.frameTop, bottomInset: Layout.frameBottomInset)
        for (panel, slot) in zip(panels, slots) {
            draw(panel, in: slot.frame, slotLeft: slot.slotLeft, epochs: epochs, into: &out)
        }
        out.endFigure()
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
        if !batchSizes.isEmpty {
            // Steps: each size holds until the next takes over, the last until the last epoch's end.
            let end = max(Double(records.last?.epoch ?? 0), batchSizes.last!.epochs)
            var points: [(x: Double, y: Double)] = []
            for (i, change) in batchSizes.enumerated() {
                let until = i + 1 < batchSizes.count ? batchSizes[i + 1].epochs : end
                points += [(change.epochs, Double(change.batchSize)), (until, Double(change.batchSize))]
            }
            panels.append(Panel(name: "batch-size", heading: "Batch size (auto)", yTitle: "batch size", logarithmic: true,
                                series: [Series(id: "batch-size", role: .train, points: points)]))
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

    static func color(_ role: Role) -> String { role == .train ? PlotStyle.primary : PlotStyle.secondary }

    enum Layout {
        static let outerRight = 24.0
        static let frameTop = 96.0, frameBottomInset = 58.0, inset = 8.0
        /// Curves with at most this many points also get a dot per point.
        static let markerLimit = 40
    }

    private func drawLegend(into out: inout SVGText, validation: Bool) {
        let roles: [Role] = validation ? [.train, .validation] : [.train]
        // Right-aligned on the title line; text width estimated at 0.6 em per character.
        let widths = roles.map { 24 + 7.2 * Double($0.rawValue.count) }
        var x = Double(width) - Layout.outerRight - widths.reduce(0, +) - Double(roles.count - 1) * 18
        out.line(#"<g id="legend">"#)
        for (role, itemWidth) in zip(roles, widths) {
            out.legendEntry(role.rawValue, x: x, baseline: 31, length: 18, color: Self.color(role))
            x += itemWidth + 18
        }
        out.endGroup()
    }

    private func draw(_ panel: Panel, in frame: PlotFrame, slotLeft: Double, epochs: PlotAxis?, into out: inout SVGText) {
        out.beginPanel(panel.name, heading: panel.heading, frame: frame)
        let values = panel.series.flatMap { $0.points.map(\.y) }
        let axis = PlotAxis(covering: values, logarithmic: panel.logarithmic)
        // Data map into the frame less an inset, so points at the ends of an axis are not drawn
        // on the frame itself.
        let inner = frame.inset(by: Layout.inset)
        out.axes(frame: frame, inner: inner, x: epochs, y: axis, xTitle: "epoch", yTitle: panel.yTitle, yTitleX: slotLeft + 14)
        guard let axis, let epochs else {
            out.text("no finite values", x: frame.midX, y: frame.midY, size: 12, attributes: #"text-anchor="middle" fill="\#(PlotStyle.muted)""#)
            out.endGroup()
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
        out.endGroup()
    }

    /// One `<path>` per series, broken (a new subpath) where a value is missing; dots on every
    /// point of short curves, and on points with no neighbour (which a path alone would not show).
    private func drawCurve(_ series: Series, pixels: [(x: Double, y: Double)?], into out: inout SVGText) {
        let color = Self.color(series.role)
        var subpaths: [[(x: Double, y: Double)]] = []
        var dots: [(x: Double, y: Double)] = []
        let everyPoint = pixels.count(where: { $0 != nil }) <= Layout.markerLimit
        for (i, pixel) in pixels.enumerated() {
            guard let pixel else { continue }
            let joined = i > 0 && pixels[i - 1] != nil
            if joined { subpaths[subpaths.count - 1].append(pixel) } else { subpaths.append([pixel]) }
            let alone = !joined && (i + 1 == pixels.count || pixels[i + 1] == nil)
            if everyPoint || alone { dots.append(pixel) }
        }
        out.curve(id: series.id, subpaths, color: color, width: 2)
        guard !dots.isEmpty else { return }
        out.points(id: series.id, dots, color: color, radius: 3)
    }
}
