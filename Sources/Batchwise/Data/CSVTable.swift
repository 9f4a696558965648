/// The samples of a CSV file as `CSVLoader` collects them, record by record: the columns
/// resolved from the first record, the features parsed as they come, the labels kept as text
/// until the whole column has been seen (class numbers, or class names), and the header
/// question settled against the rows below when the first record alone cannot settle it.
struct CSVTable {
    /// An automatic header decision the first record leaves open.
    private enum Pending {
        /// Row 1 is pandas' column numbers 0, 1, 2, … or a sample: a header when some of those
        /// numbers lie outside their column's range in the rows below.
        case positions
        /// Row 1's only text is its label cell: a sample when that text is one of the class
        /// names of the rows below, else a header.
        case labelName(String)
    }

    private let loader: CSVLoader
    private let name: String
    private let first: CSVRecord
    private let columnCount: Int
    private let delimiter: UInt8
    private let labelIndex: Int?
    /// Per column: whether it is a feature (neither the label nor dropped).
    private let isFeature: [Bool]
    private let dropped: [Int]
    private var header: Bool?
    private var headerReason: String?
    private var pending: Pending?

    private var features: [Float] = []
    private var targets: [Float] = []
    private var labelTexts: [String] = []
    private var labelLines: [Int] = []
    private var rows = 0

    private var featureWidth: Int { isFeature.lazy.filter { $0 }.count }

    init(first: CSVRecord, loader: CSVLoader, delimiter: UInt8, name: String) throws(DataError) {
        self.loader = loader
        self.delimiter = delimiter
        self.name = name
        self.first = first
        let n = first.count
        columnCount = n
        guard n >= (loader.label == .none ? 1 : 2) else {
            throw DataError(file: name, line: first.line, "a row has \(n) column; at least one feature and one label column are needed")
        }
        let texts = (0..<n).map(first.text)
        let isText = (0..<n).map { !first.isEmpty($0) && first.number($0) == nil }
        var header = loader.header
        // A name (of the label or of a column to drop) needs a header.
        func column(named wanted: String, purpose: String) throws(DataError) -> Int {
            guard header != false, isText.contains(true) else {
                throw DataError(file: name, "\(purpose) '\(wanted)' is a name but the file has no header row; give a column number instead")
            }
            guard let i = texts.firstIndex(of: wanted) else {
                throw DataError(file: name, line: first.line, "no column named '\(wanted)' in the header (columns: \(texts.joined(separator: ", ")))")
            }
            header = true
            return i
        }
        let labelIndex: Int?
        switch loader.label {
        case .none: labelIndex = nil
        case .last: labelIndex = n - 1
        case .index(let i):
            guard i >= 0 && i < n else {
                if i < 0 {
                    throw DataError(file: name, "label column \(i) does not exist: the file has columns 0…\(n - 1); columns are numbered from 0, and the last one is the label unless \(parameter: "labelColumn") names another")
                }
                throw DataError(file: name, "label column \(i) does not exist: the file has columns 0…\(n - 1)")
            }
            labelIndex = i
        case .name(let wanted): labelIndex = try column(named: wanted, purpose: "label column")
        }
        var dropped: [Int] = []
        for entry in loader.drop {
            let i: Int
            switch entry {
            case .index(let k):
                guard k >= 0 && k < n else {
                    throw DataError(file: name, "\(parameter: "drop") names column \(k), which does not exist: the file has columns 0…\(n - 1)")
                }
                i = k
            case .name(let wanted): i = try column(named: wanted, purpose: "the column to drop")
            }
            guard i != labelIndex else {
                throw DataError(file: name, "\(parameter: "drop") names column \(i), the label column; choose the label with \(parameter: "labelColumn") and drop only other columns")
            }
            if !dropped.contains(i) { dropped.append(i) }
        }
        self.labelIndex = labelIndex
        self.dropped = dropped.sorted()
        let isFeature = (0..<n).map { $0 != labelIndex && !dropped.contains($0) }
        self.isFeature = isFeature
        guard isFeature.contains(true) else {
            throw DataError(file: name, "no feature column is left once \(parameter: "drop") and the label column are taken out")
        }
        if header == nil {
            let positions = n >= 2 && (0..<n).allSatisfy { texts[$0] == String($0) }
            let indexAndPositions = n >= 2 && texts[0].isEmpty && !first.quoted[0] && (1..<n).allSatisfy { texts[$0] == String($0 - 1) }
            let textOutsideLabel = (0..<n).contains { isText[$0] && $0 != labelIndex }
            if textOutsideLabel {
                header = true
                headerReason = "row 1 holds names"
            } else if let l = labelIndex, isText[l], loader.classification {
                pending = .labelName(texts[l])
            } else if isText.contains(true) {
                header = true
                headerReason = "row 1 holds names"
            } else if indexAndPositions {
                header = true
                headerReason = "row 1 is the header pandas writes for an unnamed index and columns 0, 1, 2, …"
            } else if positions {
                pending = .positions
            } else {
                header = false
                headerReason = "row 1 is numbers like the rows below"
            }
        }
        self.header = header
        if header == false { try add(first) }
    }

