import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import Batchwise
import BatchwiseReporting
import BatchwiseTestSupport

/// The feedback a person gets while training: the JSON Lines metrics log, the SVG learning
/// curves and the live progress line.
@Suite struct FeedbackTests {
    // MARK: Fixtures

    /// `epochs` epochs of a plausible run: losses falling towards a floor, accuracies rising.
    static func run(epochs: Int, validation: Bool = true, accuracy: Bool = true) -> [EpochRecord] {
        (1...epochs).map { e in
            let t = Double(e)
            return EpochRecord(epoch: e, step: 45 * e, learningRate: 0.05, batchSize: 32,
                               trainLoss: 2.2 * exp(-t / 4) + 0.05, trainAccuracy: accuracy ? 1 - 0.9 * exp(-t / 3) : nil,
                               validationLoss: validation ? 2.1 * exp(-t / 5) + 0.12 : nil,
                               validationAccuracy: validation && accuracy ? 0.97 - 0.85 * exp(-t / 3) : nil,
                               samplesPerSecond: 61_234.5, wallSeconds: 0.25 * t)
        }
    }

    /// A path in the temporary directory no other test uses; removed by the caller.
    static func temporaryPath(_ suffix: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("batchwise-feedback-\(UUID().uuidString)\(suffix)").path
    }

    static func lines(of path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            .dropLast().map(String.init)   // the file ends with "\n": the last piece is empty
    }

