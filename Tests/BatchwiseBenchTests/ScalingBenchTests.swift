import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Batchwise
@testable import BatchwiseBench
@testable import BatchwiseReporting
import BatchwiseTestSupport

/// The scaling benchmark's arithmetic on hand-made measurements (no clock involved), its JSON
/// and SVG, the sgemm shapes, peak-memory reading, and its flag checks. Timings are never asserted.
@Suite struct ScalingBenchTests {
    // MARK: Fixtures

    /// An sgemm rate of exactly `gflops`: one 100×100×100 product (2·10⁶ FLOP) taking 2·10⁶ / (gflops·10⁹) s.
    static func rate(_ gflops: Double, shard: Int = 50) -> SgemmRate {
        SgemmRate(shard: shard, shapes: [GemmShape(transposeA: false, transposeB: false, m: 100, n: 100, k: 100, accumulates: true)],
                  secondsPerCall: [2e6 / (gflops * 1e9)])
    }

    static func setup(flopsPerSample: Double = 6e6, batch: Int = 100) -> ScalingSetup {
        ScalingSetup(widths: [10, 20, 5], batchSize: batch, flopsPerSample: flopsPerSample, timedSteps: 4, warmupSteps: 1,
                     placement: "compact", seed: 1, learningRate: 0.001, blas: "FakeBLAS 1.0", machine: "1 package(s), 4 core(s)",
                     date: "2026-11-25T00:00:00Z")
    }

    static func measurement(_ threads: Int, _ steps: [Double], phases: StepPhases = StepPhases(), gflops: Double = 10,
                            rss: UInt64 = 1 << 20) -> ScalingMeasurement {
        ScalingMeasurement(threads: threads, processingUnits: Array(0..<threads), stepSeconds: steps, phases: phases,
                           sgemm: rate(gflops), peakResidentMemory: PeakResidentMemory.Reading(bytes: rss, cumulative: false))
    }

    /// 1, 2 and 4 threads, given out of order: medians 0.1, 0.055 and 0.05 s.
    static func report() throws -> ScalingReport {
        try ScalingReport(setup: setup(), measurements: [
            measurement(4, [0.05, 0.04, 0.06], gflops: 8, rss: 3 << 20),
            measurement(1, [0.1, 0.1, 0.1], phases: StepPhases(compute: 0.24, barrier: 0.03, allReduce: 0.015)),
            measurement(2, [0.06, 0.05, 0.07, 0.05], gflops: 12),
        ])
    }

    // MARK: Arithmetic

    @Test func percentilesInterpolateBetweenRanks() {
        // Type 7: position h = p·(n − 1) in the sorted samples 1, 2, 3, 4, 5.
        let p = Percentiles([5, 1, 4, 2, 3])
        #expect(p.median == 3)
        #expect(abs(p.quantile(0.1) - 1.4) < 1e-12)   // h = 0.4
        #expect(abs(p.quantile(0.9) - 4.6) < 1e-12)   // h = 3.6
        #expect(p.quantile(0) == 1 && p.quantile(1) == 5)
        #expect(Percentiles([2, 1, 4, 3]).median == 2.5)
        #expect(Percentiles([7]).quantile(0.9) == 7)
    }

