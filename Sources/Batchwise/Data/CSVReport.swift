/// What `CSVLoader` found out about a file and chose for it: the delimiter, whether the first
/// row is a header and why, the label and dropped columns, the class names, and the doubts a
/// person should hear about (such as an index column written by pandas).
public struct CSVReport: Sendable, Equatable {
    /// The byte that separates cells.
    public var delimiter: UInt8
    /// Whether `delimiter` was detected rather than given.
    public var delimiterDetected: Bool
    /// Whether the first row was taken as a header.
    public var header: Bool
    /// Why, when it was decided by looking at the file (nil when it was given).
    public var headerReason: String?
    /// The header's cells, when there is a header.
    public var columnNames: [String]?
    /// The 0-based label column; nil for a file without labels.
    public var labelColumn: Int?
    /// The 0-based columns left out.
    public var droppedColumns: [Int]
    /// The class names, when the labels are names rather than class numbers.
    public var classNames: [String]?
    /// Things that may be wrong with the file, worded as advice naming the loader's parameters.
    public var warnings: [ErrorText]

    /// A column as a person refers to it: `'name' (column 3)` with a header, else `column 3`.
    public func describeColumn(_ index: Int) -> String {
        if let name = columnNames?[index], !name.isEmpty { return "'\(name)' (column \(index))" }
        return "column \(index)"
    }

    /// The delimiter as it is written on a command line: `,`, `;`, `tab`, or the character.
    public var delimiterName: String {
        switch delimiter {
        case UInt8(ascii: "\t"): "tab"
        case UInt8(ascii: " "): "space"
        default: String(UnicodeScalar(delimiter))
        }
    }

    /// One line on what was read: `';'-separated (detected), header row (auto: …), label …`.
    public var summary: ErrorText {
        var text: ErrorText.StringInterpolation = .init(literalCapacity: 0, interpolationCount: 0)
        if delimiterDetected && delimiter == UInt8(ascii: ",") {
            text.appendLiteral("comma-separated")
        } else {
            text.appendLiteral("'\(delimiterName)'-separated")
            if delimiterDetected {
                text.appendLiteral(" (detected; set it with ")
                text.appendInterpolation(parameter: "delimiter")
                text.appendLiteral(")")
            }
        }
        text.appendLiteral(header ? ", header row" : ", no header row")
        if let headerReason {
            text.appendLiteral(" (auto: \(headerReason); set it with ")
            text.appendInterpolation(parameter: "header")
            text.appendLiteral(")")
        }
        if let labelColumn { text.appendLiteral(", label \(describeColumn(labelColumn))") }
        if let classNames {
            let shown = classNames.prefix(8).joined(separator: ", ") + (classNames.count > 8 ? ", …" : "")
            text.appendLiteral(", \(classNames.count) classes named \(shown)")
        }
        if !droppedColumns.isEmpty {
            text.appendLiteral(", dropped " + droppedColumns.map(describeColumn).joined(separator: ", "))
        }
        return ErrorText(stringInterpolation: text)
    }
}
