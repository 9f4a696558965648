import Foundation
import Testing
@testable import Batchwise
@testable import BatchwiseBench
import BatchwiseTestSupport

/// The trade-off fit of McCandlish et al. (2018): (S/S_min − 1)(E/E_min − 1) = 1, that is
/// S = S_min(1 + B_crit/B) and E = E_min(1 + B/B_crit) with B_crit = E_min/S_min and E = B·S.
@Suite struct BatchSizeTradeoffTests {
    /// The point of batch size `b` on the curve of `sMin`, `eMin`.
    static func point(_ b: Double, sMin: Double, eMin: Double) -> BatchSizeTradeoff.Point {
        let s = sMin * (1 + eMin / sMin / b)
        return BatchSizeTradeoff.Point(steps: s, samples: b * s)
    }

    @Test(arguments: [(200.0, 8_000.0), (1_500.0, 30_000.0), (12.0, 50_000.0)])
    func pointsExactlyOnACurveGiveItsSMinAndEMinBack(sMin: Double, eMin: Double) throws {
        let points = [16.0, 64, 256, 1024].map { Self.point($0, sMin: sMin, eMin: eMin) }
        // On the curve: (S/S_min − 1)(E/E_min − 1) = 1 for every point.
        for p in points { #expect(abs((p.steps / sMin - 1) * (p.samples / eMin - 1) - 1) < 1e-9) }
        let fit = try BatchSizeTradeoff(points: points)
        #expect(abs(fit.minimumSteps / sMin - 1) < 1e-6)
        #expect(abs(fit.minimumSamples / eMin - 1) < 1e-6)
        #expect(abs(fit.criticalBatchSize / (eMin / sMin) - 1) < 1e-6)
        #expect(fit.rmsLogResidual < 1e-6)
        // The fitted curve passes through the points it was given.
        for p in points {
            #expect(abs(fit.steps(batchSize: p.batchSize) / p.steps - 1) < 1e-6)
            #expect(abs(fit.samples(batchSize: p.batchSize) / p.samples - 1) < 1e-6)
        }
    }

    @Test func twoPointsDetermineTheCurveAndTheOrderDoesNotMatter() throws {
        let points = [Self.point(256, sMin: 100, eMin: 6_400), Self.point(32, sMin: 100, eMin: 6_400)]
        let fit = try BatchSizeTradeoff(points: points)
        #expect(abs(fit.minimumSteps / 100 - 1) < 1e-6 && abs(fit.criticalBatchSize / 64 - 1) < 1e-6)
        // Deterministic: the same points, in any order, give the same figures.
        let again = try BatchSizeTradeoff(points: points.reversed())
        #expect(again.minimumSteps == fit.minimumSteps && again.minimumSamples == fit.minimumSamples)
    }

    @Test func noisyPointsGiveTheLeastSquaresCurveNearTheTrueOne() throws {
        // ±5 % on S (and so on E = B·S), alternating: the fit stays within 10 % of the truth.
        let points = [16.0, 32, 64, 128, 256, 512].enumerated().map { i, b -> BatchSizeTradeoff.Point in
            var p = Self.point(b, sMin: 300, eMin: 30_000)
            let factor = i % 2 == 0 ? 1.05 : 0.95
            p.steps *= factor
            p.samples *= factor
            return p
        }
        let fit = try BatchSizeTradeoff(points: points)
        #expect(abs(fit.minimumSteps / 300 - 1) < 0.1 && abs(fit.minimumSamples / 30_000 - 1) < 0.1)
        #expect(fit.rmsLogResidual > 0.03 && fit.rmsLogResidual < 0.06)
    }

    @Test func fewerThanTwoUsablePointsIsAClearFailure() {
        #expect(throws: BatchSizeTradeoff.Failure.tooFewPoints(usable: 0)) { try BatchSizeTradeoff(points: []) }
        #expect(throws: BatchSizeTradeoff.Failure.tooFewPoints(usable: 1)) {
            try BatchSizeTradeoff(points: [Self.point(64, sMin: 10, eMin: 100)])
        }
        // Unusable points (not finite, zero, fewer samples than steps) do not count.
        let bad = [BatchSizeTradeoff.Point(steps: 0, samples: 10), BatchSizeTradeoff.Point(steps: .nan, samples: 10),
                   BatchSizeTradeoff.Point(steps: 10, samples: 5)]
        #expect(throws: BatchSizeTradeoff.Failure.tooFewPoints(usable: 1)) {
            try BatchSizeTradeoff(points: bad + [Self.point(64, sMin: 10, eMin: 100)])
        }
        #expect(BatchSizeTradeoff.Failure.tooFewPoints(usable: 1).description.contains("at least 2 batch sizes"))
    }

    @Test func pointsThatDoNotBoundTheCriticalBatchSizeAreUnbounded() {
        // Perfect scaling (S ∝ 1/B, E constant) at every batch: B_crit is above all of them.
        let perfect = [16.0, 64, 256].map { BatchSizeTradeoff.Point(steps: 16_384 / $0, samples: 16_384) }
        #expect(throws: BatchSizeTradeoff.Failure.unbounded) { try BatchSizeTradeoff(points: perfect) }
        // One batch size twice.
        #expect(throws: BatchSizeTradeoff.Failure.unbounded) {
            try BatchSizeTradeoff(points: [Self.point(64, sMin: 10, eMin: 100), Self.point(64, sMin: 10, eMin: 100)])
        }
    }

    @Test func theReportFitsTheRunsThatReachedTheTargetAndSaysSoInTableAndJSON() throws {
        // Batch sizes 16, 32 and 128 reached the target; 64 did not and is left out.
        let report = BatchSizeBenchTests.report()
        #expect(BatchSizeReport.tradeoffPoints(report.runs).map(\.steps) == [63, 64, 32])
        let table = report.table()
        #expect(table.contains("trade-off (S/S_min − 1)(E/E_min − 1) = 1"))
        switch report.tradeoff {
        case .success(let fit):
            #expect(table.contains("B_crit = E_min/S_min") && table.contains("measured noise scale B_simple 27.5"))
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as? [[String: Any]])
            // The same figure in every row (up to the JSON text's last digit).
            #expect(rows.allSatisfy { abs(($0["tradeoff_critical_batch_size"] as? Double ?? 0) / fit.criticalBatchSize - 1) < 1e-12 })
        case .failure(let failure):
            #expect(table.contains("no fit: \(failure)"))
        }
        // One run that reached the target: no fit, said plainly, and null in the JSON.
        let single = BatchSizeReport(setup: BatchSizeBenchTests.setup(), runs: [BatchSizeBenchTests.run(16, accuracies: [0.96])])
        #expect(single.fit == nil && single.table().contains("no fit: needs at least 2 batch sizes that reached the target (1 did)"))
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(single.json().utf8)) as? [[String: Any]])
        #expect(rows[0]["tradeoff_steps_min"] is NSNull && rows[0]["tradeoff_critical_batch_size"] is NSNull)
    }

    @Test func anAutoRunIsARowOfItsOwnWithTheBatchSizesItWentThrough() throws {
        var auto = BatchSizeBenchTests.run(64, accuracies: [0.9, 0.96])
        auto.batchSizes = [32, 64]
        let report = BatchSizeReport(setup: BatchSizeBenchTests.setup(), runs: BatchSizeBenchTests.report().runs, auto: auto)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as? [[String: Any]])
        #expect(rows.count == 5 && rows.last?["batch_size"] as? String == "auto" && rows.last?["batch_sizes"] as? [Int] == [32, 64])
        #expect(rows.allSatisfy { Set($0.keys) == Set(BatchSizeReport.jsonColumns) })
        // Not a point of the fit: the same fit as without it.
        #expect(report.fit == BatchSizeBenchTests.report().fit)
        #expect(report.table().contains("auto: the batch size chosen while training, through 32 → 64"))
        let decoded = try JSONDecoder().decode([BatchSizeRun].self, from: Data(report.json().utf8))
        #expect(decoded.last == auto && Array(decoded.dropLast()) == report.runs)
        let svg = try SVGElements(BatchSizePlot(report: report).svg())
        #expect(svg.element(id: "tradeoff-auto-points") != nil)
    }

    @Test func theTradeoffPanelDrawsThePointsAndTheFittedCurve() throws {
        let runs = [16, 64, 256].map { b -> BatchSizeRun in
            // Steps to the target on the curve S_min 40, B_crit 50, in whole epochs of 1000 samples.
            let epochs = Int((40 * (1 + 50 / Double(b)) * Double(b) / 1000).rounded(.up))
            return BatchSizeBenchTests.run(b, accuracies: Array(repeating: 0.5, count: epochs - 1) + [0.96])
        }
        let report = BatchSizeReport(setup: BatchSizeBenchTests.setup(), runs: runs)
        let svg = try SVGElements(BatchSizePlot(report: report).svg())
        #expect(svg.element(id: "tradeoff-panel") != nil)
        #expect(svg.all.filter { $0.name == "circle" && $0.parents.contains("tradeoff-measured-points") }.count == 3)
        let curve = try svg.subpaths("tradeoff-fit")
        #expect(curve.count == 1 && curve[0].count == 65)
        // Along the curve S falls as B grows (x left) while E grows (y up: smaller pixel y).
        #expect(zip(curve[0], curve[0].dropFirst()).allSatisfy { $0.0 > $1.0 && $0.1 > $1.1 })
        #expect(svg.all.contains { $0.attributes["class"] == "fit-label" && $0.text.contains("B_crit") })
        #expect(svg.all.contains { $0.attributes["class"] == "point-label" && $0.text == "B=64" })
    }
}