    @Test func speedupEfficiencyGFLOPsAndPeakShareFollowTheirDefinitions() throws {
        let rows = try Self.report().rows
        #expect(rows.map(\.threads) == [1, 2, 4])
        #expect(rows.allSatisfy { $0.baselineThreads == 1 })
        let close = { (a: Double, b: Double) in abs(a - b) <= 1e-9 * max(1, abs(b)) }
        // samples/s = B / median; GFLOP/s = flops/sample · B / median / 1e9.
        #expect(close(rows[0].samplesPerSecond, 100 / 0.1) && close(rows[1].samplesPerSecond, 100 / 0.055))
        #expect(close(rows[0].gflops, 6e6 * 100 / 0.1 / 1e9))
        #expect(close(rows[1].gflops, 6e6 * 100 / 0.055 / 1e9))
        // speedup = median(1 thread) / median; efficiency = speedup / threads.
        #expect(rows[0].speedup == 1 && rows[0].efficiency == 1)
        #expect(close(rows[1].speedup, 0.1 / 0.055) && close(rows[1].efficiency, 0.1 / 0.055 / 2))
        #expect(close(rows[2].speedup, 2) && close(rows[2].efficiency, 0.5))
        // peak share = GFLOP/s / (one thread's sgemm rate × threads).
        #expect(close(rows[0].peakShare, 6 / 10))
        #expect(close(rows[1].peakShare, 6e6 * 100 / 0.055 / 1e9 / 24))
        #expect(close(rows[2].peakShare, 12.0 / 32))
        #expect(close(rows[2].sgemmGflopsSingleThread, 8))
        // Counting only the products run: one 2·10⁶-FLOP product per 50-sample shard.
        #expect(close(rows[0].executedFlopsPerSample, 4e4))
        #expect(close(rows[0].executedPeakShare, 4e4 * 100 / 0.1 / 1e9 / 10))
        // p10 / p90 of 0.05, 0.05, 0.06, 0.07: h = 0.3 and 2.7.
        #expect(close(rows[1].stepSecondsMedian, 0.055))
        #expect(close(rows[1].stepSecondsP10, 0.05) && close(rows[1].stepSecondsP90, 0.067))
        // Phase shares are of the timed steps' total wall time (0.3 s); the rest is "other".
        #expect(close(rows[0].computeShare, 0.8) && close(rows[0].barrierShare, 0.1) && close(rows[0].allreduceShare, 0.05))
        #expect(close(rows[0].otherShare, 0.05))
        #expect(rows[2].peakRSSBytes == 3 << 20 && !rows[2].peakRSSCumulative)
        #expect(rows[1].stepSeconds == [0.06, 0.05, 0.07, 0.05])
    }

    @Test func withoutOneThreadTheSmallestCountIsTheBaseline() throws {
        let report = try ScalingReport(setup: Self.setup(), measurements: [
            Self.measurement(4, [0.025]), Self.measurement(2, [0.04]),
        ])
        #expect(report.baselineThreads == 2)
        #expect(report.rows[0].speedup == 1 && abs(report.rows[1].speedup - 1.6) < 1e-12)
        // Twice the threads of the baseline: efficiency = speedup / 2.
        #expect(report.rows[0].efficiency == 1 && abs(report.rows[1].efficiency - 0.8) < 1e-12)
        #expect(report.table().contains("relative to 2 threads, the smallest count measured"))
    }

    @Test func theSgemmRateWeighsShapesByTheirWork() {
        // 2 GFLOP at 20 GFLOP/s and 2 MFLOP at 2 GFLOP/s: Σ flops / Σ seconds, not the mean of the rates.
        let big = GemmShape(transposeA: false, transposeB: false, m: 1000, n: 1000, k: 1000, accumulates: true)
        let small = GemmShape(transposeA: true, transposeB: false, m: 100, n: 100, k: 100, accumulates: true)
        let rate = SgemmRate(shard: 1000, shapes: [big, small], secondsPerCall: [0.1, 0.001])
        #expect(abs(rate.gflops - (2e9 + 2e6) / 0.101 / 1e9) < 1e-9)
        #expect(abs(rate.gflops(ofShape: 1) - 2) < 1e-9)
    }

