/// A rectangle of a figure in pixels (y grows downwards): a panel's frame, or the area inside
/// it that data are mapped into.
package struct PlotFrame {
    package let left, top, right, bottom: Double

    package init(left: Double, top: Double, right: Double, bottom: Double) {
        self.left = left
        self.top = top
        self.right = right
        self.bottom = bottom
    }

    package var midX: Double { (left + right) / 2 }
    package var midY: Double { (top + bottom) / 2 }

    /// The frame shrunk by `inset` on every side, and by `extraTop` more at the top.
    package func inset(by inset: Double, extraTop: Double = 0) -> PlotFrame {
        PlotFrame(left: left + inset, top: top + inset + extraTop, right: right - inset, bottom: bottom - inset)
    }

    /// The `text-anchor` of a label at `x` inside this frame: `start` or `end` at its edges (so
    /// the label stays inside), else `middle`.
    package func anchor(atX x: Double) -> String {
        x <= left + 1 ? "start" : x >= right - 1 ? "end" : "middle"
    }

    /// Side-by-side panels of a `width` × `height` figure: `count` equal slots between margins of
    /// 16 (left) and 24 (right) pixels, 40 apart; in each, the frame leaves 62 pixels on the left
    /// for the tick labels and the y-axis title, and runs from `top` to `bottomInset` above the
    /// figure's bottom. Returns each slot's left edge and the frame, left to right.
    package static func panels(_ count: Int, width: Int, height: Int, top: Double, bottomInset: Double)
        -> [(slotLeft: Double, frame: PlotFrame)] {
        let outerLeft = 16.0, outerRight = 24.0, gap = 40.0, yLabelWidth = 62.0
        let slotWidth = (Double(width) - outerLeft - outerRight - Double(count - 1) * gap) / Double(count)
        return (0..<count).map { index in
            let left = outerLeft + Double(index) * (slotWidth + gap)
            return (left, PlotFrame(left: left + yLabelWidth, top: top, right: left + slotWidth, bottom: Double(height) - bottomInset))
        }
    }
}
