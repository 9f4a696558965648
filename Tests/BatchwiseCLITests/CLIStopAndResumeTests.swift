@testable import Batchwise
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Long runs as schedulers treat them: SIGINT and SIGTERM sent to a training child process,
/// resuming by re-running the same command (`--resume DIR`, `--resume auto`), and one run per
/// checkpoint directory. Runs are tiny (the built-in digits: 45 steps an epoch at batch 32).
///
/// Signals at a known step come from the child itself (`BATCHWISE_TEST_RAISE=INT@20`, see
/// `StopSignals`): it sends the signal when exactly that many steps are done and waits until
/// the signal has been taken, so nothing here depends on timing.
extension CLITests {
    /// Runs `batchwise arguments…` with `environment` added to this process's.
    func batchwise(_ arguments: [String], environment: [String: String]) throws -> Run {
        let executable = try #require(Self.executable)
        let saved = environment.keys.map { ($0, ProcessInfo.processInfo.environment[$0]) }
        for (key, value) in environment { setenv(key, value, 1) }
        defer { for (key, value) in saved { if let value { setenv(key, value, 1) } else { unsetenv(key) } } }
        return try Self.run(executable, arguments, timeout: 240)
    }

    /// The arguments of the `resume with:` command a stopped run printed (after the program).
    func resumeArguments(_ run: Run, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String] {
        let line = try #require(run.stdoutLines.first { $0.hasPrefix("stopped by ") }, "a 'stopped by' line in:\n\(run.stdout)",
                                sourceLocation: sourceLocation)
        let command = try #require(line.components(separatedBy: "resume with: ").last, sourceLocation: sourceLocation)
        return Array(command.split(separator: " ").map(String.init).dropFirst())
    }

    @Test(arguments: [("INT", SIGINT, Int32(130)), ("TERM", SIGTERM, Int32(143))])
    func aSignalMidEpochStopsAfterTheStepWithACheckpointThereAndTheResumedRunIsBitIdentical(
        _ name: String, _ signal: Int32, _ status: Int32
    ) throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = ["train", "--epochs", "2", "--threads", "2", "--optimizer", "adamw", "--lr-schedule", "cosine", "--quiet"]
        let straight = try batchwise(run)
        #expect(straight.status == 0, "\(straight.stderr)")
        let stopped = try batchwise(run + ["--checkpoint-dir", dir], environment: ["BATCHWISE_TEST_RAISE": "\(name)@20"])
        #expect(stopped.reason == .exit && stopped.status == status, "status \(stopped.status), stderr: \(stopped.stderr)")
        #expect(stopped.stderr.isEmpty)
        #expect(stopped.stdout.contains("stopped by SIG\(name) at epoch 1, step 20 of 45 (20 steps done); checkpoint at step 20 in \(dir)"))
        #expect(!stopped.stdout.contains("done:"))
        let checkpoint = try Checkpoint.load(from: dir)
        #expect(checkpoint.state.epoch == 1 && checkpoint.state.stepInEpoch == 20 && checkpoint.state.scheduleStep == 20)
        // The printed command is the run's own, with --resume added.
        let again = try resumeArguments(stopped)
        #expect(again == run + ["--checkpoint-dir", dir, "--resume", dir])
        let resumed = try batchwise(again)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("resumed: from \(dir) at epoch 1, step 20"))
        #expect(try weightsDigest(resumed) == weightsDigest(straight))
    }

    /// A real signal from outside, whenever it lands: the run stops at a step boundary, the
    /// checkpoint is at the step the line names, and the run resumes bit-identically.
    @Test func aSignalFromOutsideStopsCleanlyWhereverItLands() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let executable = try #require(Self.executable)
        let run = ["train", "--epochs", "1000", "--threads", "2", "--quiet", "--checkpoint-dir", dir]
        let stopped = try Self.run(executable, run, timeout: 240) { process in
            // The first epoch's checkpoint shows the run is training (a condition, not a delay).
            while !FileManager.default.fileExists(atPath: dir + "/" + Checkpoint.fileName) && process.isRunning { usleep(1000) }
            kill(process.processIdentifier, SIGTERM)
        }
        #expect(stopped.reason == .exit && stopped.status == 143, "status \(stopped.status), stderr: \(stopped.stderr)")
        let line = try #require(stopped.stdoutLines.first { $0.hasPrefix("stopped by SIGTERM") }, "\(stopped.stdout)")
        let match = try #require(line.firstMatch(of: /\((\d+) steps done\)/))
        let step = try #require(Int(match.1))
        let checkpoint = try Checkpoint.load(from: dir)
        #expect(checkpoint.state.scheduleStep == step)
        #expect(checkpoint.state.optimizerSteps == step)
        // Resumed to a few steps further, it matches a run straight to there.
        let target = String(step + 7)
        let resumed = try batchwise(try resumeArguments(stopped) + ["--max-steps", target])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let straight = try batchwise(["train", "--epochs", "1000", "--threads", "2", "--quiet", "--max-steps", target])
        #expect(try weightsDigest(resumed) == weightsDigest(straight))
    }

    /// A second SIGINT ends the run at once: no checkpoint at that step, and the directory
    /// keeps the last periodic (or epoch-end) one, from which the run resumes bit-identically.
    @Test(arguments: [(["--checkpoint-every", "7"], 10, 7), (["--checkpoint-every", "7"], 50, 49), ([], 50, 45)])
    func aSecondSigintAbortsAndTheRunResumesFromTheLastPeriodicCheckpoint(_ every: [String], _ at: Int, _ expected: Int) throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = ["train", "--epochs", "2", "--threads", "2", "--quiet", "--checkpoint-dir", dir] + every
        let aborted = try batchwise(run, environment: ["BATCHWISE_TEST_RAISE": "INT@\(at),INT@\(at)"])
        #expect(aborted.reason == .exit && aborted.status == 130, "status \(aborted.status), stderr: \(aborted.stderr)")
        #expect(aborted.stderr.contains("error: a second signal (SIGINT): stopped at once"))
        #expect(!aborted.stdout.contains("stopped by"))
        #expect(try Checkpoint.load(from: dir).state.scheduleStep == expected)
        // A killed writer's temporary file, as if the abort had come mid-write: removed.
        let stale = dir + "/.checkpoint.bwck.tmp-999999-0"
        #expect(FileManager.default.createFile(atPath: stale, contents: Data(repeating: 1, count: 100)))
        let resumed = try batchwise(run + ["--resume", "auto"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("resumed: from \(dir) at epoch \(expected < 45 ? 1 : 2), step \(expected % 45)"))
        #expect(resumed.stdout.contains("note: removed 1 temporary file(s)"))
        #expect(!FileManager.default.fileExists(atPath: stale))
        let straight = try batchwise(["train", "--epochs", "2", "--threads", "2", "--quiet"])
        #expect(try weightsDigest(resumed) == weightsDigest(straight))
    }

    /// `--resume auto`: the same command line starts the run, continues it, and then says it
    /// is complete; `--checkpoint-every` carries over.
    @Test func resumeAutoStartsContinuesAndFinishesWithOneCommandLine() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = ["train", "--epochs", "2", "--threads", "2", "--quiet", "--checkpoint-dir", dir, "--resume", "auto"]
        let first = try batchwise(run + ["--checkpoint-every", "4", "--max-steps", "10"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(!first.stdout.contains("resumed:"))
        #expect(first.stdout.contains("paused: 10 steps done"))
        let second = try batchwise(run)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("resumed: from \(dir) at epoch 1, step 10"))
        #expect(try Checkpoint.load(from: dir).configuration.checkpointEvery == 4)
        let straight = try batchwise(["train", "--epochs", "2", "--threads", "2", "--quiet"])
        #expect(try weightsDigest(second) == weightsDigest(straight))
        let third = try batchwise(run)
        #expect(third.reason == .exit && third.status == 0, "\(third.stderr)")
        #expect(third.stdout.contains("is already complete: 2 of 2 epoch(s)") && third.stdout.contains("--epochs N"))
        #expect(!third.stdout.contains("done:"))
        let longer = try batchwise(run + ["--epochs", "3"])
        #expect(longer.status == 0, "\(longer.stderr)")
        #expect(longer.stdout.contains("done: 3 epoch(s)"))
        try expectCleanFailure(["train", "--resume", "auto"], mentioning: ["--resume auto", "--checkpoint-dir"])
    }

    /// Every flag stored in the checkpoint: the same value is accepted (re-running the start
    /// command works), another one is refused with both values named.
    @Test func eachLockedFlagIsAcceptedWhenEqualAndRefusedWhenChanged() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let locked: [(flag: String, value: String?, other: String?)] = [
            ("--layers", "64,32,10", "64,48,10"), ("--activation", "tanh", "relu"), ("--loss", "cross-entropy", "mse"),
            ("--optimizer", "sgd", "adam"), ("--lr", "0.04", "0.05"), ("--momentum", "0.8", "0.9"), ("--nesterov", nil, nil),
            ("--weight-decay", "0.0001", "0.001"), ("--batch-size", "32,64@2", "32"), ("--last-batch", "drop", "keep"),
            ("--lr-schedule", "step:0.5@2", "cosine"), ("--warmup-steps", "3", "4"), ("--lr-scaling", "linear", "none"),
            ("--base-batch-size", "32", "64"), ("--patience", "3", "4"), ("--on-nonfinite", "skip", "stop"),
            ("--seed", "5", "6"), ("--validation-split", "0.25", "0.3"), ("--normalize", "minmax", "standard"), ("--scale", "2", "4"),
        ]
        let start = ["train", "--epochs", "2", "--max-steps", "5", "--checkpoint-dir", dir, "--quiet"]
            + locked.flatMap { [$0.flag] + ($0.value.map { [$0] } ?? []) }
        #expect(try batchwise(start).status == 0)
        let same = try batchwise(start + ["--resume", dir])
        #expect(same.status == 0, "the start command again, with --resume: \(same.stderr)")
        #expect(same.stdout.contains("paused: 5 steps done"))
        for (i, entry) in locked.enumerated() {
            var changed = ["train", "--resume", dir]
            for (j, e) in locked.enumerated() where j < i { changed += [e.flag] + (e.value.map { [$0] } ?? []) }
            if let other = entry.other {
                changed += [entry.flag, other]
                try expectCleanFailure(changed, mentioning: ["\(entry.flag) \(other) cannot be changed", "started with \(entry.flag) \(entry.value!)"])
            }
        }
        // Switches and the rest, on runs that had them off or set otherwise.
        let plain = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: plain) }
        #expect(try batchwise(["train", "--epochs", "1", "--max-steps", "2", "--checkpoint-dir", plain, "--quiet"]).status == 0)
        try expectCleanFailure(["train", "--resume", plain, "--nesterov"], mentioning: ["--nesterov cannot be changed", "no --nesterov"])
        try expectCleanFailure(["train", "--resume", plain, "--reproducible"], mentioning: ["--reproducible cannot be changed", "no --reproducible"])
        try expectCleanFailure(["train", "--resume", plain, "--synthetic", "300"], mentioning: ["--synthetic 300", "no --synthetic"])
        try expectCleanFailure(["train", "--resume", plain, "--label", "0"], mentioning: ["--label 0", "no --label"])
        let reproducible = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: reproducible) }
        let grain = ["train", "--epochs", "1", "--max-steps", "2", "--reproducible", "--grain", "8", "--checkpoint-dir", reproducible, "--quiet"]
        #expect(try batchwise(grain).status == 0)
        #expect(try batchwise(grain + ["--resume", reproducible]).status == 0)
        try expectCleanFailure(["train", "--resume", reproducible, "--grain", "16"], mentioning: ["--grain 16", "--grain 8"])
    }

    /// A new run into a directory that holds another run's checkpoint, a directory another
    /// process holds, and the two messages of item 9 of issue 13.
    @Test func aCheckpointDirectoryBelongsToOneRun() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try batchwise(["train", "--epochs", "1", "--max-steps", "3", "--checkpoint-dir", dir, "--quiet"]).status == 0)
        try expectCleanFailure(["train", "--epochs", "2", "--checkpoint-dir", dir],
                               mentioning: [dir, "already holds the checkpoint of another run", "--overwrite", "--resume"])
        let replaced = try batchwise(["train", "--epochs", "1", "--max-steps", "6", "--checkpoint-dir", dir, "--overwrite", "--quiet"])
        #expect(replaced.status == 0, "\(replaced.stderr)")
        #expect(try Checkpoint.load(from: dir).state.scheduleStep == 6)
        try expectCleanFailure(["train", "--resume", dir, "--overwrite"], mentioning: ["--overwrite", "--resume"])
        // While this process holds the directory, a run cannot write there, and says who holds it.
        do {
            let held = try CheckpointDirectory(claiming: dir)
            try expectCleanFailure(["train", "--resume", dir], mentioning: [dir, "in use by another run", "process \(getpid())"])
            withExtendedLifetime(held) {}
        }
        #expect(try batchwise(["train", "--resume", dir, "--max-steps", "7", "--quiet"]).status == 0)
        // The file instead of its directory; --data on a run that trained on built-in data.
        try expectCleanFailure(["train", "--resume", dir + "/checkpoint.bwck"], mentioning: ["not a checkpoint directory", "give the directory", dir])
        let line = try expectCleanFailure(["train", "--resume", dir, "--data", "/tmp/x.csv"], mentioning: ["built-in digits", "without --data"])
        #expect(!line.contains("--synthetic"))
        let synthetic = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: synthetic) }
        #expect(try batchwise(["train", "--synthetic", "200", "--layers", "8,16,3", "--epochs", "1", "--max-steps", "2", "--checkpoint-dir", synthetic, "--quiet"]).status == 0)
        let other = try expectCleanFailure(["train", "--resume", synthetic, "--data", "/tmp/x.csv"], mentioning: ["--synthetic 200", "without --data"])
        #expect(!other.contains("--data or --synthetic"))
    }

    /// Other training data of the same size is refused; the same data at another path is not.
    @Test func resumingOnOtherDataOfTheSameSizeIsRefused() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let rows = { (k: Int) in (0..<100).map { i in "\(Double((i * k) % 13) / 13),\(Double(i % 7) / 7),\(i % 2)" }.joined(separator: "\n") }
        let a = try temporaryCSV(rows(5)), moved = try temporaryCSV(rows(5)), b = try temporaryCSV(rows(3))
        let fewer = try temporaryCSV(rows(5).split(separator: "\n").prefix(60).joined(separator: "\n"))
        defer { for f in [a, moved, b, fewer] { try? FileManager.default.removeItem(atPath: f) } }
        #expect(try batchwise(["train", "--data", a, "--epochs", "2", "--max-steps", "2", "--checkpoint-dir", dir, "--quiet"]).status == 0)
        try expectCleanFailure(["train", "--resume", dir, "--data", b], mentioning: ["not the data the checkpoint's run trained on", "80 samples"])
        try expectCleanFailure(["train", "--resume", dir, "--data", fewer], mentioning: ["80 samples", "now has 48", "same data"])
        let resumed = try batchwise(["train", "--resume", dir, "--data", moved, "--quiet"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
    }
}
