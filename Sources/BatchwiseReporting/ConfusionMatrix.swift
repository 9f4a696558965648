import Foundation

/// Counts of (true class, predicted class) pairs of a classifier on labelled data, with the
/// per-class precision, recall and F1 they imply and a rendering that fits a terminal's width.
public struct ConfusionMatrix: Sendable, Equatable {
    /// `counts[t][p]`: samples of true class `t` predicted as class `p`; `classCount` × `classCount`.
    public private(set) var counts: [[Int]]

    /// An empty matrix of `classCount` classes.
    public init(classCount: Int) {
        precondition(classCount >= 1)
        counts = [[Int]](repeating: [Int](repeating: 0, count: classCount), count: classCount)
    }

    /// The number of classes (rows and columns).
    public var classCount: Int { counts.count }

    /// Counts one sample of class `actual` predicted as `predicted`.
    public mutating func add(actual: Int, predicted: Int) { counts[actual][predicted] += 1 }

    /// Precision, recall and F1 of one class, and its support (samples of that class).
    public struct ClassScores: Sendable, Equatable {
        /// TP / (TP + FP); nil when the class was never predicted.
        public var precision: Double?
        /// TP / support; nil when the data holds no sample of the class.
        public var recall: Double?
        /// The harmonic mean 2PR / (P + R), 0 when both are 0; nil when either is nil
        /// (except a class present but never predicted, whose precision and F1 count as 0).
        public var f1: Double?
        /// Samples whose true class is this one.
        public var support: Int
    }

    /// The scores of class `c` (one-vs-rest).
    public func scores(of c: Int) -> ClassScores {
        let tp = counts[c][c]
        let support = counts[c].reduce(0, +)
        let predicted = counts.reduce(0) { $0 + $1[c] }
        let recall = support > 0 ? Double(tp) / Double(support) : nil
        // A class that is present but never predicted has precision 0, as scikit-learn reports it.
        let precision = predicted > 0 ? Double(tp) / Double(predicted) : (support > 0 ? 0 : nil)
        var f1: Double? = nil
        if let p = precision, let r = recall { f1 = p + r > 0 ? 2 * p * r / (p + r) : 0 }
        return ClassScores(precision: precision, recall: recall, f1: f1, support: support)
    }

    /// The unweighted means of the scores over the classes the data holds (support > 0).
    public var macroAverage: (precision: Double, recall: Double, f1: Double) {
        let present = (0..<classCount).map(scores).filter { $0.support > 0 }
        func mean(_ v: (ClassScores) -> Double?) -> Double {
            present.isEmpty ? 0 : present.reduce(0) { $0 + (v($1) ?? 0) } / Double(present.count)
        }
        return (mean(\.precision), mean(\.recall), mean(\.f1))
    }

    /// The per-class table: a header, one line per class, and the macro average; a score that
    /// is not defined is shown as "-".
    public func scoreTable(names: [String]) -> [String] {
        let nameWidth = max(names.map(\.count).max() ?? 1, "macro avg".count)
        func pad(_ s: String, _ w: Int, left: Bool = false) -> String {
            let fill = String(repeating: " ", count: max(0, w - s.count))
            return left ? s + fill : fill + s
        }
        func score(_ x: Double?) -> String { pad(x.map { String(format: "%.4f", $0) } ?? "-", 10) }
        var lines = [pad("class", nameWidth, left: true) + pad("precision", 10) + pad("recall", 10) + pad("f1", 10) + pad("support", 10)]
        for c in 0..<classCount {
            let s = scores(of: c)
            lines.append(pad(names[c], nameWidth, left: true) + score(s.precision) + score(s.recall) + score(s.f1) + pad(String(s.support), 10))
        }
        let m = macroAverage
        let total = counts.reduce(0) { $0 + $1.reduce(0, +) }
        lines.append(pad("macro avg", nameWidth, left: true) + score(m.precision) + score(m.recall) + score(m.f1) + pad(String(total), 10))
        return lines
    }

    /// The matrix as text lines (rows: true class, columns: predicted), each at most `width`
    /// characters when it can be. A matrix wider than that shows its first classes and sums
    /// the others into one row and one column headed "…", so every row still adds up; the
    /// second result says how many classes are shown (all of them when it fits).
    public func rendered(names: [String], width: Int) -> (lines: [String], shownClasses: Int) {
        let k = classCount
        let largest = counts.reduce(0) { $0 + $1.reduce(0, +) }
        func cellWidth(_ labels: [String]) -> Int { max(String(largest).count, labels.map(\.count).max() ?? 1) + 1 }
        var shown = k
        var labels = names
        var w = cellWidth(labels)
        if w * (k + 1) + 1 > width {
            // Long names are cut to 8 characters, then as many classes as fit are kept.
            labels = names.map { $0.count > 8 ? String($0.prefix(7)) + "…" : $0 }
            w = cellWidth(labels)
            shown = min(k, max(1, (width - 1) / w - 2))
        }
        func cell(_ s: String) -> String { String(repeating: " ", count: max(0, w - s.count)) + s }
        let folded = shown < k
        var header = cell("") + " " + labels.prefix(shown).map(cell).joined()
        if folded { header += cell("…") }
        var lines = [header]
        func row(_ name: String, _ values: [Int]) -> String {
            var line = cell(name) + " " + values.prefix(shown).map { cell(String($0)) }.joined()
            if folded { line += cell(String(values.dropFirst(shown).reduce(0, +))) }
            return line
        }
        for t in 0..<shown { lines.append(row(labels[t], counts[t])) }
        if folded {
            let rest = (0..<k).map { p in counts[shown...].reduce(0) { $0 + $1[p] } }
            lines.append(row("…", rest))
        }
        return (lines, shown)
    }
}
