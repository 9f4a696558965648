/// A figure Batchwise draws as SVG: the training curves, the scaling and batch-size plots.
public protocol SVGFigure {
    /// The whole SVG 1.1 document.
    func svg() -> String
}

extension SVGFigure {
    /// Writes ``svg()`` to `path` atomically (a temporary file beside it, then `rename(2)`).
    public func write(to path: String) throws(OutputFileError) {
        try OutputFile.replace(path, with: svg())
    }
}
