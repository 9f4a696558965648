import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// The elements of an SVG document, parsed by Foundation's XMLParser (which fails on
/// anything that is not well-formed XML).
package final class SVGElements: NSObject, XMLParserDelegate {
    package struct Element {
        package let name: String
        package let attributes: [String: String]
        package var text = ""
        package let parents: [String]
    }
    package var all: [Element] = []
    private var open: [Int] = []

    package init(_ svg: String) throws {
        super.init()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = self
        try #require(parser.parse(), "not well-formed: \(String(describing: parser.parserError))")
    }

    package func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                        attributes: [String: String] = [:]) {
        let parents = open.compactMap { all[$0].attributes["id"] }
        all.append(Element(name: name, attributes: attributes, parents: parents))
        open.append(all.count - 1)
    }

    package func parser(_ parser: XMLParser, foundCharacters string: String) {
        if let last = open.last { all[last].text += string }
    }

    package func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        open.removeLast()
    }

    package func element(id: String) -> Element? { all.first { $0.attributes["id"] == id } }

    /// The (x, y) points of a path's `M`/`L` commands, one array per subpath.
    package func subpaths(_ id: String) throws -> [[(Double, Double)]] {
        let d = try #require(element(id: id)?.attributes["d"])
        var result: [[(Double, Double)]] = []
        let words = d.split(separator: " ")
        for i in stride(from: 0, to: words.count, by: 2) {
            let point = (Double(words[i].dropFirst())!, Double(words[i + 1])!)
            if words[i].first == "M" { result.append([point]) } else { result[result.count - 1].append(point) }
        }
        return result
    }

    package func tickLabels(_ kind: String, panel: String) -> [String] {
        all.filter { $0.attributes["class"] == kind && $0.parents.contains("\(panel)-panel") }.map(\.text)
    }
}
