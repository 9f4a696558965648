import Batchwise
import BatchwiseReporting
import Testing

/// eval's report: precision, recall and F1 per class from the confusion matrix, the matrix
/// fitted to the terminal's width, and MAE, RMSE and R² for regression.
@Suite struct EvaluationReportTests {
    /// Rows: true class; columns: predicted. Class 0: 8 of 10 right; 2 is never predicted.
    static func matrix() -> ConfusionMatrix {
        var m = ConfusionMatrix(classCount: 3)
        let pairs = [(0, 0, 8), (0, 1, 2), (1, 1, 5), (1, 0, 1), (2, 0, 3), (2, 1, 1)]
        for (t, p, n) in pairs { for _ in 0..<n { m.add(actual: t, predicted: p) } }
        return m
    }

    @Test func precisionRecallAndF1AreOneVersusRest() throws {
        let m = Self.matrix()
        // Class 0: TP 8, predicted 8+1+3 = 12, support 10. P = 2/3, R = 0.8, F1 = 2PR/(P+R) = 8/11.
        let s0 = m.scores(of: 0)
        let p0 = try #require(s0.precision), f0 = try #require(s0.f1)
        #expect(abs(p0 - 8.0 / 12) < 1e-12 && abs(f0 - 8.0 / 11) < 1e-12)
        #expect(s0.recall == 0.8 && s0.support == 10)
        // Class 2 is present but never predicted: precision and F1 count as 0, recall is 0.
        let s2 = m.scores(of: 2)
        #expect(s2.precision == 0 && s2.recall == 0 && s2.f1 == 0 && s2.support == 4)
        var absent = ConfusionMatrix(classCount: 2)
        absent.add(actual: 0, predicted: 0)
        let s1 = absent.scores(of: 1)
        #expect(s1.precision == nil && s1.recall == nil && s1.f1 == nil && s1.support == 0, "no sample and no prediction: undefined")
        let average = absent.macroAverage
        #expect(average.precision == 1 && average.recall == 1 && average.f1 == 1, "the macro average skips classes the data lacks")
        let table = m.scoreTable(names: ["a", "b", "c"])
        #expect(table.count == 5 && table[0].hasPrefix("class") && table[0].hasSuffix("support"))
        #expect(table[1].split(separator: " ") == ["a", "0.6667", "0.8000", "0.7273", "10"])
        #expect(table[4].hasPrefix("macro avg") && table[4].hasSuffix(" 20"))
    }

    @Test func aMatrixWiderThanTheTerminalShowsItsFirstClassesAndSumsTheRest() {
        var m = ConfusionMatrix(classCount: 30)
        for c in 0..<30 { for _ in 0..<(c + 1) { m.add(actual: c, predicted: (c * 7) % 30) } }
        let names = (0..<30).map { "class\($0)" }
        let wide = m.rendered(names: names, width: 1_000)
        #expect(wide.shownClasses == 30 && wide.lines.count == 31)
        let narrow = m.rendered(names: names, width: 80)
        #expect(narrow.shownClasses < 30 && narrow.lines.count == narrow.shownClasses + 2)
        for line in narrow.lines { #expect(line.count <= 80, "\(line)") }
        #expect(narrow.lines[0].hasSuffix("…"))
        // Every row still adds up to its class's support, the folded ones in the last row.
        let rows = narrow.lines.dropFirst().map { $0.split(separator: " ").dropFirst().compactMap { Int($0) } }
        for (c, row) in rows.dropLast().enumerated() { #expect(row.reduce(0, +) == c + 1) }
        let folded: Int = (narrow.shownClasses..<30).map { $0 + 1 }.reduce(0, +)
        let lastRow: Int = rows.last!.reduce(0, +)
        #expect(lastRow == folded)
    }

    @Test func regressionMetricsAreInTheTargetsUnits() throws {
        // Errors 1, -1, 2, 0: MAE 1, RMSE √(6/4); targets 1…4, mean 2.5, Σ(y−ȳ)² = 5: R² = 1 − 6/5.
        let m = RegressionMetrics(predictions: [0, 3, 1, 4], targets: [1, 2, 3, 4], width: 1)
        let r2 = try #require(m.rSquared)
        #expect(m.meanAbsoluteError == 1)
        #expect(abs(m.rootMeanSquaredError - 1.5.squareRoot()) < 1e-12)
        #expect(abs(r2 - (1 - 6.0 / 5)) < 1e-12)
        #expect(RegressionMetrics(predictions: [1, 2], targets: [1, 2], width: 1).rSquared == 1)
        #expect(RegressionMetrics(predictions: [1, 2], targets: [3, 3], width: 1).rSquared == nil, "constant targets: undefined")
        // Two columns: R² is the mean of the columns' (1 and 1 − 2/2 = 0).
        #expect(RegressionMetrics(predictions: [1, 10, 2, 10], targets: [1, 9, 2, 11], width: 2).rSquared == 0.5)
    }
}
