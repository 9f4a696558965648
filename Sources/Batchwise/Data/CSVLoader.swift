import Foundation

/// Reads a CSV file into a `Dataset`: one sample per row, one column holding the label.
///
/// The file is RFC 4180 text (see `CSVRecordReader`): quoted cells, `""` escapes, delimiters
/// and line breaks inside quotes, LF or CRLF line ends, a UTF-8 byte-order mark. The delimiter
/// is given or detected (comma, semicolon or tab). A header row is given or detected: a first
/// row with a cell that is not a number is a header, and so is a row of numbers that is a header
/// written by pandas (its column numbers 0, 1, 2, … — taken as a header only when they do not
/// fit the data below them). Class labels are class numbers 0, 1, 2, … or names (sorted, and
/// numbered in that order). Every problem is reported with the file, line and column, and
/// nothing is returned half-read.
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

    /// A column to leave out: by 0-based index or by header name.
    public enum Column: Sendable, Equatable, Hashable {
        /// The column at this 0-based index.
        case index(Int)
        /// The column whose header cell is this name.
        case name(String)

        /// A 0-based column number, or else a header name.
        public init(parsing text: String) {
            if let i = Int(text) { self = .index(i) } else { self = .name(text) }
        }

        /// Parses a comma-separated list of columns (`id,0,Unnamed: 0`).
        public static func list(parsing text: String) -> [Column] {
            text.split(separator: ",").map { Column(parsing: $0.trimmingCharacters(in: .whitespaces)) }
        }
    }

    /// Which column holds the label; `.none` for data without labels.
    public var label: LabelColumn
    /// nil: detect; true/false: the first row is / is not a header.
    public var header: Bool?
    /// True when labels are class indices (cross-entropy): class numbers or class names.
    public var classification: Bool
    /// The byte between cells; nil to detect comma, semicolon or tab.
    public var delimiter: UInt8?
    /// Columns to leave out (ids, a pandas index).
    public var drop: [Column]
    /// The classes of a model that already exists (a test file, `eval`, a resumed run): label
    /// names map to their place in this list, and a name not in it is an error. nil: the names
    /// found, sorted.
    public var classNames: [String]?
    /// Reads the label column only to tell a header from a sample, and returns zero targets
    /// (prediction data that still has its labels).
    var ignoresLabels = false

    /// A loader with the given label column, header detection and label kind.
    public init(label: LabelColumn = .last, header: Bool? = nil, classification: Bool = true,
                delimiter: UInt8? = nil, drop: [Column] = [], classNames: [String]? = nil) {
        self.label = label
        self.header = header
        self.classification = classification
        self.delimiter = delimiter
        self.drop = drop
        self.classNames = classNames
    }

    /// Parses `--delimiter`: one character (`,` `;` `|`), or `tab`, `\t`, `comma`, `semicolon`,
    /// `pipe`, `space`. Characters that can be part of a number or a quoted cell are refused.
    public static func delimiter(parsing text: String) throws(ConfigurationError) -> UInt8 {
        let named: [String: String] = ["tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|", "space": " "]
        let value = named[text.lowercased()] ?? text
        guard value.utf8.count == 1, let byte = value.utf8.first, byte < 0x80,
              !"0123456789.+-eE\"\r\n".utf8.contains(byte) else {
            throw ConfigurationError("\(parameter: "delimiter") must be one character such as , ; | or tab, and not part of a number or a quote (got '\(text)')")
        }
        return byte
    }

    /// Reads the file at `path`, gzip-compressed or not.
    public func load(path: String) throws(DataError) -> Dataset {
        try parse(DataFile.read(path: path), name: path)
    }

    /// Parses CSV text already in memory; `name` is used in errors.
    public func parse(_ data: Data, name: String) throws(DataError) -> Dataset {
        try read(data, name: name).dataset
    }

    /// Parses CSV text already in memory, saying what it found and chose; `name` is used in errors.
    public func read(_ data: Data, name: String) throws(DataError) -> (dataset: Dataset, report: CSVReport) {
        let bytes = [UInt8](data)
        let start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        if bytes.contains(where: { $0 >= 0x80 }), String(bytes: bytes, encoding: .utf8) == nil {
            throw DataError(file: name, "the file is not UTF-8 text; a CSV of numbers is expected")
        }
        let delimiter = self.delimiter ?? CSVRecordReader.detectDelimiter(bytes, start: start)
        var reader = CSVRecordReader(bytes: bytes, start: start, delimiter: delimiter, name: name)
        var first = CSVRecord()
        guard try reader.next(into: &first) else {
            throw DataError(file: name, "the file is empty; a CSV with one sample per row is expected")
        }
        var table = try CSVTable(first: first, loader: self, delimiter: delimiter, name: name)
        var record = CSVRecord()
        while try reader.next(into: &record) { try table.add(record) }
        return try table.finish(detected: self.delimiter == nil)
    }

    /// The number of columns of the file's first record and its cells, for `loadFeatures`.
    func firstRecord(_ data: Data, name: String) throws(DataError) -> [String] {
        let bytes = [UInt8](data)
        let start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var reader = CSVRecordReader(bytes: bytes, start: start,
                                     delimiter: delimiter ?? CSVRecordReader.detectDelimiter(bytes, start: start), name: name)
        var first = CSVRecord()
        guard try reader.next(into: &first) else { return [] }
        return (0..<first.count).map(first.text)
    }
}
