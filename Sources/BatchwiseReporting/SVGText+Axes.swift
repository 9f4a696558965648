extension SVGText {
    /// The scaffolding of one plot panel: a grid line and a label at every tick of `x` and `y`
    /// (tick values mapped into `inner`), the `frame`, the x-axis title under it and the y-axis
    /// title turned upright at `yTitleX`. Tick labels carry `class="x-tick"` / `"y-tick"`.
    package mutating func axes(frame: PlotFrame, inner: PlotFrame, x: PlotAxis?, y: PlotAxis?,
                               xTitle: String, yTitle: String, yTitleX: Double) {
        typealias Style = PlotStyle
        let f = Self.pixel
        if let y {
            for (tick, label) in zip(y.ticks, y.labels) {
                guard let py = y.position(tick, from: inner.bottom, to: inner.top) else { continue }
                line(#"<line x1="\#(f(frame.left))" y1="\#(f(py))" x2="\#(f(frame.right))" y2="\#(f(py))" stroke="\#(Style.grid)" stroke-width="1"/>"#)
                text(label, x: frame.left - 8, y: py + 4, size: 11, attributes: #"text-anchor="end" fill="\#(Style.muted)" class="y-tick""#)
            }
        }
        if let x {
            for (tick, label) in zip(x.ticks, x.labels) {
                guard let px = x.position(tick, from: inner.left, to: inner.right) else { continue }
                line(#"<line x1="\#(f(px))" y1="\#(f(frame.top))" x2="\#(f(px))" y2="\#(f(frame.bottom))" stroke="\#(Style.grid)" stroke-width="1"/>"#)
                line(#"<line x1="\#(f(px))" y1="\#(f(frame.bottom))" x2="\#(f(px))" y2="\#(f(frame.bottom + 4))" stroke="\#(Style.frame)" stroke-width="1"/>"#)
                text(label, x: px, y: frame.bottom + 18, size: 11, attributes: #"text-anchor="middle" fill="\#(Style.muted)" class="x-tick""#)
            }
        }
        line(#"<rect x="\#(f(frame.left))" y="\#(f(frame.top))" width="\#(f(frame.right - frame.left))" height="\#(f(frame.bottom - frame.top))" fill="none" stroke="\#(Style.frame)" stroke-width="1"/>"#)
        text(xTitle, x: frame.midX, y: frame.bottom + 42, size: 12, attributes: #"text-anchor="middle" fill="\#(Style.ink)""#)
        text(yTitle, x: yTitleX, y: frame.midY, size: 12,
             attributes: #"text-anchor="middle" fill="\#(Style.ink)" transform="rotate(-90 \#(f(yTitleX)) \#(f(frame.midY)))""#)
    }
}
