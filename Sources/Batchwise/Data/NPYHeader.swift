import Foundation

/// The header of an NPY file: a Python dict literal such as
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (60000, 784), }`, parsed strictly (no
/// Python is evaluated) into the element type and the shape.
///
/// Supported: little-endian (or single-byte) uint8, int8, int16, int32, int64, float32 and
/// float64 in C order. Big-endian data, Fortran order (for arrays with more than one
/// non-trivial dimension) and structured or object dtypes are refused, each saying how to
/// convert the array in numpy.
struct NPYHeader: Equatable {
    let elementType: NumericArray.ElementType
    let shape: [Int]

    /// Parses the header's dict text (the bytes after the length field, padding included).
    init(parsing text: [UInt8], file: String) throws(DataError) {
        var parser = Parser(text: text, file: file)
        let entries = try parser.dict()
        guard let descr = entries["descr"] else { throw parser.missing("descr", example: "'descr': '<f4'") }
        guard let fortranOrder = entries["fortran_order"] else { throw parser.missing("fortran_order", example: "'fortran_order': False") }
        guard let shapeValue = entries["shape"] else { throw parser.missing("shape", example: "'shape': (100, 784)") }
        guard case .string(let code) = descr else { throw parser.wrongType("descr", "a string such as '<f4'") }
        guard case .bool(let fortran) = fortranOrder else { throw parser.wrongType("fortran_order", "True or False") }
        guard case .tuple(let shape) = shapeValue else { throw parser.wrongType("shape", "a tuple such as (100, 784)") }
        guard !shape.isEmpty else {
            throw DataError(file: file, "the array is a scalar (shape ()); an array with one row per sample is expected")
        }
        // Fortran order stores the same bytes as C order when at most one dimension exceeds 1.
        guard !fortran || shape.filter({ $0 > 1 }).count <= 1 else {
            throw DataError(file: file, "Fortran-ordered arrays are not supported; save a C-ordered copy with np.save(path, np.ascontiguousarray(a))")
        }
        self.elementType = try Self.elementType(descr: code, file: file)
        self.shape = shape
    }

    /// The element type for a numpy type string such as `<f4` or `|u1`.
    static func elementType(descr: String, file: String) throws(DataError) -> NumericArray.ElementType {
        var kind = Substring(descr)
        var bigEndian = false
        if let order = kind.first, "<>|=".contains(order) {
            bigEndian = order == ">"
            kind = kind.dropFirst()
        }
        let type: NumericArray.ElementType? = switch kind {
        case "u1": .uint8
        case "i1": .int8
        case "i2": .int16
        case "i4": .int32
        case "i8": .int64
        case "f4": .float32
        case "f8": .float64
        default: nil
        }
        guard let type else {
            throw DataError(file: file, "dtype '\(descr)' is not supported; use float32, float64, uint8, int8, int16, int32 or int64 (e.g. np.save(path, a.astype(np.float32)))")
        }
        guard !bigEndian || type.size == 1 else {
            throw DataError(file: file, "big-endian data ('\(descr)') is not supported; save a little-endian copy with np.save(path, a.astype('<\(kind)'))")
        }
        return type
    }

    private enum Value: Equatable {
        case string(String)
        case bool(Bool)
        case tuple([Int])
    }

    /// A cursor over the dict text that reports where it stopped understanding it.
    private struct Parser {
        let text: [UInt8]
        let file: String
        var index = 0

        init(text: [UInt8], file: String) {
            self.text = text
            self.file = file
        }

        mutating func dict() throws(DataError) -> [String: Value] {
            var entries: [String: Value] = [:]
            try expect(UInt8(ascii: "{"))
            while true {
                skipSpace()
                if take(UInt8(ascii: "}")) { break }
                let key = try string()
                guard ["descr", "fortran_order", "shape"].contains(key) else {
                    throw DataError(file: file, "the NPY header has an unknown key '\(key)' (expected 'descr', 'fortran_order' and 'shape'): \(excerpt)")
                }
                try expect(UInt8(ascii: ":"))
                let value = try value()
                guard entries.updateValue(value, forKey: key) == nil else {
                    throw DataError(file: file, "the NPY header gives '\(key)' twice: \(excerpt)")
                }
                skipSpace()
                if take(UInt8(ascii: ",")) { continue }
                try expect(UInt8(ascii: "}"))
                break
            }
            skipSpace()
            guard index == text.count else { throw syntax("unexpected text after the closing '}'") }
            return entries
        }

        private mutating func value() throws(DataError) -> Value {
            skipSpace()
            guard index < text.count else { throw syntax("the header ends where a value is expected") }
            switch text[index] {
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                return .string(try string())
            case UInt8(ascii: "T") where word("True"):
                return .bool(true)
            case UInt8(ascii: "F") where word("False"):
                return .bool(false)
            case UInt8(ascii: "("):
                return .tuple(try tuple())
            case UInt8(ascii: "["):
                throw DataError(file: file, "structured dtypes (a list of fields) are not supported; save a plain numeric array: \(excerpt)")
            default:
                throw syntax("expected a quoted string, True, False or a tuple")
            }
        }

        private mutating func string() throws(DataError) -> String {
            skipSpace()
            guard index < text.count, text[index] == UInt8(ascii: "'") || text[index] == UInt8(ascii: "\"") else {
                throw syntax("expected a quoted key or string")
            }
            let quote = text[index]
            let start = index + 1
            guard let end = text[start...].firstIndex(of: quote) else { throw syntax("a string is not closed") }
            index = end + 1
            return String(decoding: text[start..<end], as: UTF8.self)
        }

        /// `(3, 4)`, `(3,)` or `()`; Python 2 files may write `3L`.
        private mutating func tuple() throws(DataError) -> [Int] {
            try expect(UInt8(ascii: "("))
            var sizes: [Int] = []
            while true {
                skipSpace()
                if take(UInt8(ascii: ")")) { return sizes }
                sizes.append(try integer())
                _ = take(UInt8(ascii: "L"))
                skipSpace()
                if take(UInt8(ascii: ",")) { continue }
                try expect(UInt8(ascii: ")"))
                return sizes
            }
        }

        private mutating func integer() throws(DataError) -> Int {
            if index < text.count, text[index] == UInt8(ascii: "-") {
                throw DataError(file: file, "the shape has a negative dimension; the header is corrupt: \(excerpt)")
            }
            var value = 0
            let start = index
            while index < text.count, let digit = Self.digit(text[index]) {
                let (times10, o1) = value.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(digit)
                guard !o1, !o2 else {
                    throw DataError(file: file, "a dimension of the shape is too large to count; the header is corrupt: \(excerpt)")
                }
                value = sum
                index += 1
            }
            guard index > start else { throw syntax("expected a whole number in the shape") }
            return value
        }

        private static func digit(_ byte: UInt8) -> Int? {
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) ? Int(byte - UInt8(ascii: "0")) : nil
        }

        private mutating func word(_ w: String) -> Bool {
            let bytes = Array(w.utf8)
            guard text[index...].starts(with: bytes) else { return false }
            index += bytes.count
            return true
        }

        private mutating func expect(_ byte: UInt8) throws(DataError) {
            skipSpace()
            guard take(byte) else { throw syntax("expected '\(Character(Unicode.Scalar(byte)))'") }
        }

        private mutating func take(_ byte: UInt8) -> Bool {
            guard index < text.count, text[index] == byte else { return false }
            index += 1
            return true
        }

        private mutating func skipSpace() {
            while index < text.count, [0x20, 0x0A, 0x0D, 0x09].contains(text[index]) { index += 1 }
        }

        /// The header text, shortened, for messages.
        var excerpt: String {
            var shown = String(decoding: text, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if shown.count > 120 { shown = shown.prefix(117) + "..." }
            return shown
        }

        func syntax(_ what: String) -> DataError {
            DataError(file: file, "the NPY header is not a valid dict (\(what) at character \(index + 1)): \(excerpt)")
        }

        func missing(_ key: String, example: String) -> DataError {
            DataError(file: file, "the NPY header has no '\(key)' (e.g. \(example)): \(excerpt)")
        }

        func wrongType(_ key: String, _ expected: String) -> DataError {
            DataError(file: file, "the NPY header's '\(key)' should be \(expected): \(excerpt)")
        }
    }
}
