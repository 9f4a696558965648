/// The colours every figure draws with: plain SVG colour values, so browsers and
/// `rsvg-convert` render them alike.
package enum PlotStyle {
    /// The background, the text, secondary text, grid lines and panel frames.
    package static let paper = "#ffffff", ink = "#111827", muted = "#4b5563", grid = "#e5e7eb", frame = "#9ca3af"
    /// The main curve (training, measured), a second one (validation, the noise scale), a
    /// reference line (ideal scaling) and a mark for what failed (a target not reached).
    package static let primary = "#2563eb", secondary = "#ea580c", reference = "#6b7280", alert = "#dc2626"
}
