import Foundation

/// Reads a numeric CSV file into a `Dataset`: one sample per row, one column holding the label.
///
/// Cells are numbers separated by commas (spaces around them and CRLF line ends are fine).
/// A header row is detected when the first row has a cell that is not a number, or forced
/// with `header`. Every problem is reported with the file, line and column, and nothing is
/// returned half-read.
public struct CSVLoader: Sendable {
    /// Which column holds the label (target).
    public enum LabelColumn: Sendable, Equatable {
        /// The last column (the default).
        case last
        /// No label column: every column is a feature (data to predict on); targets are 0.
        case none
        /// The column at this 0-based index.
        case index(Int)      // 0-based
        /// The column whose header cell is this name; the file needs a header row.
        case name(String)    // needs a header

        /// Parses `--label`: a header name, or a 0-based column number.
        public init(parsing text: String) {
            if let i = Int(text) { self = .index(i) } else { self = .name(text) }
        }
    }

    /// Which column holds the label; `.none` for data without labels.
    public var label: LabelColumn
    /// nil: detect; true/false: the first row is / is not a header.
    public var header: Bool?
    /// True when labels are class indices (cross-entropy): they must be integers ≥ 0.
    public var classification: Bool

    /// A loader with the given label column, header detection and label kind.
    public init(label: LabelColumn = .last, header: Bool? = nil, classification: Bool = true) {
        self.label = label
        self.header = header
        self.classification = classification
    }

    /// Reads the file at `path`, gzip-compressed or not.
    public func load(path: String) throws(DataError) -> Dataset {
        try parse(DataFile.read(path: path), name: path)
    }

    /// Parses CSV text already in memory; `name` is used in errors.
    public func parse(_ data: Data, name: String) throws(DataError) -> Dataset {
        guard let text = String(data: data, encoding: .utf8) else {
            throw DataError(file: name, "the file is not UTF-8 text; a CSV of numbers is expected")
        }
        var lines: [(number: Int, cells: [Substring])] = []
        var number = 0
        // "\r\n" is one Character in Swift, so split on either form of line end.
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            number += 1
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            lines.append((number, line.split(separator: ",", omittingEmptySubsequences: false).map(Self.trim)))
        }
        guard let first = lines.first else {
            throw DataError(file: name, "the file is empty; a CSV with one sample per row is expected")
        }
        // A header has a cell that is text; an empty cell is a data error, not a header.
        let hasHeader = header ?? first.cells.contains { !$0.isEmpty && Float($0) == nil }
        let columnCount = first.cells.count
        guard columnCount >= (label == .none ? 1 : 2) else {
            throw DataError(file: name, line: first.number, "a row has \(columnCount) column; at least one feature and one label column are needed")
        }
        let labelIndex: Int
        switch label {
        case .none: labelIndex = -1
        case .last: labelIndex = columnCount - 1
        case .index(let i):
            guard i >= 0 && i < columnCount else {
                throw DataError(file: name, "label column \(i) does not exist: the file has columns 0…\(columnCount - 1)")
            }
            labelIndex = i
        case .name(let wanted):
            guard hasHeader else {
                throw DataError(file: name, "label column '\(wanted)' is a name but the file has no header row; give a column number instead")
            }
            guard let i = first.cells.firstIndex(where: { $0 == wanted }) else {
                throw DataError(file: name, line: first.number, "no column named '\(wanted)' in the header (columns: \(first.cells.joined(separator: ", ")))")
            }
            labelIndex = i
        }
        let rows = hasHeader ? lines.dropFirst() : lines[...]
        guard !rows.isEmpty else {
            throw DataError(file: name, "the file has a header but no data rows")
        }
        var features: [Float] = []
        var targets: [Float] = []
        features.reserveCapacity(rows.count * (columnCount - 1))
        targets.reserveCapacity(rows.count)
        for row in rows {
            guard row.cells.count == columnCount else {
                throw DataError(file: name, line: row.number, "the row has \(row.cells.count) cells but the first row has \(columnCount); every row needs the same number of columns")
            }
            for (c, cell) in row.cells.enumerated() {
                guard let value = Float(cell) else {
                    throw DataError(file: name, line: row.number, column: c + 1, cell.isEmpty ? "the cell is empty; a number is expected" : "'\(cell)' is not a number")
                }
                guard value.isFinite else {
                    throw DataError(file: name, line: row.number, column: c + 1, "'\(cell)' is not a finite number; remove or impute NaN and infinite values first")
                }
                if c == labelIndex {
                    if classification, value < 0 || value != value.rounded() || value > 1_000_000 {
                        throw DataError(file: name, line: row.number, column: c + 1, "label '\(cell)' is not a class number (an integer 0, 1, 2, …); use \(parameter: "loss", value: "mse") or l1 for regression targets")
                    }
                    targets.append(value)
                } else {
                    features.append(value)
                }
            }
        }
        if labelIndex < 0 {
            return Dataset(name: name, features: features, targets: Array(repeating: 0, count: rows.count),
                           featureWidth: columnCount, targetWidth: 1, classCount: nil)
        }
        let classCount = classification ? Int(targets.max() ?? 0) + 1 : nil
        return Dataset(name: name, features: features, targets: targets, featureWidth: columnCount - 1,
                       targetWidth: 1, classCount: classCount)
    }

    private static func trim(_ s: Substring) -> Substring {
        var t = s.drop { $0 == " " || $0 == "\t" }
        while let last = t.last, last == " " || last == "\t" { t = t.dropLast() }
        if t.count >= 2, t.first == "\"", t.last == "\"" { t = t.dropFirst().dropLast() }
        return t
    }
}
