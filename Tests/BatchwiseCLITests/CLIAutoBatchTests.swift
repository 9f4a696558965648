@testable import Batchwise
import BatchwiseTestSupport
import Foundation
import Testing

/// `batchwise train --batch-size auto` end to end: what the epoch line, the metrics log and the
/// plot show, re-running and resuming, and each bad flag refused with one `error:` line.
extension CLITests {
    @Test func autoShowsTheBatchItsGainAndEfficiencyAndLogsThem() throws {
        let dir = try DataFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let metrics = dir.appendingPathComponent("m.jsonl").path, plot = dir.appendingPathComponent("p.svg").path
        let run = try batchwise(["train", "--batch-size", "auto:16..256", "--adapt-every", "10", "--epochs", "4", "--threads", "2",
                                 "--reproducible", "--quiet", "--metrics", metrics, "--plot", plot])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("training: batch auto:16..256, lr 0.05 at batch 16, lr ×gain (AdaScale)"))
        #expect(run.stdout.contains("batch size: auto over 16, 24, 32, 48, 64, 96, 128, 192, 256; decided at each epoch's start and every 10 steps, by efficiency alone"))
        let epochLines = run.stdoutLines.filter { $0.hasPrefix("epoch ") }
        #expect(epochLines.count == 4)
        #expect(epochLines.allSatisfy { $0.contains(try! Regex(#"  batch \d+ \(gain \d+\.\d\d, efficiency \d+%\)"#)) })
        let rows = try String(contentsOfFile: metrics, encoding: .utf8).split(separator: "\n").map {
            try JSONDecoder().decode(EpochRecord.self, from: Data($0.utf8))
        }
        #expect(rows.count == 4)
        #expect(rows.allSatisfy { $0.gain != nil && $0.efficiency != nil && $0.noiseScale != nil })
        // Reproducible: no timing, so no goodput.
        #expect(rows.allSatisfy { $0.goodput == nil })
        #expect(Set(rows.map(\.batchSize)).count >= 2 || rows.contains { $0.batchSize != 16 })
        let svg = try String(contentsOfFile: plot, encoding: .utf8)
        #expect(svg.contains(#"id="batch-size""#))
        // The weights do not depend on the thread count.
        let three = try batchwise(["train", "--batch-size", "auto:16..256", "--adapt-every", "10", "--epochs", "4", "--threads", "3",
                                   "--oversubscribe", "--reproducible", "--quiet"])
        #expect(try weightsDigest(three) == weightsDigest(run))
    }

    @Test func autoWithoutReproducibleMaximisesGoodputAndLogsIt() throws {
        let dir = try DataFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let metrics = dir.appendingPathComponent("m.jsonl").path
        let run = try batchwise(["train", "--batch-size", "auto", "--optimizer", "adam", "--lr", "0.002", "--epochs", "3",
                                 "--threads", "2", "--quiet", "--metrics", metrics])
        #expect(run.status == 0, "\(run.stderr)")
        // Adam's default rule, and the default range for the digits' 1438 training samples.
        #expect(run.stdout.contains("batch auto:32..359, lr 0.002 at batch 32, lr ×√(batch/32)"))
        #expect(run.stdout.contains("for the most goodput"))
        let last = try JSONDecoder().decode(EpochRecord.self, from: Data(try #require(
            try String(contentsOfFile: metrics, encoding: .utf8).split(separator: "\n").last).utf8))
        #expect((last.goodput ?? 0) > 0)
    }

    /// Re-running with `--resume` accepts the same auto flags (defaults filled in as stored)
    /// and refuses a different range; a paused auto run resumes to the uninterrupted weights.
    @Test func anAutoRunResumesExactlyAndKeepsItsFlags() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = ["train", "--batch-size", "auto", "--adapt-every", "7", "--epochs", "3", "--threads", "2", "--reproducible", "--quiet"]
        let straight = try batchwise(run)
        #expect(straight.status == 0, "\(straight.stderr)")
        let paused = try batchwise(run + ["--checkpoint-dir", dir, "--max-steps", "31"])
        #expect(paused.status == 0, "\(paused.stderr)")
        let checkpoint = try Checkpoint.load(from: dir)
        #expect(checkpoint.state.scheduleStep == 31 && checkpoint.state.stepInEpoch > 0)
        #expect(checkpoint.configuration.adaptiveBatch?.maximum == 359)
        _ = try expectCleanFailure(run.map { $0 == "auto" ? "auto:32..128" : $0 } + ["--resume", dir],
                                   mentioning: ["--batch-size auto:32..128 cannot be changed when resuming", "started with --batch-size auto:32..359"])
        _ = try expectCleanFailure(run.map { $0 == "7" ? "8" : $0 } + ["--resume", dir], mentioning: ["--adapt-every 8 cannot be changed"])
        let resumed = try batchwise(run + ["--resume", dir])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try weightsDigest(resumed) == weightsDigest(straight))
    }

    /// SIGTERM in the middle of an auto run (after a change of batch) checkpoints at that
    /// step; the printed resume command finishes it bit-identical to an uninterrupted run.
    @Test func aSignalStopsAnAutoRunAndItsResumeCommandFinishesIt() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = ["train", "--batch-size", "auto:16..128", "--adapt-every", "5", "--epochs", "2", "--threads", "2",
                   "--reproducible", "--quiet"]
        let straight = try batchwise(run)
        #expect(straight.status == 0, "\(straight.stderr)")
        let stopped = try batchwise(run + ["--checkpoint-dir", dir], environment: ["BATCHWISE_TEST_RAISE": "TERM@37"])
        #expect(stopped.status == 143, "\(stopped.stderr)")
        #expect(stopped.stdout.contains("stopped by SIGTERM at epoch ") && stopped.stdout.contains("(37 steps done)"))
        let checkpoint = try Checkpoint.load(from: dir)
        #expect(checkpoint.state.scheduleStep == 37 && checkpoint.state.stepInEpoch > 0, "mid-epoch")
        #expect((checkpoint.state.adaptive?.changes.count ?? 0) >= 2, "the batch changed before the stop")
        let resumed = try batchwise(try resumeArguments(stopped))
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try weightsDigest(resumed) == weightsDigest(straight))
    }

    @Test func badAutoFlagsAreRefusedWithAdvice() throws {
        let cases: [([String], [String])] = [
            (["--batch-size", "auto:64..32"], ["the largest batch 32 is below the smallest 64"]),
            (["--batch-size", "auto:x..64"], ["is not auto or auto:MIN..MAX"]),
            (["--batch-size", "automatic"], ["is not auto or auto:MIN..MAX"]),
            (["--batch-size", "auto:16..5000"], ["more than the 1438 training samples"]),
            (["--batch-size", "auto", "--adapt-every", "0"], ["--adapt-every must be at least 1"]),
            (["--batch-size", "auto", "--reproducible", "--min-efficiency", "1.5"], ["--min-efficiency must be above 0 and at most 1"]),
            (["--batch-size", "auto", "--min-efficiency", "0.5"], ["add --reproducible"]),
            (["--adapt-every", "10"], ["--adapt-every is a setting of --batch-size auto"]),
            (["--batch-size", "64", "--lr-scaling", "adascale"], ["follows the batch that --batch-size auto chooses", "use none or linear"]),
            (["--batch-size", "auto", "--lr-scaling", "cubic"], ["must be adascale, sqrt, linear or none"]),
            (["--batch-size", "auto:16..", "--base-batch-size", "32"], ["under auto the base batch is the smallest one"]),
            (["--batch-size", "auto", "--threads", "1"], ["2 or more threads", "2 or more --threads", "or --reproducible"]),
        ]
        for (flags, words) in cases {
            _ = try expectCleanFailure(["train", "--epochs", "1"] + flags, mentioning: words)
        }
    }
}
