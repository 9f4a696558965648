/// The parts every figure is made of, so that the training curves and the bench plots share
/// one drawing of each: the document's head and title lines, the panel groups, legend entries,
/// curves and their points.
extension SVGText {
    /// Opens the document: the XML declaration, the `<svg>` root of `width` × `height` pixels
    /// (sans-serif text), a white background, `title` in bold at the top left and `subtitle`
    /// under it. Close it with ``endFigure()``.
    package mutating func beginFigure(width: Int, height: Int, title: String, subtitle: String) {
        line(#"<?xml version="1.0" encoding="UTF-8"?>"#)
        line(#"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="\#(width)" height="\#(height)" viewBox="0 0 \#(width) \#(height)" font-family="sans-serif">"#)
        line(#"<rect x="0" y="0" width="\#(width)" height="\#(height)" fill="\#(PlotStyle.paper)"/>"#)
        text(title, x: 24, y: 32, size: 18, attributes: #"font-weight="bold" fill="\#(PlotStyle.ink)""#)
        text(subtitle, x: 24, y: 54, size: 12, attributes: #"fill="\#(PlotStyle.muted)""#)
    }

    /// Closes the `<svg>` root.
    package mutating func endFigure() {
        line("</svg>")
    }

    /// Opens the group `<name>-panel` with `heading` in bold above `frame`. Close it with
    /// ``endGroup()``.
    package mutating func beginPanel(_ name: String, heading: String, frame: PlotFrame) {
        line(#"<g id="\#(name)-panel">"#)
        text(heading, x: frame.left, y: frame.top - 12, size: 14, attributes: #"font-weight="bold" fill="\#(PlotStyle.ink)""#)
    }

    /// Closes a `<g>`.
    package mutating func endGroup() {
        line("</g>")
    }

    /// A legend entry: a line sample `length` pixels long from `x`, 4 pixels above `baseline`,
    /// and `name` after it. `dash` is extra attributes for the sample (` stroke-dasharray="6 4"`).
    package mutating func legendEntry(_ name: String, x: Double, baseline: Int, length: Double, color: String, dash: String = "") {
        let f = Self.pixel
        line(#"<line x1="\#(f(x))" y1="\#(baseline - 4)" x2="\#(f(x + length))" y2="\#(baseline - 4)" stroke="\#(color)" stroke-width="2.5"\#(dash)/>"#)
        text(name, x: x + (length + 6), y: Double(baseline), size: 12, attributes: #"fill="\#(PlotStyle.ink)""#)
    }

    /// A measured curve: one `<path>` with id `id` through `subpaths` (a break between them),
    /// `width` pixels wide with round joins and caps.
    package mutating func curve(id: String, _ subpaths: [[(x: Double, y: Double)]], color: String, width: Double) {
        line(#"<path id="\#(id)" d="\#(Self.pathData(subpaths))" fill="none" stroke="\#(color)" stroke-width="\#(Self.number(width))" stroke-linejoin="round" stroke-linecap="round"/>"#)
    }

    /// A reference line (ideal scaling): one dashed `<path>` with id `id` through `points`.
    package mutating func referenceLine(id: String, _ points: [(x: Double, y: Double)], color: String = PlotStyle.reference) {
        line(#"<path id="\#(id)" d="\#(Self.pathData([points]))" fill="none" stroke="\#(color)" stroke-width="1.5" stroke-dasharray="6 4"/>"#)
    }

    /// A dot of `radius` pixels at each of `points`, in the group `<id>-points`.
    package mutating func points(id: String, _ points: [(x: Double, y: Double)], color: String, radius: Int) {
        let f = Self.pixel
        line(#"<g id="\#(id)-points" fill="\#(color)" stroke="\#(PlotStyle.paper)" stroke-width="1">"#)
        for p in points { line(#"<circle cx="\#(f(p.x))" cy="\#(f(p.y))" r="\#(radius)"/>"#) }
        endGroup()
    }

    /// A stroke width or similar attribute number: "2", "2.5".
    private static func number(_ value: Double) -> String { String(format: "%g", value) }
}