    static func object(_ line: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    static let keys: Set = ["epoch", "step", "learning_rate", "batch_size", "train_loss", "train_accuracy",
                            "validation_loss", "validation_accuracy", "samples_per_second", "wall_seconds", "noise_scale",
                            "gain", "efficiency", "goodput"]

    // MARK: MetricsLog

    @Test func everyLineIsAJSONObjectWithEveryKeyAndItsValue() throws {
        let path = Self.temporaryPath(".jsonl")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let records = Self.run(epochs: 3)
        let log = try MetricsLog(path: path)
        for record in records { try log.append(record) }
        try log.close()

        let lines = try Self.lines(of: path)
        #expect(lines.count == 3)
        for (line, record) in zip(lines, records) {
            let o = try Self.object(line)
            #expect(Set(o.keys) == Self.keys)
            #expect(o["epoch"] as? Int == record.epoch)
            #expect(o["step"] as? Int == record.step)
            #expect(o["batch_size"] as? Int == 32)
            // Foundation's JSONSerialization on Linux may read the last digit one ulp off
            // (JSONDecoder reads them exactly: see codableRoundTripsAFiniteRecord).
            func value(_ key: String) -> Double? { o[key] as? Double }
            func close(_ a: Double?, _ b: Double?) -> Bool { a != nil && b != nil && abs(a! - b!) <= 1e-15 * abs(b!) }
            #expect(value("learning_rate") == 0.05)
            #expect(close(value("train_loss"), record.trainLoss))
            #expect(close(value("train_accuracy"), record.trainAccuracy))
            #expect(close(value("validation_loss"), record.validationLoss))
            #expect(close(value("validation_accuracy"), record.validationAccuracy))
            #expect(value("samples_per_second") == 61_234.5)
            #expect(value("wall_seconds") == record.wallSeconds)
            #expect(o["noise_scale"] is NSNull)
        }
    }

    @Test func absentAndNonFiniteValuesAreWrittenAsNull() throws {
        let record = EpochRecord(epoch: 7, step: 70, learningRate: .infinity, batchSize: 8, trainLoss: .nan,
                                 validationLoss: -.infinity, samplesPerSecond: 1e-7, wallSeconds: 12, noiseScale: 250)
        let o = try Self.object(record.jsonLine)
        #expect(Set(o.keys) == Self.keys)
        for key in ["learning_rate", "train_loss", "train_accuracy", "validation_loss", "validation_accuracy"] {
            #expect(o[key] is NSNull, "\(key)")
        }
        #expect(o["samples_per_second"] as? Double == 1e-7)
        #expect(o["noise_scale"] as? Double == 250)
        // Through Codable the same: null comes back as NaN (always-present values) or nil.
        let back = try JSONDecoder().decode(EpochRecord.self, from: try JSONEncoder().encode(record))
        #expect(back.trainLoss.isNaN && back.learningRate.isNaN && back.validationLoss == nil)
        #expect(back.epoch == 7 && back.wallSeconds == 12 && back.noiseScale == 250)
    }

    @Test func codableRoundTripsAFiniteRecord() throws {
        let record = Self.run(epochs: 2)[1]
        #expect(try JSONDecoder().decode(EpochRecord.self, from: try JSONEncoder().encode(record)) == record)
        #expect(try JSONDecoder().decode(EpochRecord.self, from: Data(record.jsonLine.utf8)) == record)
    }

    @Test func appendingKeepsTheOldLinesAndStartingAfreshDropsThem() throws {
        let path = Self.temporaryPath(".jsonl")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let records = Self.run(epochs: 4)
        do {
            let log = try MetricsLog(path: path)
            try log.append(records[0])
            try log.append(records[1])
        }
        do {
            let log = try MetricsLog(path: path, appending: true)
            try log.append(records[2])
        }
        #expect(try Self.lines(of: path).map { try Self.object($0)["epoch"] as? Int } == [1, 2, 3])
        // A line cut short by a crash is ended, so the next record is a line of its own.
        try FileManager.default.removeItem(atPath: path)
        try Data("{\"epoch\":1}\n{\"epo".utf8).write(to: URL(fileURLWithPath: path))
        try MetricsLog(path: path, appending: true).append(records[3])
        #expect(try Self.lines(of: path).last.map { try Self.object($0)["epoch"] as? Int } == 4)
        // Without `appending` the file starts empty.
        try MetricsLog(path: path).append(records[0])
        #expect(try Self.lines(of: path).count == 1)
    }

    @Test func aFileThatCannotBeOpenedIsATypedErrorNamingThePath() throws {
        let path = Self.temporaryPath("/missing-folder/run.jsonl")
        let error = try #require(throws: OutputFileError.self) { try MetricsLog(path: path) }
        #expect(error.path == path)
        #expect(error.description.contains(path))
        #expect(error.description.contains("No such file or directory"))
    }

    // MARK: TrainingPlot

    @Test func eachCurveIsOnePathWithAPointPerMeasuredEpoch() throws {
        var records = Self.run(epochs: 12)
        records[4].validationLoss = .nan         // skipped: the curve breaks there
        records[7].trainAccuracy = nil
        let svg = try SVGElements(TrainingPlot(records: records, title: "digits <batch 32> & more").svg())
        #expect(svg.all.first?.name == "svg")
        #expect(try svg.subpaths("loss-train").map(\.count) == [12])
        #expect(try svg.subpaths("loss-validation").map(\.count) == [4, 7])
        #expect(try svg.subpaths("accuracy-train").map(\.count) == [7, 4])
        #expect(try svg.subpaths("accuracy-validation").map(\.count) == [12])
        // x grows with the epoch; a lower loss is higher up (smaller y).
        let train = try svg.subpaths("loss-train")[0]
        #expect(zip(train, train.dropFirst()).allSatisfy { $0.0 < $1.0 && $0.1 < $1.1 })
        #expect(svg.all.contains { $0.name == "text" && $0.text == "digits <batch 32> & more" })
        #expect(svg.element(id: "legend") != nil)
        #expect(svg.all.contains { $0.name == "text" && $0.text == "epoch" })
        #expect(svg.all.contains { $0.name == "text" && $0.text == "accuracy (%)" })
    }

    @Test func ticksAreRoundValuesCoveringTheData() throws {
        // Losses from 0.12 to 0.93 over epochs 1…10: step 0.2 (the smallest of 1, 2, 5 × 10ⁿ giving
        // at most 6 intervals), epochs in steps of 2 (at most 8 intervals).
        let records = (1...10).map { e in
            EpochRecord(epoch: e, step: e, learningRate: 0.1, batchSize: 1, trainLoss: 0.93 - 0.09 * Double(e - 1),
                        samplesPerSecond: 1, wallSeconds: Double(e))
        }
        let svg = try SVGElements(TrainingPlot(records: records).svg())
        #expect(svg.tickLabels("y-tick", panel: "loss") == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        #expect(svg.tickLabels("x-tick", panel: "loss") == ["0", "2", "4", "6", "8", "10"])
        #expect(svg.element(id: "accuracy-panel") == nil)
        #expect(svg.element(id: "loss-validation") == nil)

        let logarithmic = try SVGElements(TrainingPlot(records: records.map { r in
            var r = r
            r.trainLoss = r.epoch == 10 ? 0.003 : 2
            return r
        }, logarithmicLoss: true).svg())
        #expect(logarithmic.tickLabels("y-tick", panel: "loss") == ["0.001", "0.01", "0.1", "1", "10"])
    }

    @Test func oneEpochConstantSeriesAndNoFiniteValuesStillDraw() throws {
        let one = try SVGElements(TrainingPlot(records: Self.run(epochs: 1)).svg())
        #expect(try one.subpaths("loss-train").map(\.count) == [1])
        #expect(one.all.filter { $0.name == "circle" && $0.parents.contains("loss-train-points") }.count == 1)
        #expect(one.tickLabels("x-tick", panel: "loss") == ["0", "1", "2"])

        let constant = (1...5).map { EpochRecord(epoch: $0, step: $0, learningRate: 1, batchSize: 1, trainLoss: 0.5,
                                                   samplesPerSecond: 1, wallSeconds: 1) }
        let flat = try SVGElements(TrainingPlot(records: constant).svg())
        let ys = try flat.subpaths("loss-train")[0].map(\.1)
        #expect(ys.count == 5 && Set(ys).count == 1)
        #expect(flat.tickLabels("y-tick", panel: "loss").contains("0.50"))

        let broken = constant.map { r in var r = r; r.trainLoss = .nan; return r }
        let empty = try SVGElements(TrainingPlot(records: broken).svg())
        #expect(empty.all.contains { $0.text == "no finite values" })
        _ = try SVGElements(TrainingPlot(records: []).svg())
    }

    @Test func hundredsOfEpochsAreOneLineWithoutDots() throws {
        let svg = try SVGElements(TrainingPlot(records: Self.run(epochs: 500)).svg())
        #expect(try svg.subpaths("loss-train").map(\.count) == [500])
        #expect(svg.all.filter { $0.name == "circle" }.isEmpty)
        #expect(svg.tickLabels("x-tick", panel: "loss") == ["0", "100", "200", "300", "400", "500"])
    }

    @Test func writeReplacesTheFileAndLeavesNoTemporary() throws {
        let folder = Self.temporaryPath("")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/run.svg"
        try TrainingPlot(records: Self.run(epochs: 2)).write(to: path)
        let plot = TrainingPlot(records: Self.run(epochs: 3))
        try plot.write(to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == plot.svg())
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["run.svg"])

        let missing = folder + "/no/such/run.svg"
        let error = try #require(throws: OutputFileError.self) { try plot.write(to: missing) }
        #expect(error.description.contains(missing))
    }

