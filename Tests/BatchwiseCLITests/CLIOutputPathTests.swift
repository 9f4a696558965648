import Batchwise
import BatchwiseTestSupport
import Foundation
import Testing

/// Every output path is checked before anything is trained, and writing never destroys what
/// a path points to: `-` is standard output, a device or FIFO is written as it is, a link is
/// followed and stays a link, and an output that is an input is refused.
extension CLITests {
    /// A new folder holding a checkpoint of one epoch on the digits, and 3 rows of 64 features.
    func trainedFolder() throws -> String {
        let dir = temporaryDirectory()
        let run = try batchwise(["train", "--epochs", "1", "--checkpoint-dir", dir + "/ck", "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        try (0..<3).map { r in (0..<64).map { String(($0 + r) % 17) }.joined(separator: ",") }.joined(separator: "\n")
            .write(toFile: dir + "/x.csv", atomically: true, encoding: .utf8)
        return dir
    }

    /// Outputs named by one letter, relative to the working directory, are ordinary paths
    /// (Foundation's `deletingLastPathComponent` traps on a one-character path; Batchwise
    /// crashed on `--checkpoint-dir c` before it stopped using it): the run writes each.
    @Test func oneLetterOutputPathsAreWritten() throws {
        let dir = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try batchwise(["train", "--epochs", "1", "--quiet", "--checkpoint-dir", "c", "--metrics", "m", "--plot", "p"], in: dir)
        #expect(run.reason == .exit && run.status == 0, "\(run.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["c", "m", "p"])
        #expect(throws: Never.self) { try Checkpoint.load(from: dir + "/c") }
        // A one-letter file given to --resume is named as a file, with the folder to give instead.
        let resumed = try batchwise(["train", "--resume", "m"], in: dir)
        #expect(resumed.reason == .exit && resumed.status != 0, "\(resumed.stderr)")
        #expect(resumed.stderr.hasPrefix("error: ") && resumed.stderr.contains("give the directory that holds \(Checkpoint.fileName): ."), "\(resumed.stderr)")
    }

    /// (flags that name a bad output, words the error must contain)
    @Test(arguments: [
        (["--checkpoint-dir", "DIR/file.txt/ck"], ["--checkpoint-dir", "'DIR/file.txt' is a file"]),
        (["--checkpoint-dir", "DIR/file.txt"], ["--checkpoint-dir", "is a file, not a folder"]),
        (["--metrics", "DIR/missing/m.jsonl"], ["--metrics", "'DIR/missing' does not exist"]),
        (["--plot", "DIR/missing/run.svg"], ["--plot", "'DIR/missing' does not exist"]),
        (["--plot", "DIR"], ["--plot", "is a folder", "DIR/run.svg"]),
        (["--metrics", "DIR"], ["--metrics", "is a folder"]),
        (["--plot", "-"], ["--plot -", "give a file name"]),
        (["--plot", "/proc/run.svg"], ["--plot", "cannot create files in the folder '/proc'"]),
        (["--checkpoint-dir", "/proc/ck"], ["--checkpoint-dir", "cannot create anything in '/proc'"]),
        (["--metrics", "DIR/file.txt"], []),
    ] as [([String], [String])])
    func aBadOutputPathIsOneErrorBeforeAnythingIsTrained(_ flags: [String], _ keywords: [String]) throws {
        let dir = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "x\n".write(toFile: dir + "/file.txt", atomically: true, encoding: .utf8)
        let arguments = ["train", "--epochs", "1", "--quiet"] + flags.map { $0.replacingOccurrences(of: "DIR", with: dir) }
        if keywords.isEmpty {
            // The control: a writable regular file is fine.
            let run = try batchwise(arguments)
            #expect(run.status == 0, "\(run.stderr)")
            return
        }
        try expectCleanFailure(arguments, mentioning: keywords.map { $0.replacingOccurrences(of: "DIR", with: dir) })
        let run = try batchwise(arguments)
        #expect(run.stdout.isEmpty, "nothing loaded or trained: \(run.stdout)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["file.txt"], "nothing created")
    }

    @Test func aFolderThatTakesNoFilesIsRefusedBeforeTraining() throws {
        // Root may write anywhere a permission is concerned, so root is shown a read-only file
        // system (procfs, above); everyone else a folder without write permission.
        guard getuid() != 0 else { return }
        let dir = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir + "/locked", withIntermediateDirectories: true)
        defer {
            chmod(dir + "/locked", 0o755)
            try? FileManager.default.removeItem(atPath: dir)
        }
        #expect(chmod(dir + "/locked", 0o555) == 0)
        try expectCleanFailure(["train", "--epochs", "1", "--plot", dir + "/locked/run.svg"], mentioning: ["--plot", "Permission denied"])
        try expectCleanFailure(["train", "--epochs", "1", "--checkpoint-dir", dir + "/locked/ck"], mentioning: ["--checkpoint-dir", "Permission denied"])
    }

    @Test func predictChecksItsOutputBeforeLoadingAnything() throws {
        let dir = try trainedFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let predict = ["predict", "--checkpoint", dir + "/ck", "--data", dir + "/x.csv", "--output"]
        try expectCleanFailure(predict + [dir + "/missing/p.csv"], mentioning: ["--output", "does not exist"])
        try expectCleanFailure(predict + [dir], mentioning: ["--output", "is a folder"])
        try expectCleanFailure(predict + [dir + "/x.csv"], mentioning: ["--output", "same file as --data"])
        try expectCleanFailure(predict + [dir + "/ck/checkpoint.bwck"], mentioning: ["--output", "same file as"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["ck", "x.csv"])
    }

    @Test func anOutputThatIsAnInputIsRefusedUnderAnySpelling() throws {
        let dir = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir + "/sub", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rows = ""
        for i in 0..<40 { rows += "\(Double(i % 7) / 7),\(Double(i % 3) / 3),\(i % 2)\n" }
        try rows.write(toFile: dir + "/data.csv", atomically: true, encoding: .utf8)
        let original = try Data(contentsOf: URL(fileURLWithPath: dir + "/data.csv"))
        try FileManager.default.createSymbolicLink(atPath: dir + "/sub/link.csv", withDestinationPath: "../data.csv")
        #expect(link(dir + "/data.csv", dir + "/hard.csv") == 0)
        let train = ["train", "--epochs", "1", "--data", dir + "/data.csv", "--quiet"]
        for spelling in [dir + "/data.csv", dir + "/sub/../data.csv", dir + "/./data.csv", dir + "/sub/link.csv", dir + "/hard.csv"] {
            try expectCleanFailure(train + ["--metrics", spelling], mentioning: ["--metrics", "same file as --data", "destroy the input"])
            try expectCleanFailure(train + ["--plot", spelling], mentioning: ["--plot", "same file as --data"])
        }
        try expectCleanFailure(train + ["--test", dir + "/data.csv", "--plot", dir + "/sub/link.csv"], mentioning: ["same file as"])
        try expectCleanFailure(train + ["--metrics", dir + "/m.jsonl", "--plot", dir + "/./m.jsonl"], mentioning: ["--metrics", "--plot", "same file"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/data.csv")) == original, "the data is untouched")
    }

    @Test func dashIsStandardOutputForMetricsAndPredictions() throws {
        let dir = try trainedFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let train = try batchwise(["train", "--epochs", "2", "--metrics", "-", "--quiet"])
        #expect(train.status == 0, "\(train.stderr)")
        // Standard output holds only the JSON lines; the run's own lines moved to stderr.
        #expect(train.stdoutLines.count == 2)
        for (i, line) in train.stdoutLines.enumerated() {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            #expect(object["epoch"] as? Int == i + 1)
        }
        #expect(train.stderr.contains("epoch 2/2 ") && train.stderr.contains("weights sha256: "))
        #expect(!FileManager.default.fileExists(atPath: "-"))

        let predict = try batchwise(["predict", "--checkpoint", dir + "/ck", "--data", dir + "/x.csv", "--output", "-"])
        #expect(predict.status == 0, "\(predict.stderr)")
        #expect(predict.stdoutLines.first == "prediction,p0,p1,p2,p3,p4,p5,p6,p7,p8,p9")
        #expect(predict.stdoutLines.count == 4)
        #expect(predict.stderr.contains("wrote 3 prediction(s) to standard output"))
    }

    @Test func devicesAreWrittenAndNotReplaced() throws {
        let dir = try trainedFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let train = try batchwise(["train", "--epochs", "1", "--metrics", "/dev/null", "--plot", "/dev/null", "--quiet"])
        #expect(train.status == 0, "\(train.stderr)")
        let predict = try batchwise(["predict", "--checkpoint", dir + "/ck", "--data", dir + "/x.csv", "--output", "/dev/null"])
        #expect(predict.status == 0, "\(predict.stderr)")
        #expect(try FileStatus(path: "/dev/null")?.kind == .characterDevice)
    }

    @Test func aFIFOIsWrittenThroughForMetricsAndPredictions() throws {
        let dir = try trainedFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let metrics = try FIFOReader(path: dir + "/metrics.fifo")
        let train = try batchwise(["train", "--epochs", "2", "--metrics", metrics.path, "--quiet"])
        #expect(train.status == 0, "\(train.stderr)")
        let lines = try #require(metrics.text(), "the run closed the FIFO").split(separator: "\n")
        #expect(lines.count == 2 && lines.allSatisfy { $0.hasPrefix("{\"epoch\":") })
        #expect(try FileStatus(path: metrics.path)?.kind == .fifo)

        let predictions = try FIFOReader(path: dir + "/predictions.fifo")
        let predict = try batchwise(["predict", "--checkpoint", dir + "/ck", "--data", dir + "/x.csv", "--output", predictions.path])
        #expect(predict.status == 0, "\(predict.stderr)")
        let text = try #require(predictions.text())
        #expect(text.hasPrefix("prediction,p0,") && text.split(separator: "\n").count == 4)
        #expect(try FileStatus(path: predictions.path)?.kind == .fifo)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["ck", "metrics.fifo", "predictions.fifo", "x.csv"])
    }

    @Test func symbolicLinksAreFollowedAndStayLinks() throws {
        let dir = try trainedFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/real", withIntermediateDirectories: false)
        for name in ["run.svg", "m.jsonl", "p.csv"] {
            try "old\n".write(toFile: dir + "/real/" + name, atomically: true, encoding: .utf8)
            try FileManager.default.createSymbolicLink(atPath: dir + "/" + name, withDestinationPath: "real/" + name)
        }
        let train = try batchwise(["train", "--epochs", "2", "--plot", dir + "/run.svg", "--metrics", dir + "/m.jsonl", "--quiet"])
        #expect(train.status == 0, "\(train.stderr)")
        let predict = try batchwise(["predict", "--checkpoint", dir + "/ck", "--data", dir + "/x.csv", "--output", dir + "/p.csv"])
        #expect(predict.status == 0, "\(predict.stderr)")
        for name in ["run.svg", "m.jsonl", "p.csv"] {
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/" + name) == "real/" + name, "\(name) stays a link")
        }
        #expect(try String(contentsOfFile: dir + "/real/run.svg", encoding: .utf8).contains("</svg>"))
        #expect(try String(contentsOfFile: dir + "/real/m.jsonl", encoding: .utf8).split(separator: "\n").count == 2)
        #expect(try String(contentsOfFile: dir + "/real/p.csv", encoding: .utf8).hasPrefix("prediction,p0,"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/real").sorted() == ["m.jsonl", "p.csv", "run.svg"], "no temporary left")
    }
}
