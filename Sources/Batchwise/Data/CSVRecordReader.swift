/// One record (row) of a CSV file: its cells' bytes, unquoted and unescaped, and where it starts.
///
/// The cells share one byte buffer that the reader refills for every record, so reading a
/// file allocates per record only while the buffers grow.
struct CSVRecord {
    /// Every cell's bytes, one after the other.
    private(set) var bytes: [UInt8] = []
    /// Where each cell ends in `bytes` (it starts where the previous one ends).
    private(set) var ends: [Int] = []
    /// Whether each cell was quoted (a quoted cell is never trimmed).
    private(set) var quoted: [Bool] = []
    /// The 1-based line each cell starts on (a quoted cell may span lines).
    private(set) var lines: [Int] = []

    /// Cells in the record.
    var count: Int { ends.count }
    /// The line the record starts on.
    var line: Int { lines.first ?? 0 }

    /// The bytes of cell `i`.
    func cell(_ i: Int) -> ArraySlice<UInt8> { bytes[(i == 0 ? 0 : ends[i - 1])..<ends[i]] }

    /// Whether cell `i` is empty (quoted or not).
    func isEmpty(_ i: Int) -> Bool { (i == 0 ? 0 : ends[i - 1]) == ends[i] }

    /// Cell `i` as text (the file was checked to be UTF-8 before reading).
    func text(_ i: Int) -> String { String(decoding: cell(i), as: UTF8.self) }

    /// Cell `i` as a number, or nil when it is not one (or empty).
    func number(_ i: Int) -> Float? {
        let c = cell(i)
        // Short cells make small strings, which do not allocate.
        return c.isEmpty ? nil : Float(String(decoding: c, as: UTF8.self))
    }

    /// A blank line: one empty unquoted cell.
    var isBlank: Bool { count == 1 && !quoted[0] && isEmpty(0) }

    fileprivate mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        quoted.removeAll(keepingCapacity: true)
        lines.removeAll(keepingCapacity: true)
    }

    fileprivate mutating func append(_ byte: UInt8) { bytes.append(byte) }

    fileprivate mutating func trimTrailing(where isSpace: (UInt8) -> Bool) {
        let start = ends.last ?? 0
        while bytes.count > start, isSpace(bytes[bytes.count - 1]) { bytes.removeLast() }
    }

    fileprivate mutating func endCell(quoted q: Bool, line: Int) {
        ends.append(bytes.count)
        quoted.append(q)
        lines.append(line)
    }
}

/// Reads RFC 4180 records from CSV bytes: cells separated by `delimiter`, records by LF, CRLF
/// or CR; a cell in double quotes may hold delimiters, quotes (written `""`) and line breaks.
/// Spaces and tabs around a cell are dropped (unless the delimiter is one), and so are blank
/// lines. A quote inside an unquoted cell is an ordinary character, as in most readers.
struct CSVRecordReader {
    private let bytes: [UInt8]
    private var position: Int
    private var line = 1
    let delimiter: UInt8
    let name: String

    static let quote = UInt8(ascii: "\""), newline = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r")
    static let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t")

    /// A reader from `start` (past a byte-order mark) of `bytes`; `name` is used in errors.
    init(bytes: [UInt8], start: Int = 0, delimiter: UInt8, name: String) {
        self.bytes = bytes
        position = start
        self.delimiter = delimiter
        self.name = name
    }

    private func isSpace(_ b: UInt8) -> Bool { (b == Self.space || b == Self.tab) && b != delimiter }

    /// Reads the next non-blank record into `record`; false at the end of the file.
    mutating func next(into record: inout CSVRecord) throws(DataError) -> Bool {
        repeat {
            skipBlankLines()
            guard position < bytes.count else { return false }
            try readRecord(into: &record)
        } while record.isBlank
        return true
    }

    /// Skips lines of nothing but spaces and tabs (whatever the delimiter).
    private mutating func skipBlankLines() {
        var p = position
        while p < bytes.count {
            let b = bytes[p]
            if b == Self.space || b == Self.tab { p += 1; continue }
            guard b == Self.newline || b == Self.carriageReturn else { return }
            p += (b == Self.carriageReturn && p + 1 < bytes.count && bytes[p + 1] == Self.newline) ? 2 : 1
            line += 1
            position = p
        }
        position = p
    }

    private mutating func readRecord(into record: inout CSVRecord) throws(DataError) {
        record.reset()
        let n = bytes.count
        while true {
            let cellLine = line
            while position < n, isSpace(bytes[position]) { position += 1 }
            if position < n, bytes[position] == Self.quote {
                let opened = position
                position += 1
                while true {
                    guard position < n else {
                        throw DataError(file: name, line: cellLine, column: record.count + 1,
                                        "the quoted cell that starts here never closes (at byte \(opened)); a quote inside a quoted cell is written twice (\"\")")
                    }
                    let b = bytes[position]
                    if b == Self.quote {
                        if position + 1 < n, bytes[position + 1] == Self.quote {
                            record.append(Self.quote)
                            position += 2
                            continue
                        }
                        position += 1
                        break
                    }
                    if b == Self.newline || (b == Self.carriageReturn && (position + 1 == n || bytes[position + 1] != Self.newline)) {
                        line += 1
                    }
                    record.append(b)
                    position += 1
                }
                while position < n, isSpace(bytes[position]) { position += 1 }
                if position < n, bytes[position] != delimiter, bytes[position] != Self.newline, bytes[position] != Self.carriageReturn {
                    throw DataError(file: name, line: line, column: record.count + 1,
                                    "text follows the closing quote of a quoted cell; a quote inside a quoted cell is written twice (\"\")")
                }
                record.endCell(quoted: true, line: cellLine)
            } else {
                while position < n {
                    let b = bytes[position]
                    if b == delimiter || b == Self.newline || b == Self.carriageReturn { break }
                    record.append(b)
                    position += 1
                }
                record.trimTrailing(where: isSpace)
                record.endCell(quoted: false, line: cellLine)
            }
            guard position < n else { return }
            let b = bytes[position]
            position += 1
            if b == delimiter { continue }
            // A line end: LF, CRLF or a lone CR.
            if b == Self.carriageReturn, position < n, bytes[position] == Self.newline { position += 1 }
            line += 1
            return
        }
    }

    /// The delimiters told apart by `detectDelimiter`, in the order that breaks ties.
    static let candidates: [UInt8] = [UInt8(ascii: ","), UInt8(ascii: ";"), tab]

    /// The delimiter of the first records: among comma, semicolon and tab, the one that splits
    /// every one of the first 20 records into the same number (at least 2) of cells, the most
    /// numeric cells first and then the most cells; a comma when none does.
    static func detectDelimiter(_ bytes: [UInt8], start: Int) -> UInt8 {
        var best: (delimiter: UInt8, numeric: Int, cells: Int)? = nil
        for candidate in candidates {
            var reader = CSVRecordReader(bytes: bytes, start: start, delimiter: candidate, name: "")
            var record = CSVRecord()
            var cells: Int? = nil, numeric = 0, consistent = true
            for _ in 0..<20 {
                guard let more = try? reader.next(into: &record) else { consistent = false; break }
                if !more { break }
                if cells == nil { cells = record.count } else if cells != record.count { consistent = false; break }
                for i in 0..<record.count where record.number(i) != nil { numeric += 1 }
            }
            guard consistent, let cells, cells >= 2 else { continue }
            if best == nil || (numeric, cells) > (best!.numeric, best!.cells) { best = (candidate, numeric, cells) }
        }
        return best?.delimiter ?? candidates[0]
    }
}
