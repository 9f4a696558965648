import Foundation
import Testing
@testable import Batchwise

/// Output files the CLI cannot write: one `error:` line naming the path, the system's reason
/// and what to do, and nothing half-written left behind.
extension CLITests {
    @Test func predictionsIntoAMissingFolderAreOneClearErrorAndLeaveNoFile() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try batchwise(["train", "--epochs", "1", "--checkpoint-dir", dir, "--quiet"]).status == 0)
        // Two samples of the built-in digits' 64 features.
        let features = dir + "/x.csv"
        try (0..<2).map { _ in Array(repeating: "0", count: 64).joined(separator: ",") }.joined(separator: "\n")
            .write(toFile: features, atomically: true, encoding: .utf8)
        let output = dir + "/no/such/folder/predictions.csv"
        try expectCleanFailure(["predict", "--checkpoint", dir, "--data", features, "--output", output],
                               mentioning: ["--output", output, "does not exist", "create it first"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == [CheckpointDirectory.lockFileName, Checkpoint.fileName, "x.csv"])
    }
}
