import Foundation
import Testing

/// Item 10's feedback: the line before generating (or loading) data of a few MB, the refusal
/// beyond the memory available, train accuracy, epoch time and ETA on the epoch line, and
/// eval's per-class scores, regression metrics and a confusion matrix fitted to COLUMNS.
extension CLITests {
    @Test func largeDataIsAnnouncedAndDataBeyondTheMemoryIsRefused() throws {
        let run = try batchwise(["train", "--synthetic", "20000", "--layers", "64,8,2", "--epochs", "1", "--max-steps", "2", "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdoutLines.first == "generating synthetic data: 20000 samples × 64 features (5.2 MB)…", "\(run.stdout)")
        let small = try batchwise(["train", "--synthetic", "200", "--layers", "4,2", "--epochs", "1", "--quiet"])
        #expect(!small.stdout.contains("generating"))
        try expectCleanFailure(["train", "--synthetic", "100000000", "--layers", "100000,2"],
                               mentioning: ["--synthetic 100000000", "40 TB of memory", "is available"])
    }

    @Test func theEpochLineGainsTrainAccuracyEpochTimeAndTheRunsETA() throws {
        let run = try batchwise(["train", "--epochs", "2", "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdoutLines.filter { $0.hasPrefix("epoch ") }.map(String.init)
        #expect(lines.count == 2)
        #expect(lines[0].contains(/\ \ train acc \d+\.\d\d%  time \d+\.\d\d s  ETA \d+:\d\d/), "\(lines[0])")
        #expect(lines[1].contains(/\ \ train acc \d+\.\d\d%  time \d+\.\d\d s/) && !lines[1].contains("ETA"), "no ETA after the last epoch: \(lines[1])")
    }

    @Test func evalReportsPerClassScoresAndFitsTheMatrixToColumns() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try batchwise(["train", "--epochs", "1", "--checkpoint-dir", dir, "--quiet"]).status == 0)
        let csv = try temporaryCSV((0..<60).map { i in (0..<64).map { String(($0 * 7 + i) % 17) }.joined(separator: ",") + ",\(i % 10)" }.joined(separator: "\n"))
        defer { try? FileManager.default.removeItem(atPath: csv) }
        let executable = try #require(Self.executable)
        let narrow = try Self.run(URL(fileURLWithPath: "/usr/bin/env"), ["COLUMNS=30", executable.path, "eval", "--checkpoint", dir, "--data", csv], timeout: 240)
        #expect(narrow.status == 0, "\(narrow.stderr)")
        #expect(narrow.stdout.contains("per class:") && narrow.stdout.contains("precision") && narrow.stdout.contains("macro avg"))
        #expect(narrow.stdout.contains("the others summed in …"), "\(narrow.stdout)")
        let matrix = narrow.stdoutLines.drop { !$0.hasPrefix("confusion matrix") }.dropFirst()
        #expect(!matrix.isEmpty && matrix.allSatisfy { $0.count <= 30 }, "\(narrow.stdout)")
        let wide = try Self.run(URL(fileURLWithPath: "/usr/bin/env"), ["COLUMNS=200", executable.path, "eval", "--checkpoint", dir, "--data", csv], timeout: 240)
        #expect(wide.stdoutLines.drop { !$0.hasPrefix("confusion matrix") }.count == 12, "all 10 classes: \(wide.stdout)")
    }

    @Test func evalOfARegressionModelGivesMAERMSEAndRSquared() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let csv = try temporaryCSV((0..<100).map { i in "\(Double(i % 10) / 10),\(Double(i % 10) / 5 + 1)" }.joined(separator: "\n"))
        defer { try? FileManager.default.removeItem(atPath: csv) }
        #expect(try batchwise(["train", "--data", csv, "--loss", "mse", "--epochs", "20", "--checkpoint-dir", dir, "--quiet"]).status == 0)
        let eval = try batchwise(["eval", "--checkpoint", dir, "--data", csv])
        #expect(eval.status == 0, "\(eval.stderr)")
        #expect(eval.stdoutLines.contains { $0.contains(/^mae: [0-9.e-]+, rmse: [0-9.e-]+, r²: -?\d\.\d{4}$/) }, "\(eval.stdout)")
    }
}