    @Test func theShapesAreTheProductsOfATrainingStep() throws {
        // Per layer: forward NN and weight-gradient TN; input-gradient NT for all but the first.
        let shapes = GemmShape.trainingStep(widths: [784, 1024, 10], shard: 256)
        #expect(shapes.map(\.description) == [
            "NN m=256 n=1024 k=784", "NN m=256 n=10 k=1024",
            "TN m=1024 n=10 k=256", "NT m=256 n=1024 k=10", "TN m=784 n=1024 k=256",
        ])
        // Σ 2mnk = shard · (6 · weights − 2 · 784 · 1024): the usual 6 per weight, less the
        // first layer's input gradient that is never computed.
        let weights = 784.0 * 1024 + 1024 * 10
        #expect(shapes.reduce(0) { $0 + $1.flops } == 256 * (6 * weights - 2 * 784 * 1024))
        // A real (tiny) measurement gives a positive rate per shape.
        let measured = SgemmRate.measure(shapes: GemmShape.trainingStep(widths: [8, 16, 4], shard: 4), shard: 4,
                                         repetitions: 2, minimumSeconds: 1e-4)
        #expect(measured.secondsPerCall.allSatisfy { $0 > 0 } && measured.gflops > 0)
    }

    @Test func reportsThatCannotBeComputedAreRefused() {
        let setup = Self.setup()
        #expect(throws: ConfigurationError.self) { try ScalingReport(setup: setup, measurements: []) }
        #expect(throws: ConfigurationError.self) {
            try ScalingReport(setup: setup, measurements: [Self.measurement(2, [0.1]), Self.measurement(2, [0.2])])
        }
        #expect(throws: ConfigurationError.self) { try ScalingReport(setup: setup, measurements: [Self.measurement(1, [])]) }
        #expect(throws: ConfigurationError.self) { try ScalingReport(setup: setup, measurements: [Self.measurement(1, [0.1, 0])]) }
        #expect(throws: ConfigurationError.self) { try ScalingReport(setup: setup, measurements: [Self.measurement(1, [.nan])]) }
        #expect(throws: ConfigurationError.self) {
            try ScalingReport(setup: setup, measurements: [Self.measurement(1, [0.1], gflops: .infinity)])
        }
    }

    // MARK: JSON, SVG, table

    static let jsonColumns = BenchFixture.scalingJSONColumns

    @Test func theJSONIsAnArrayWithEveryColumnPerThreadCount() throws {
        let report = try Self.report()
        let parsed = try JSONSerialization.jsonObject(with: Data(report.json().utf8))
        let objects = try #require(parsed as? [[String: Any]])
        #expect(objects.count == 3)
        for (object, row) in zip(objects, report.rows) {
            #expect(Set(object.keys) == Set(Self.jsonColumns))
            #expect(object["threads"] as? Int == row.threads)
            #expect(object["speedup"] as? Double == row.speedup)
            #expect(object["peak_share"] as? Double == row.peakShare)
            #expect(object["peak_rss_bytes"] as? Int == Int(row.peakRSSBytes))
        }
        // It decodes back to the same rows.
        #expect(try JSONDecoder().decode([ScalingRow].self, from: Data(report.json().utf8)) == report.rows)
    }

    @Test func theSVGAndTableSayWhichAllReduceRan() throws {
        var pair = Self.measurement(2, [0.06, 0.05])
        pair.allReduce = .replicatedPair
        let mixed = try ScalingReport(setup: Self.setup(), measurements: [Self.measurement(1, [0.1, 0.1]), pair])
        #expect(mixed.rows.map(\.allReduce) == ["reduce-scatter", "replicated-pair"])
        #expect(ScalingPlot(report: mixed).svg().contains("all-reduce pair at 2 threads"))
        #expect(mixed.table().contains("all-reduce: 1→reduce-scatter  2→replicated-pair"))
        #expect(ScalingPlot(report: try Self.report()).svg().contains("all-reduce reduce-scatter"))
    }

    @Test func theSVGHasBothPanelsWithMeasuredAndIdealSeries() throws {
        let svg = try SVGElements(ScalingPlot(report: try Self.report()).svg())
        #expect(svg.all.first?.name == "svg")
        for panel in ["speedup", "efficiency"] {
            #expect(svg.element(id: "\(panel)-panel") != nil)
            #expect(try svg.subpaths("\(panel)-measured").map(\.count) == [3])
            #expect(try svg.subpaths("\(panel)-ideal").map(\.count) == [3])
            #expect(svg.tickLabels("x-tick", panel: panel).contains("4"))
        }
        // The ideal speedup is the straight line y = threads through the baseline point (1, 1).
        let ideal = try svg.subpaths("speedup-ideal")[0], measured = try svg.subpaths("speedup-measured")[0]
        #expect(ideal[0] == measured[0])
        let slope = { (a: (Double, Double), b: (Double, Double)) in (b.1 - a.1) / (b.0 - a.0) }
        #expect(abs(slope(ideal[0], ideal[1]) - slope(ideal[1], ideal[2])) < 0.2)
        // Ideal efficiency is flat at 100 %; the measured one falls below it (smaller y is higher).
        let flat = try svg.subpaths("efficiency-ideal")[0]
        #expect(Set(flat.map(\.1)).count == 1)
        #expect(try svg.subpaths("efficiency-measured")[0][2].1 > flat[0].1)
        let labels = svg.all.filter { $0.attributes["class"] == "point-label" }.map(\.text)
        #expect(labels == ["1.00×", "1.82×", "2.00×", "100%", "91%", "50%"])
    }

    @Test func theTableShowsEveryRowAndTheSgemmShapes() throws {
        let table = try Self.report().table()
        #expect(table.contains("BLAS FakeBLAS 1.0"))
        #expect(table.contains("samples/s") && table.contains("efficiency") && table.contains("of peak") && table.contains("peak RSS"))
        #expect(table.contains("1.82×") && table.contains("50.0%"))
        #expect(table.contains("NN m=100 n=100 k=100"))
        #expect(table.contains("relative to 1 thread"))
        #expect(ScalingReport.duration(0.0415) == "41.5 ms" && ScalingReport.duration(0.000812) == "812 µs")
    }

    // MARK: Memory, flags

    /// The reset lowers the high-water mark, and the peak then covers what is touched after
    /// it. (Other suites run in this process at the same time, so the checks leave them room.)
    @Test func thePeakGrowsByWhatIsTouchedAfterAReset() throws {
        func touch(_ bytes: Int) -> UnsafeMutableRawBufferPointer {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes, alignment: 4096)
            buffer.initializeMemory(as: UInt8.self, repeating: 1)
            return buffer
        }
        let big = touch(768 << 20)
        big.deallocate()
        let highBefore = try #require(PeakResidentMemory.statusField("VmHWM"))
        #expect(highBefore >= 768 << 20)
        let probe = PeakResidentMemory()
        try #require(probe.wasReset, "this kernel does not allow resetting /proc/self/clear_refs")
        #expect(probe.read().bytes + (384 << 20) < highBefore, "the reset dropped the old peak")
        let buffer = touch(64 << 20)
        defer { buffer.deallocate() }
        let reading = probe.read()
        #expect(!reading.cumulative)
        #expect(reading.bytes >= 64 << 20)
        #expect(reading.bytes >= (PeakResidentMemory.statusField("VmRSS") ?? 0) * 9 / 10)
    }

    @Test func threadListsAndSettingsAreChecked() throws {
        #expect(try ScalingBenchmark.parseThreadCounts("1, 2,4") == [1, 2, 4])
        #expect(throws: ConfigurationError.self) { try ScalingBenchmark.parseThreadCounts("1,,2") }
        #expect(throws: ConfigurationError.self) { try ScalingBenchmark.parseThreadCounts("two") }
        #expect(try ScalingBenchmark(widths: [4, 2], batchSize: 8, threadCounts: [4, 1, 2]).threadCounts == [1, 2, 4])
        let bad: [() throws -> ScalingBenchmark] = [
            { try ScalingBenchmark(widths: [4, 2], batchSize: 8, threadCounts: [0, 1]) },
            { try ScalingBenchmark(widths: [4, 2], batchSize: 8, threadCounts: [2, 2]) },
            { try ScalingBenchmark(widths: [4, 2], batchSize: 8, threadCounts: []) },
            { try ScalingBenchmark(widths: [4, 2], batchSize: 0, threadCounts: [1]) },
            { try ScalingBenchmark(widths: [4, 2], batchSize: 8, threadCounts: [1], timedSteps: 0) },
            { try ScalingBenchmark(widths: [4, 2], batchSize: 8, threadCounts: [1], warmupSteps: -1) },
            { try ScalingBenchmark(widths: [4, 2], batchSize: 8, threadCounts: [1], placement: .explicit([0])) },
            { try ScalingBenchmark(widths: [4], batchSize: 8, threadCounts: [1]) },
        ]
        for make in bad { #expect(throws: ConfigurationError.self) { try make() } }
        let counts = ScalingBenchmark.defaultThreadCounts(on: Fixture.topology)
        let cores = max(1, min(Fixture.topology.coreCount, Fixture.topology.processingUnitCount))
        #expect(counts.first == 1 && counts.last == cores && counts == counts.sorted() && Set(counts).count == counts.count)
        #expect(counts.dropLast().allSatisfy { $0 & ($0 - 1) == 0 })
    }
}
