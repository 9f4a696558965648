import Foundation
import BatchwiseTestSupport
import Testing
@testable import Batchwise

/// The typed errors at the C boundaries: atomic writes (swift-system's `Errno`, the path and
/// the step), and hwloc failures (the function and its `errno`); MPI failures are in
/// BatchwiseMPITests, the reporting writers' in BatchwiseReportingTests. Every failure test also checks what was left on disk: the old file untouched
/// and no temporary file beside it.
@Suite struct AtomicFileTests {
    // MARK: AtomicFile

    @Test func writeCreatesAndReplacesTheFileAndLeavesNoTemporary() throws {
        let folder = try DataFixture.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/out.csv"
        try AtomicFile.write(Array("old\n".utf8), to: path)
        try AtomicFile.write(Array("new\n".utf8), to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "new\n")
        #expect(try DataFixture.contents(folder) == ["out.csv"])
        let permissions = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(permissions.map { $0 & 0o600 } == 0o600, "the owner may read and write the new file")
    }

    @Test func theTemporaryIsAHiddenFileBesideTheTarget() throws {
        let folder = try DataFixture.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // Same folder, so the rename never crosses file systems.
        let temporary = try AtomicFile.writeTemporary(Array("x".utf8), for: folder + "/name")
        #expect(temporary.hasPrefix(folder + "/.name.tmp-"))
        try AtomicFile.commit(temporary: temporary, to: folder + "/name")
        #expect(try DataFixture.contents(folder) == ["name"])
    }

    @Test func writingIntoAMissingFolderNamesThePathAndErrnoAndLeavesNothing() throws {
        let folder = try DataFixture.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/no/such/out.csv"
        let error = try #require(throws: AtomicFileError.self) { try AtomicFile.write(Array("x".utf8), to: path) }
        #expect(error.path == path)
        #expect(error.step == .create)
        #expect(error.errno.rawValue == ENOENT)
        #expect(error.temporaryPath.hasPrefix(folder + "/no/such/.out.csv.tmp-"))
        #expect(error.description == "cannot write '\(path)': No such file or directory (open); check that its folder exists")
        #expect(try DataFixture.contents(folder) == [], "no temporary file anywhere")
    }

    @Test func aFailedRenameKeepsTheOldFileAndRemovesTheTemporary() throws {
        let folder = try DataFixture.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // The target is a folder holding a file: rename(2) cannot put a file over it.
        let target = folder + "/report.json"
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false)
        try Data("keep".utf8).write(to: URL(fileURLWithPath: target + "/inside"))
        let error = try #require(throws: AtomicFileError.self) { try AtomicFile.write(Array("{}".utf8), to: target) }
        #expect(error.step == .replace)
        #expect(error.step.function == "rename")
        #expect(error.errno.rawValue == EISDIR)
        #expect(error.description.contains(target) && error.description.contains("that is a folder"))
        #expect(try DataFixture.contents(folder) == ["report.json"], "the temporary file was removed")
        #expect(try String(contentsOfFile: target + "/inside", encoding: .utf8) == "keep")
    }

    @Test func aCommitWhoseTemporaryIsGoneLeavesTheOldFileIntact() throws {
        let folder = try DataFixture.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/plot.svg"
        try AtomicFile.write(Array("old".utf8), to: path)
        let temporary = try AtomicFile.writeTemporary(Array("new".utf8), for: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old", "until the commit, the old file is what readers see")
        try FileManager.default.removeItem(atPath: temporary)
        let error = try #require(throws: AtomicFileError.self) { try AtomicFile.commit(temporary: temporary, to: path) }
        #expect(error.step == .replace)
        #expect(error.errno.rawValue == ENOENT)
        #expect(error.path == path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old")
        #expect(try DataFixture.contents(folder) == ["plot.svg"])
    }

    @Test func concurrentWritesOfOneFileEachLeaveAWholeFile() async throws {
        let folder = try DataFixture.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/shared.txt"
        let texts = (0..<8).map { String(repeating: String($0), count: 10_000) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for text in texts { group.addTask { try AtomicFile.write(Array(text.utf8), to: path) } }
            try await group.waitForAll()
        }
        #expect(texts.contains(try String(contentsOfFile: path, encoding: .utf8)), "one writer's whole text, not a mix")
        #expect(try DataFixture.contents(folder) == ["shared.txt"])
    }

    // MARK: The writers that use it

    @Test func aCheckpointCommitThatFailsKeepsThePreviousCheckpoint() throws {
        let folder = try DataFixture.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let session = try CheckpointTests.session(try CheckpointTests.configuration())
        session.maxSteps = 2
        try session.run()
        let old = session.checkpoint()
        try old.write(to: folder)
        session.maxSteps = 4
        try session.run()
        let temporary = try session.checkpoint().writeTemporary(in: folder)
        #expect(temporary.hasPrefix(folder + "/.checkpoint.bwck.tmp-"))
        try FileManager.default.removeItem(atPath: temporary)
        let error = try #require(throws: DataError.self) { try Checkpoint.commit(temporary: temporary, in: folder) }
        #expect(error.file == folder + "/" + Checkpoint.fileName)
        #expect(error.message.hasPrefix("cannot move the new checkpoint into place: No such file or directory"))
        #expect(try Checkpoint.load(from: folder) == old)
        #expect(try DataFixture.contents(folder) == [Checkpoint.fileName])
    }

    // MARK: hwloc

    @Test func aFailedHwlocCallNamesTheFunctionAndTheErrno() throws {
        let error = TopologyError("hwloc could not bind the thread to PU(s) 3", function: "hwloc_set_cpubind", errno: .invalidArgument)
        #expect(error.function == "hwloc_set_cpubind")
        #expect(error.errno?.rawValue == EINVAL)
        #expect(error.message == "hwloc could not bind the thread to PU(s) 3 (hwloc_set_cpubind: Invalid argument)")
        let silent = TopologyError("hwloc could not read this machine's topology", function: "hwloc_topology_load", errno: nil)
        #expect(silent.message == "hwloc could not read this machine's topology (hwloc_topology_load failed)")
    }

    /// Binding to PUs the machine does not have fails in the kernel (`sched_setaffinity`:
    /// EINVAL), and the error carries hwloc's function and that errno. Run on a thread of its
    /// own, so that even an unexpected success pins no thread the tests share.
    @Test func bindingToAPUThatDoesNotExistIsATopologyErrorWithTheErrno() throws {
        let topology = try Topology()
        let missing = CPUSet(osIndices: [(topology.processingUnits.map(\.osIndex).max() ?? 0) + 4096])
        // Written by the thread before it signals, read here after the wait.
        final class Outcome: @unchecked Sendable { var result: Result<Void, TopologyError>? }
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            outcome.result = Result { () throws(TopologyError) in try topology.bindCurrentThread(to: missing) }
            done.signal()
        }
        thread.start()
        done.wait()
        let result = try #require(outcome.result)
        guard case .failure(let error) = result else {
            Issue.record("binding to PU \(missing) succeeded")
            return
        }
        #expect(error.function == "hwloc_set_cpubind")
        #expect(error.errno != nil, "hwloc set errno: \(error.message)")
        #expect(error.message.hasPrefix("hwloc could not bind the thread to PU(s) \(missing) (hwloc_set_cpubind: "))
    }
}
