import BatchwiseReporting

/// A finished benchmark as `batchwise bench` gives it back: a table for the terminal, its rows
/// as JSON, and a figure. ``ScalingReport`` and ``BatchSizeReport`` are the two.
public protocol BenchReport: Sendable {
    /// The figure the report draws.
    associatedtype Figure: SVGFigure

    /// The report as text for a terminal: what ran, one row per measurement, then notes.
    func table() -> String

    /// The rows as a JSON array, one object per row (keys sorted, pretty-printed).
    func json() -> String

    /// The report drawn as one SVG image, at the figure's default size.
    var figure: Figure { get }
}

extension BenchReport {
    /// Writes ``json()`` to `path` atomically (a temporary file beside it, then `rename(2)`).
    /// - Throws: `OutputFileError` naming `path` and the system's reason.
    public func writeJSON(to path: String) throws(OutputFileError) {
        try OutputFile.replace(path, with: json())
    }
}
