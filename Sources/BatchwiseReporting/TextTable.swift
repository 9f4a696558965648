/// A table of text for a terminal: a title row, then one row per item, every column
/// right-aligned to its widest cell and columns two spaces apart.
///
/// The bench reports (`ScalingReport`, `BatchSizeReport`) print with it.
package struct TextTable<Row> {
    /// Each column's title and how to write its cell for a row.
    package var columns: [(title: String, cell: (Row) -> String)]

    package init(columns: [(title: String, cell: (Row) -> String)]) {
        self.columns = columns
    }

    /// The title line and one line per row. O(rows × columns).
    package func lines(_ rows: [Row]) -> [String] {
        let cells = rows.map { row in columns.map { $0.cell(row) } }
        let widths = columns.indices.map { c in max(columns[c].title.count, cells.map { $0[c].count }.max() ?? 0) }
        func line(_ texts: [String]) -> String {
            zip(texts, widths).map { String(repeating: " ", count: $1 - $0.count) + $0 }.joined(separator: "  ")
        }
        return [line(columns.map(\.title))] + cells.map(line)
    }

    /// A report as a terminal shows it: the `header` lines, a blank line, the table of `rows`, a
    /// blank line, then the `notes`; every line ends with a newline.
    package func report(header: [String], rows: [Row], notes: [String]) -> String {
        (header + [""] + lines(rows) + [""] + notes).joined(separator: "\n") + "\n"
    }
}
