import BatchwiseTestSupport
import Foundation
import Testing
@testable import Batchwise

/// Writing never destroys what a path points to: a symbolic link stays a link (its target is
/// replaced atomically), a FIFO or device is written as it is, and `FileStatus` recognises one
/// file under two spellings.
@Suite struct AtomicFileTargetTests {
    static func folder() throws -> String { try DataFixture.temporaryDirectory().path }

    @Test func aSymbolicLinkIsFollowedAndStaysALink() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder + "/real", withIntermediateDirectories: false)
        try Data("old\n".utf8).write(to: URL(fileURLWithPath: folder + "/real/out.csv"))
        try FileManager.default.createSymbolicLink(atPath: folder + "/link.csv", withDestinationPath: "real/out.csv")
        try AtomicFile.write(Array("new\n".utf8), to: folder + "/link.csv")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: folder + "/link.csv") == "real/out.csv")
        #expect(try String(contentsOfFile: folder + "/real/out.csv", encoding: .utf8) == "new\n")
        // The temporary file went beside the target and is gone.
        #expect(try DataFixture.contents(folder + "/real") == ["out.csv"])
        #expect(try DataFixture.contents(folder) == ["link.csv", "real"])
        #expect(try FileStatus(path: folder + "/link.csv", followingLinks: false)?.kind == .symbolicLink)
    }

    @Test func aDanglingLinkCreatesTheFileItNames() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createSymbolicLink(atPath: folder + "/link.svg", withDestinationPath: folder + "/target.svg")
        try AtomicFile.write(Array("<svg/>".utf8), to: folder + "/link.svg")
        #expect(try String(contentsOfFile: folder + "/target.svg", encoding: .utf8) == "<svg/>")
        #expect(FileStatus.destination(of: folder + "/link.svg") == folder + "/target.svg")
        #expect(try FileStatus(path: folder + "/link.svg", followingLinks: false)?.kind == .symbolicLink)
    }

    @Test func aDeviceIsWrittenAndNotReplaced() throws {
        try AtomicFile.write(Array("discarded\n".utf8), to: "/dev/null")
        #expect(try FileStatus(path: "/dev/null")?.kind == .characterDevice)
    }

    @Test func aFIFOIsWrittenThroughAndStaysAFIFO() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let reader = try FIFOReader(path: folder + "/pipe")
        try AtomicFile.write(Array("a,b\n1,2\n".utf8), to: reader.path)
        #expect(reader.text() == "a,b\n1,2\n")
        #expect(try FileStatus(path: reader.path)?.kind == .fifo)
        #expect(try DataFixture.contents(folder) == ["pipe"], "no temporary file beside it")
    }

    @Test func theTwoStepWriteRefusesAFIFOInsteadOfReplacingIt() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/checkpoint.bwck"
        #expect(mkfifo(path, 0o600) == 0)
        let error = try #require(throws: AtomicFileError.self) { try AtomicFile.writeTemporary(Array("x".utf8), for: path) }
        #expect(error.step == .create && error.errno == .notSupported)
        #expect(try FileStatus(path: path)?.kind == .fifo)
        #expect(try DataFixture.contents(folder) == ["checkpoint.bwck"])
    }

    @Test func oneFileUnderTwoSpellingsIsTheSameFile() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Data("1,2\n".utf8).write(to: URL(fileURLWithPath: folder + "/data.csv"))
        try Data("1,2\n".utf8).write(to: URL(fileURLWithPath: folder + "/copy.csv"))
        try FileManager.default.createSymbolicLink(atPath: folder + "/link.csv", withDestinationPath: "data.csv")
        let data = try #require(try FileStatus(path: folder + "/data.csv"))
        #expect(data.kind == .regular)
        #expect(try #require(try FileStatus(path: folder + "/./link.csv")).isSameFile(as: data))
        #expect(try !#require(try FileStatus(path: folder + "/copy.csv")).isSameFile(as: data))
        #expect(try FileStatus(path: folder + "/missing.csv") == nil)
        #expect(try FileStatus(path: folder + "/data.csv/inside") == nil, "ENOTDIR is 'nothing there'")
    }

    @Test func aFolderThatTakesNoFilesSaysWhy() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(FileStatus.cannotCreateFiles(in: folder) == nil)
        #expect(try DataFixture.contents(folder) == [], "the probe is removed")
        #expect(FileStatus.cannotCreateFiles(in: folder + "/missing") == .noSuchFileOrDirectory)
        #if os(Linux)
        // procfs takes no new files, even from root.
        #expect(FileStatus.cannotCreateFiles(in: "/proc") != nil)
        #endif
    }
}