    /// Parses one record's cells into the table.
    mutating func add(_ record: CSVRecord) throws(DataError) {
        guard record.count == columnCount else {
            throw DataError(file: name, line: record.line, "the row has \(record.count) cells but the first row has \(columnCount); every row needs the same number of columns")
        }
        for c in 0..<columnCount {
            if isFeature[c] {
                features.append(try number(record, c))
            } else if c == labelIndex {
                if loader.classification {
                    if loader.ignoresLabels {
                        labelTexts.append(record.text(c))
                        continue
                    }
                    if record.isEmpty(c) {
                        throw DataError(file: name, line: record.lines[c], column: c + 1, "the label is empty; every sample needs its class")
                    }
                    if let v = record.number(c), !v.isFinite {
                        throw DataError(file: name, line: record.lines[c], column: c + 1, "'\(record.text(c))' is not a finite number; remove or impute NaN and infinite values first")
                    }
                    labelTexts.append(record.text(c))
                    labelLines.append(record.lines[c])
                } else {
                    targets.append(try number(record, c))
                }
            }
        }
        rows += 1
    }

    private func number(_ record: CSVRecord, _ c: Int) throws(DataError) -> Float {
        guard let value = record.number(c) else {
            if record.isEmpty(c) {
                throw DataError(file: name, line: record.lines[c], column: c + 1, "the cell is empty; a number is expected")
            }
            throw DataError(file: name, line: record.lines[c], column: c + 1, notANumber(record.text(c)))
        }
        guard value.isFinite else {
            throw DataError(file: name, line: record.lines[c], column: c + 1, "'\(record.text(c))' is not a finite number; remove or impute NaN and infinite values first")
        }
        return value
    }

    /// "'x' is not a number", with a hint when the cell looks like another delimiter's cells.
    private func notANumber(_ cell: String) -> ErrorText {
        if loader.delimiter == nil,
           let other = CSVRecordReader.candidates.first(where: { $0 != delimiter && cell.utf8.contains($0) }) {
            let shown = other == CSVRecordReader.tab ? "tab" : String(UnicodeScalar(other))
            if other == UInt8(ascii: ","), cell.wholeMatch(of: /-?[0-9]+,[0-9]+/) != nil {
                return "'\(cell)' is not a number: decimal commas are not read; write \(cell.replacingOccurrences(of: ",", with: "."))"
            }
            return "'\(cell)' is not a number; if the file's cells are separated by \(shown), give \(parameter: "delimiter", value: shown)"
        }
        return "'\(cell)' is not a number"
    }

    /// The dataset and the report, once every record has been added.
    mutating func finish(detected: Bool) throws(DataError) -> (dataset: Dataset, report: CSVReport) {
        if let pending {
            header = try decideHeader(pending)
            if header == false {
                // Row 1 is a sample after all: it goes first.
                let (f, t, l, ll, r) = (features, targets, labelTexts, labelLines, rows)
                (features, targets, labelTexts, labelLines, rows) = ([], [], [], [], 0)
                try add(first)
                features += f; targets += t; labelTexts += l; labelLines += ll; rows += r
            }
        }
        let hasHeader = header ?? false
        guard rows > 0 else { throw DataError(file: name, "the file has a header but no data rows") }
        var classCount: Int? = nil
        var classNames: [String]? = nil
        if labelIndex != nil, loader.classification, !loader.ignoresLabels {
            (targets, classCount, classNames) = try classLabels()
        }
        if labelIndex == nil || loader.ignoresLabels { targets = Array(repeating: 0, count: rows) }
        let columnNames = hasHeader ? (0..<columnCount).map(first.text) : nil
        var report = CSVReport(delimiter: delimiter, delimiterDetected: detected, header: hasHeader, headerReason: headerReason,
                               columnNames: columnNames, labelColumn: labelIndex, droppedColumns: dropped,
                               classNames: classNames, warnings: [])
        if isFeature[0] {
            let width = featureWidth
            let counts = rows >= 3 && (0..<rows).allSatisfy { features[$0 * width] == Float($0) }
            let unnamed = columnNames.map { $0[0].isEmpty || $0[0].hasPrefix("Unnamed: 0") } ?? false
            if counts || unnamed {
                report.warnings.append("\(report.describeColumn(0)) \(counts ? "counts 0, 1, 2, …" : "is an unnamed column"): it looks like the row index pandas' to_csv writes unless index=False, and it would be trained on as a feature; leave it out with \(parameter: "drop", value: "0")")
            }
        }
        let dataset = Dataset(name: name, features: features, targets: targets, featureWidth: featureWidth,
                              targetWidth: 1, classCount: classCount, classNames: classNames)
        return (dataset, report)
    }

