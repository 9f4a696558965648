import Foundation

/// An SVG document being built, line by line: the one writer behind every figure
/// (``TrainingPlot`` here, the scaling and batch-size plots of BatchwiseBench).
package struct SVGText {
    /// The document so far, one element a line.
    package private(set) var text = ""

    package init() {}

    /// Appends `s` and a newline.
    package mutating func line(_ s: String) {
        text += s
        text += "\n"
    }

    /// A `<text>` element, its content escaped for XML.
    package mutating func text(_ content: String, x: Double, y: Double, size: Int, attributes: String) {
        line(#"<text x="\#(Self.pixel(x))" y="\#(Self.pixel(y))" font-size="\#(size)" \#(attributes)>\#(Self.escape(content))</text>"#)
    }

    /// `s` with `&`, `<`, `>` and `"` written as XML entities.
    package static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// A pixel coordinate with one decimal ("123.4").
    package static func pixel(_ value: Double) -> String { String(format: "%.1f", value) }

    /// The `d` of a `<path>`: "M x y L x y … M x y …", one subpath per list of points.
    package static func pathData(_ subpaths: [[(x: Double, y: Double)]]) -> String {
        subpaths.flatMap { points in
            points.enumerated().map { "\($0.offset == 0 ? "M" : "L")\(pixel($0.element.x)) \(pixel($0.element.y))" }
        }.joined(separator: " ")
    }
}
