import Batchwise
import BatchwiseReporting
import BatchwiseTestSupport
import Foundation
import Testing

/// The metrics log and the SVG figures write through a symbolic link (the link stays) and into
/// a FIFO (it stays a FIFO); what arrives is complete.
@Suite struct OutputTargetTests {
    static func record(_ epoch: Int) -> EpochRecord {
        EpochRecord(epoch: epoch, step: 10 * epoch, learningRate: 0.05, batchSize: 32, trainLoss: 1 / Double(epoch),
                    samplesPerSecond: 1000, wallSeconds: Double(epoch), noiseScale: 12.5)
    }

    @Test func aMetricsLogThroughALinkAppendsToItsTarget() throws {
        let folder = try DataFixture.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createSymbolicLink(atPath: folder + "/run.jsonl", withDestinationPath: "real.jsonl")
        let log = try MetricsLog(path: folder + "/run.jsonl")
        try log.append(Self.record(1))
        try log.append(Self.record(2))
        try log.close()
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: folder + "/run.jsonl") == "real.jsonl")
        let lines = try String(contentsOfFile: folder + "/real.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.map(String.init) == [Self.record(1).jsonLine, Self.record(2).jsonLine])
    }

    @Test func aMetricsLogIntoAFIFOIsReadWholeByItsReader() throws {
        let folder = try DataFixture.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let reader = try FIFOReader(path: folder + "/metrics")
        let log = try MetricsLog(path: reader.path)
        for epoch in 1...3 { try log.append(Self.record(epoch)) }
        try log.close()
        #expect(reader.text() == (1...3).map { Self.record($0).jsonLine + "\n" }.joined())
        #expect(try FileStatus(path: reader.path)?.kind == .fifo)
    }

    @Test func anSVGThroughALinkReplacesTheTargetAndKeepsTheLink() throws {
        let folder = try DataFixture.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Data("old".utf8).write(to: URL(fileURLWithPath: folder + "/target.svg"))
        try FileManager.default.createSymbolicLink(atPath: folder + "/run.svg", withDestinationPath: folder + "/target.svg")
        let plot = TrainingPlot(records: [Self.record(1), Self.record(2)])
        try plot.write(to: folder + "/run.svg")
        #expect(try String(contentsOfFile: folder + "/target.svg", encoding: .utf8) == plot.svg())
        #expect(try FileStatus(path: folder + "/run.svg", followingLinks: false)?.kind == .symbolicLink)
        #expect(try DataFixture.contents(folder) == ["run.svg", "target.svg"])
    }

    @Test func anSVGIntoAFIFOArrivesWhole() throws {
        let folder = try DataFixture.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let reader = try FIFOReader(path: folder + "/plot")
        let plot = TrainingPlot(records: [Self.record(1)])
        try plot.write(to: reader.path)
        #expect(reader.text() == plot.svg())
        #expect(try FileStatus(path: reader.path)?.kind == .fifo)
    }
}
