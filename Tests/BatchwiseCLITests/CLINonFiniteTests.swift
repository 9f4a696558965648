@testable import Batchwise
import Foundation
import BatchwiseTestSupport
import Testing

/// Non-finite results are never silent: weights that overflow stop the run before a checkpoint
/// takes them, a run that skipped most of its batches ends with an error, and eval and predict
/// refuse a checkpoint of NaN or infinite weights. A failed run leaves no half-written file.
extension CLITests {
    /// One feature x, target 0.4·x, plus one sample with x = 3·10¹⁹: with the weight near
    /// 0.4 its loss (0.4·3·10¹⁹)² ≈ 1.4·10³⁸ is still a finite Float, but its gradient
    /// 2·(w·x)·x ≈ 7·10³⁸ is not, so the update makes the weights infinite.
    static let overflowingCSV: String = {
        var rows = (0..<59).map { i in "\(Double(i) / 59),\(0.4 * Double(i) / 59)" }
        rows.insert("3e19,0", at: 30)
        return rows.joined(separator: "\n")
    }()

    @Test func weightsThatOverflowStopTheRunAndTheLastFiniteCheckpointIsKept() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let csv = try temporaryCSV(Self.overflowingCSV)
        defer { try? FileManager.default.removeItem(atPath: csv) }
        for policy in ["stop", "skip"] {
            try? FileManager.default.removeItem(atPath: dir)
            try expectCleanFailure(["train", "--data", csv, "--loss", "mse", "--layers", "1,1", "--lr", "0.5", "--momentum", "0",
                                    "--batch-size", "1", "--validation-split", "0", "--epochs", "3", "--on-nonfinite", policy,
                                    "--checkpoint-dir", dir, "--checkpoint-every", "5", "--quiet"],
                                   mentioning: ["weights became NaN or infinite", "loss was finite", "--lr"])
            let checkpoint = try Checkpoint.load(from: dir)
            #expect(checkpoint.parameters.allSatisfy { $0.isFinite }, "the checkpoint on disk is the last finite one")
            #expect(checkpoint.state.scheduleStep % 5 == 0 && checkpoint.state.scheduleStep < 180)
            let eval = try batchwise(["eval", "--checkpoint", dir, "--data", csv])
            #expect(eval.status == 0, "\(eval.stderr)")
            let files = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
            #expect(files == [CheckpointDirectory.lockFileName, Checkpoint.fileName].sorted(), "no temporary file (the run's lock stays)")
        }
    }

    @Test func skippingMostBatchesIsAnErrorAndSkippingAFewIsNot() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // x·w with x = 10³⁰ overflows the loss (Float): every batch holding such a row is skipped.
        func csv(outlierEvery k: Int) throws -> String {
            try temporaryCSV((0..<96).map { i in i % k == 0 ? "1e30,0,0" : "\(Double(i % 9) / 9),\(Double(i % 5) / 5),\(Double(i % 4) / 4)" }.joined(separator: "\n"))
        }
        let many = try csv(outlierEvery: 4), few = try csv(outlierEvery: 97)
        defer { for f in [many, few] { try? FileManager.default.removeItem(atPath: f) } }
        let run = ["train", "--loss", "mse", "--layers", "2,8,1", "--batch-size", "8", "--validation-split", "0",
                   "--epochs", "2", "--on-nonfinite", "skip", "--quiet"]
        let line = try expectCleanFailure(run + ["--data", many, "--checkpoint-dir", dir],
                                          mentioning: ["22 of 24 batches", "skipped", "--on-nonfinite skip", dir, "--lr"])
        #expect(line.contains("learned from only"))
        // Every epoch's checkpoint was written (skipped batches leave the weights finite).
        let checkpoint = try Checkpoint.load(from: dir)
        #expect(checkpoint.state.scheduleStep == 24 && checkpoint.parameters.allSatisfy { $0.isFinite })
        // One outlier row: one batch in 12 is skipped, and the run ends well.
        let fine = try batchwise(run + ["--data", few])
        #expect(fine.status == 0, "\(fine.stderr)")
        #expect(fine.stdout.contains("2 non-finite batch(es) skipped"), "\(fine.stdout)")
    }

    @Test func evalAndPredictRefuseNonFiniteWeights() throws {
        let dir = try trainedFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var checkpoint = try Checkpoint.load(from: dir + "/ck")
        checkpoint.parameters[3] = .nan
        checkpoint.parameters[7] = -.infinity
        try checkpoint.write(to: dir + "/ck")
        let digits = dir + "/digits.csv"
        try (0..<4).map { r in (0..<64).map { _ in "1" }.joined(separator: ",") + ",\(r)" }.joined(separator: "\n")
            .write(toFile: digits, atomically: true, encoding: .utf8)
        try expectCleanFailure(["eval", "--checkpoint", dir + "/ck", "--data", digits],
                               mentioning: ["checkpoint in \(dir)/ck", "NaN or infinite weights", "(2 of ", "--lr (of batchwise train)"])
        try expectCleanFailure(["predict", "--checkpoint", dir + "/ck", "--data", dir + "/x.csv", "--output", dir + "/p.csv"],
                               mentioning: ["NaN or infinite weights"])
        #expect(!FileManager.default.fileExists(atPath: dir + "/p.csv"), "no predictions file")
    }

    @Test func aFailedRunLeavesNoPartialCheckpointMetricsOrPlot() throws {
        let dir = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let csv = try temporaryCSV(Self.overflowingCSV)
        defer { try? FileManager.default.removeItem(atPath: csv) }
        let outputs = ["--checkpoint-dir", dir + "/ck", "--metrics", dir + "/m.jsonl", "--plot", dir + "/run.svg"]
        // Fails in its first step (one batch of everything, which overflows): no checkpoint,
        // and the metrics and plot of an earlier run are left as they were.
        try "old metrics\n".write(toFile: dir + "/m.jsonl", atomically: true, encoding: .utf8)
        try "old plot\n".write(toFile: dir + "/run.svg", atomically: true, encoding: .utf8)
        try expectCleanFailure(["train", "--data", csv, "--loss", "mse", "--layers", "1,1", "--momentum", "0", "--lr", "0.5",
                                "--batch-size", "60", "--validation-split", "0", "--epochs", "2", "--quiet"] + outputs,
                               mentioning: ["NaN or infinite", "step 1 "])
        // The checkpoint folder was claimed (locked) before training, and holds no checkpoint.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["ck", "m.jsonl", "run.svg"])
        #expect(try DataFixture.contents(dir + "/ck") == [CheckpointDirectory.lockFileName])
        #expect(try String(contentsOfFile: dir + "/m.jsonl", encoding: .utf8) == "old metrics\n")
        #expect(try String(contentsOfFile: dir + "/run.svg", encoding: .utf8) == "old plot\n")
        // Fails after its last epoch (most batches skipped): every file is whole.
        let skipped = try temporaryCSV((0..<96).map { i in i % 4 == 0 ? "1e30,0,0" : "\(Double(i % 9) / 9),\(Double(i % 5) / 5),\(Double(i % 4) / 4)" }.joined(separator: "\n"))
        defer { try? FileManager.default.removeItem(atPath: skipped) }
        try expectCleanFailure(["train", "--data", skipped, "--loss", "mse", "--layers", "2,8,1", "--batch-size", "8",
                                "--validation-split", "0", "--epochs", "2", "--on-nonfinite", "skip", "--quiet"] + outputs,
                               mentioning: ["skipped"])
        #expect(try Checkpoint.load(from: dir + "/ck").state.history.count == 2)
        let metrics = try String(contentsOfFile: dir + "/m.jsonl", encoding: .utf8)
        #expect(metrics.hasSuffix("\n"))
        let lines = metrics.split(separator: "\n")
        #expect(lines.count == 2, "one whole line per epoch:\n\(metrics)")
        for line in lines { #expect(try JSONSerialization.jsonObject(with: Data(line.utf8)) is [String: Any]) }
        #expect(try String(contentsOfFile: dir + "/run.svg", encoding: .utf8).hasSuffix("</svg>\n"))
        for folder in [dir, dir + "/ck"] {
            let temporaries = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.contains(".tmp-") }
            #expect(temporaries.isEmpty, "no temporary file in \(folder)")
        }
    }
}
