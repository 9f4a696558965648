import Batchwise
import BatchwiseReporting
import Foundation
import BatchwiseTestSupport
import Testing

/// The reporting writers go through `AtomicFile` and `FileDescriptor`: a failure is one
/// `OutputFileError` naming the path, the step and the errno, and nothing is left half-written.
@Suite struct OutputFileErrorTests {
    @Test func anSVGWrittenOverAFolderIsAnOutputFileErrorAndTheFolderStays() throws {
        let folder = try DataFixture.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let target = folder + "/run.svg"
        try FileManager.default.createDirectory(atPath: target + "/x", withIntermediateDirectories: true)
        let plot = TrainingPlot(records: [])
        let error = try #require(throws: OutputFileError.self) { try plot.write(to: target) }
        #expect(error.path == target)
        #expect(error.operation == "replace")
        #expect(error.code == EISDIR)
        #expect(error.errno.rawValue == EISDIR)
        #expect(error.description.hasPrefix("cannot replace '\(target)': Is a directory"))
        #expect(try DataFixture.contents(folder) == ["run.svg"])
        #expect(try DataFixture.contents(target) == ["x"])
    }

    @Test func aMetricsLogInAMissingFolderSaysWhatToDo() throws {
        let folder = try DataFixture.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/missing/run.jsonl"
        let error = try #require(throws: OutputFileError.self) { try MetricsLog(path: path) }
        #expect(error.operation == "open")
        #expect(error.errno.rawValue == ENOENT)
        #expect(error.description == "cannot open '\(path)': No such file or directory; check that its folder exists")
    }
}