    private mutating func decideHeader(_ pending: Pending) throws(DataError) -> Bool {
        switch pending {
        case .labelName(let text):
            let names = labelTexts.contains { Float($0) == nil }
            if names && labelTexts.contains(text) {
                headerReason = "row 1 is a sample: its label '\(text)' is a class of the rows below"
                return false
            }
            headerReason = "row 1 holds names"
            return true
        case .positions:
            // A sample lies within the ranges of the samples below; pandas' column numbers
            // 0, 1, 2, … seldom all do.
            let width = featureWidth
            var feature = 0
            for c in 0..<columnCount {
                let value = Float(c)
                var values: [Float]
                if isFeature[c] {
                    values = stride(from: feature, to: features.count, by: width).map { features[$0] }
                    feature += 1
                } else if c == labelIndex {
                    if loader.classification {
                        let numbers = labelTexts.compactMap(Float.init)
                        if numbers.count < labelTexts.count { values = [] } else { values = numbers }
                    } else {
                        values = targets
                    }
                } else {
                    continue
                }
                guard let lo = values.min(), let hi = values.max(), value >= lo && value <= hi else {
                    headerReason = "row 1 is 0, 1, 2, …, pandas' column numbers, and lies outside the rows below"
                    return true
                }
            }
            headerReason = "row 1 reads 0, 1, 2, … but lies within the ranges of the rows below, so it is a sample"
            return false
        }
    }

    /// Class numbers, or names mapped to their place in the sorted names (or in the loader's
    /// `classNames`).
    private func classLabels() throws(DataError) -> (targets: [Float], classCount: Int, names: [String]?) {
        let column = labelIndex! + 1
        if let known = loader.classNames {
            let index = Dictionary(known.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
            var targets = [Float](repeating: 0, count: rows)
            for (r, text) in labelTexts.enumerated() {
                guard let k = index[text] else {
                    throw DataError(file: name, line: labelLines[r], column: column, "label '\(text)' is not one of the \(known.count) classes of the training data (\(Self.list(known))); a model cannot predict a class it never saw")
                }
                targets[r] = Float(k)
            }
            return (targets, known.count, known)
        }
        let values = labelTexts.map { Float($0) }
        if let r = values.firstIndex(where: { $0 == nil }) {
            if let n = values.firstIndex(where: { $0 != nil }) {
                throw DataError(file: name, line: labelLines[r], column: column, "the label column mixes class names ('\(labelTexts[r])' here) and numbers ('\(labelTexts[n])' on line \(labelLines[n])); make every label a name or every label a class number")
            }
            let names = Set(labelTexts).sorted()
            let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
            return (labelTexts.map { Float(index[$0]!) }, names.count, names)
        }
        var targets = [Float](repeating: 0, count: rows)
        for (r, v) in values.enumerated() {
            let value = v!
            if value < 0 || value != value.rounded() || value > 1_000_000 {
                throw DataError(file: name, line: labelLines[r], column: column, "label '\(labelTexts[r])' is not a class number (an integer 0, 1, 2, …); use \(parameter: "loss", value: "mse") or l1 for regression targets")
            }
            targets[r] = value
        }
        return (targets, Int(targets.max() ?? 0) + 1, nil)
    }

    private static func list(_ names: [String]) -> String {
        names.prefix(10).joined(separator: ", ") + (names.count > 10 ? ", …" : "")
    }
}