    // MARK: ProgressLine and ProgressBar

    static let line = ProgressLine(epoch: 3, epochs: 30, batch: 45, batches: 90, samplesPerSecond: 61_234.4,
                                   loss: 0.23449, elapsedSeconds: 3)

    @Test func theLineShowsTheFractionRateLossAndETA() {
        // Half the batches in 3 s: 3 s to go; the bar (30 cells at most) half full.
        #expect(Self.line.text(width: 100)
                == "epoch 3/30 [\(String(repeating: "█", count: 15))\(String(repeating: "░", count: 15))] 45/90  61,234 samples/s  loss 0.2345  ETA 0:03")
        #expect(Self.line.etaSeconds == 3)
        var late = Self.line
        late.batch = 1
        late.batches = 3
        late.elapsedSeconds = 1_850   // 1 of 3 batches in 30:50: 1:01:40 to go
        #expect(late.text(width: 100).hasSuffix("ETA 1:01:40"))
        late.batch = 0
        #expect(late.text(width: 100).hasSuffix("ETA --:--"))
    }

    @Test func theLineNeverExceedsTheWidthAndDropsTheLeastUsefulPartsFirst() {
        let wide = ProgressLine(epoch: 1234, epochs: 99_999, batch: 123_456, batches: 999_999,
                                samplesPerSecond: 9.9e12, loss: -123_456.7, elapsedSeconds: 1e9)
        for line in [Self.line, wide] {
            for width in 0...160 { #expect(line.text(width: width).count <= width, "width \(width)") }
        }
        let at60 = Self.line.text(width: 60)
        #expect(!at60.contains("samples/s") && at60.contains("loss 0.2345") && at60.contains("[█"))
        let at40 = Self.line.text(width: 40)
        #expect(at40.hasPrefix("epoch 3/30 [") && at40.hasSuffix("45/90  ETA 0:03"))
        #expect(Self.line.text(width: 27) == "epoch 3/30  45/90  ETA 0:03")   // no room for a 10-cell bar
        #expect(Self.line.text(width: 26) == "epoch 3/30  ETA 0:03")
        #expect(Self.line.text(width: 5) == "epoch")
    }

    /// A bar drawing into an array, on a clock the test moves.
    final class Recorder {
        var now = 0.0
        var writes: [(time: Double, text: String)] = []
        func bar(live: Bool, width: Int = 80) -> ProgressBar {
            ProgressBar(epochs: 2, live: live, columns: { width }, clock: { self.now },
                        output: { self.writes.append((self.now, $0)) })
        }
    }

    @Test func theBarRedrawsAtMostTenTimesASecond() {
        let r = Recorder()
        let bar = r.bar(live: true, width: 100)
        bar.beginEpoch(1, batches: 1_000)
        for batch in 1...1_000 {
            r.now = Double(batch) / 512   // ~2 s of steps, 512 a second
            bar.update(batch: batch, samples: 32 * batch, loss: 0.5)
        }
        let times = r.writes.map(\.time)
        #expect(zip(times, times.dropFirst()).allSatisfy { $1 - $0 >= ProgressBar.minimumInterval })
        #expect((19...21).contains(times.count))   // about 2 s × 10 a second, none missed
        #expect(r.writes.allSatisfy { $0.text.hasPrefix("\r") && $0.text.hasSuffix("\u{1B}[K") && $0.text.count <= 100 + 4 })
        #expect(r.writes.last!.text.contains("16,384 samples/s"))   // 32 samples a step, 512 steps a second
        bar.endEpoch(summary: "epoch 1/2  train loss 0.5000")
        #expect(r.writes.last!.text == "\repoch 1/2  train loss 0.5000\u{1B}[K\n")
        // A line measured by the caller is drawn as it is, under the same throttle.
        bar.beginEpoch(2, batches: 90)
        r.writes = []
        bar.update(Self.line)
        bar.update(Self.line)
        #expect(r.writes.map(\.text) == ["\r" + Self.line.text(width: 100) + "\u{1B}[K"])
    }

    @Test func offATerminalOnlyTheSummaryIsPrinted() {
        let r = Recorder()
        let bar = r.bar(live: false)
        for epoch in 1...2 {
            bar.beginEpoch(epoch, batches: 10)
            for batch in 1...10 {
                r.now += 1
                bar.update(batch: batch, samples: batch, loss: 1)
            }
            bar.endEpoch(summary: "epoch \(epoch)/2")
        }
        #expect(r.writes.map(\.text) == ["epoch 1/2\n", "epoch 2/2\n"])
        #expect(ProgressBar(epochs: 1, stream: .standardOutput, quiet: true).isLive == false)
    }
}
