import Foundation

/// How the bench reports write their rows as JSON: one array, one object per row, keys sorted,
/// pretty-printed, slashes not escaped, a newline at the end.
enum ReportJSON {
    /// `rows` as that JSON text. The rows must hold only finite numbers (or nil): every report
    /// checks this when it is made, so encoding cannot fail.
    static func array<Row: Encodable>(_ rows: [Row]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try! encoder.encode(rows)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
