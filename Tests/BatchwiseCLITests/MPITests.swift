import BatchwiseMPI
import Foundation
import Testing
@testable import Batchwise

/// Multi-process training under a real `mpirun` (Open MPI over loopback), launched from the
/// tests. Skipped, with the reason, only when this build has no MPI (`swift build` without
/// `--traits MPI`). In a build with MPI they fail, never skip, when no `mpirun` is on `$PATH`
/// (the README's test command provides one).
extension CLITests {
    /// The first `mpirun` on `$PATH`.
    static let mpirun: URL? = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        .map { URL(fileURLWithPath: String($0)).appendingPathComponent("mpirun") }
        .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    /// The MPI tests run in a build with the MPI trait; there a missing `mpirun` fails them
    /// (see `aBuildWithMPIFindsMpirunOnThePath`) rather than skipping them.
    static let mpiReady = MPIProcessGroup.isAvailable
    static let mpiSkipReason: Comment = "needs a build with --traits MPI (tools/test builds one and provides mpirun)"

    @Test(.enabled(if: mpiReady, mpiSkipReason))
    func aBuildWithMPIFindsMpirunOnThePath() {
        #expect(Self.mpirun != nil, "this build has the MPI trait but no mpirun is on $PATH (\(ProcessInfo.processInfo.environment["PATH"] ?? "")); install Open MPI (tools/setup --mpi)")
    }

    /// The `mpirun` on `$PATH`; its absence fails the test that asks (never skips it).
    func requireMpirun(sourceLocation: SourceLocation = #_sourceLocation) throws -> URL {
        try #require(Self.mpirun, "no mpirun on $PATH (\(ProcessInfo.processInfo.environment["PATH"] ?? "")) in a build with the MPI trait; install Open MPI (tools/setup --mpi)",
                     sourceLocation: sourceLocation)
    }

    func mpi(_ ranks: Int, _ arguments: [String], timeout: Double = 240,
             started: (Process) throws -> Void = { _ in }) throws -> Run {
        let executable = try #require(Self.executable)
        return try Self.run(try requireMpirun(),
                            ["--allow-run-as-root", "--oversubscribe", "-np", String(ranks), executable.path] + arguments,
                            timeout: timeout, started: started)
    }

    /// Weights from the checkpoint a run left in `dir`.
    func weights(in dir: String) throws -> [Float] { try Checkpoint.load(from: dir).parameters }

    /// Largest |a − b| / max(|b|, 1e-3) over all weights.
    func largestRelativeDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { abs($0 - $1) / max(abs($1), 1e-3) }.max() ?? 0
    }

    /// 2 ranks × 1 worker against 1 process × 2 workers, and 3 ranks × 1 against 1 × 3: each
    /// batch is cut across ranks first, then workers, so the shards are the same; the sums may
    /// be grouped differently (MPI's reduction order), so the tolerance is float rounding
    /// amplified by training: every weight within 1e-4 relative (observed: bit-identical
    /// for 2 ranks). Batch 33 on 1,438 samples leaves an uneven last batch of 19.
    @Test(.enabled(if: mpiReady, mpiSkipReason), arguments: [2, 3])
    func ranksGiveTheWeightsOfOneProcessWithAsManyWorkers(ranks: Int) throws {
        let a = temporaryDirectory(), b = temporaryDirectory()
        defer { for d in [a, b] { try? FileManager.default.removeItem(atPath: d) } }
        let run = ["train", "--epochs", "2", "--batch-size", "33", "--quiet"]
        let distributed = try mpi(ranks, run + ["--distributed", "mpi", "--threads", "1", "--checkpoint-dir", a])
        #expect(distributed.status == 0, "\(distributed.stdout)\(distributed.stderr)")
        #expect(distributed.stdout.contains("distributed: \(ranks) MPI processes × 1 thread(s)"))
        #expect(distributed.stdout.components(separatedBy: "weights sha256").count == 2, "only rank 0 prints")
        let single = try batchwise(run + ["--threads", String(ranks), "--oversubscribe", "--checkpoint-dir", b])
        #expect(single.status == 0, "\(single.stderr)")
        #expect(largestRelativeDifference(try weights(in: a), try weights(in: b)) <= 1e-4)
    }

    @Test(.enabled(if: mpiReady, mpiSkipReason))
    func resumeUnderMPIContinuesExactly() throws {
        let a = temporaryDirectory(), b = temporaryDirectory()
        defer { for d in [a, b] { try? FileManager.default.removeItem(atPath: d) } }
        let run = ["train", "--epochs", "2", "--batch-size", "40", "--optimizer", "adam", "--distributed", "mpi", "--threads", "1", "--quiet"]
        let straight = try mpi(2, run + ["--checkpoint-dir", a])
        #expect(straight.status == 0, "\(straight.stderr)")
        let first = try mpi(2, run + ["--checkpoint-dir", b, "--max-steps", "23"])
        #expect(first.stdout.contains("paused: 23 steps done"), "\(first.stdout)\(first.stderr)")
        let second = try mpi(2, ["train", "--resume", b, "--distributed", "mpi", "--threads", "1", "--quiet"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try weightsDigest(second) == weightsDigest(straight))
    }

    /// Every file of a distributed run is rank 0's: the checkpoint directory, `--metrics` and
    /// `--plot`. The two ranks run in different working directories (`mpirun -wdir`) with the
    /// same relative output paths, so a file any other rank wrote, checked or removed would
    /// show in its own directory: that directory must stay empty and unmodified (its mtime
    /// changes with every entry made or removed in it, even one removed again).
    @Test(.enabled(if: mpiReady, mpiSkipReason))
    func onlyRankZeroWritesFiles() throws {
        let executable = try #require(Self.executable).path
        let zero = temporaryDirectory(), one = temporaryDirectory()
        defer { for d in [zero, one] { try? FileManager.default.removeItem(atPath: d) } }
        for d in [zero, one] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
        let untouched = try FileManager.default.attributesOfItem(atPath: one)[.modificationDate] as? Date
        let rank = [executable, "train", "--distributed", "mpi", "--threads", "1", "--epochs", "2", "--batch-size", "40",
                    "--checkpoint-dir", "checkpoints", "--checkpoint-every", "10", "--metrics", "metrics.jsonl", "--plot", "plot.svg"]
        let run = try Self.run(try requireMpirun(),
                               ["--allow-run-as-root", "--oversubscribe", "-np", "1", "-wdir", zero] + rank
                               + [":", "-np", "1", "-wdir", one] + rank, timeout: 240)
        #expect(run.reason == .exit && run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("distributed: 2 MPI processes"), "\(run.stdout)")
        // Rank 0 wrote every output where it was told to ...
        #expect(try FileManager.default.contentsOfDirectory(atPath: zero).sorted() == ["checkpoints", "metrics.jsonl", "plot.svg"])
        #expect(try Checkpoint.load(from: zero + "/checkpoints").state.isComplete(epochs: 2))
        let records = try String(contentsOfFile: zero + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(records.count == 2, "one metrics record per epoch")
        // ... and rank 1 nothing at all.
        #expect(try FileManager.default.contentsOfDirectory(atPath: one).isEmpty, "rank 1 wrote files")
        #expect(try FileManager.default.attributesOfItem(atPath: one)[.modificationDate] as? Date == untouched,
                "rank 1 made or removed something in its working directory")
    }

    /// `mpirun --bind-to core` gives each rank a core of its own; every thread of each rank —
    /// the workers above all, which pin themselves to the PUs of their plan — stays inside the
    /// CPUs mpirun bound that rank to. What mpirun binds each rank to is read first by a
    /// plain shell launched the same way. The training job is then held still at a known
    /// point, with every rank's workers running: at the end of epoch 1, rank 0 opens its
    /// `--metrics` FIFO, which no one reads until the ranks' threads have been looked at (so
    /// rank 0 waits in `open`, and rank 1 in the next collective).
    @Test(.enabled(if: mpiReady, mpiSkipReason))
    func eachRankKeepsTheCPUsMpirunBoundItTo() throws {
        let mpirun = try requireMpirun(), executable = try #require(Self.executable).path
        let launch = ["--allow-run-as-root", "-np", "2", "--bind-to", "core", "--map-by", "core"]
        let shell = try Self.run(mpirun, launch + ["sh", "-c", "echo \"rank $OMPI_COMM_WORLD_RANK: $(grep Cpus_allowed_list /proc/self/status)\""],
                                 timeout: 60)
        try #require(shell.status == 0, "\(shell.stdout)\(shell.stderr)")
        var bound: [Int: Set<Int>] = [:]
        for line in shell.stdoutLines {
            if let m = try /rank (\d+): Cpus_allowed_list:\s*(\S+)/.firstMatch(in: line) { bound[Int(m.1)!] = Self.cpuList(m.2) }
        }
        let zero = try #require(bound[0], "\(shell.stdout)"), one = try #require(bound[1], "\(shell.stdout)")
        try #require(!zero.isEmpty && !one.isEmpty && zero.isDisjoint(with: one), "mpirun bound the ranks to distinct cores: \(bound)")

        let dir = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fifo = dir + "/metrics.fifo"
        try #require(mkfifo(fifo, 0o600) == 0)
        let marker = String(UInt64.random(in: 1_000_000...9_000_000_000))
        var seen: [Int: [Int32: Set<Int>]] = [:]
        let reader = DispatchGroup()
        let run = try Self.runReadingLines(mpirun, launch + [
            executable, "train", "--distributed", "mpi", "--threads", "2", "--oversubscribe", "--epochs", "2",
            "--batch-size", "40", "--seed", marker, "--metrics", fifo, "--quiet"], timeout: 240) { line, _ in
            guard line.hasPrefix("epoch 1/") else { return true }
            for (rank, pid) in Self.ranks(marked: marker) { seen[rank] = Self.threadCPUs(of: pid) }
            // Let the run go on: read the metrics to their end.
            DispatchQueue.global().async(group: reader) {
                let descriptor = open(fifo, O_RDONLY)
                guard descriptor >= 0 else { return }
                var buffer = [UInt8](repeating: 0, count: 4096)
                while read(descriptor, &buffer, buffer.count) > 0 {}
                close(descriptor)
            }
            return false
        }
        #expect(reader.wait(timeout: .now() + 60) == .success, "the run closed its metrics FIFO")
        #expect(run.reason == .exit && run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(seen.keys.sorted() == [0, 1], "both ranks were running at the end of epoch 1: \(seen)")
        for (rank, threads) in seen.sorted(by: { $0.key < $1.key }) {
            // The main thread, the workers, MPI's and BLAS's threads: at least the main one and two workers.
            #expect(threads.count >= 3, "rank \(rank) has its workers running: \(threads)")
            for (thread, cpus) in threads.sorted(by: { $0.key < $1.key }) {
                #expect(cpus.isSubset(of: bound[rank]!), "rank \(rank), thread \(thread) may run on PUs \(cpus.sorted()) outside its binding \(bound[rank]!.sorted())")
            }
        }
        let training = run.stdoutLines.first { $0.hasPrefix("training: ") }.map(String.init) ?? ""
        let planned = try #require(try /on PU ([0-9,]+), seed/.firstMatch(in: training), "\(run.stdout)").1
        #expect(Self.cpuList(planned).isSubset(of: zero), "rank 0's workers are planned on its own core: \(training)")
    }

    /// A rank killed mid-run ends the job instead of leaving the others waiting in a
    /// collective: `mpirun` exits non-zero (not killed by the test's watchdog), no rank is left
    /// running, and rank 0 — which `mpirun` sends SIGTERM — says so in Batchwise's own words,
    /// in one `error:` line (Open MPI's own wording is not relied on). The rank is killed once
    /// rank 0 has printed its first epoch line, so both ranks are training; nothing waits on a
    /// clock.
    @Test(.enabled(if: mpiReady, mpiSkipReason))
    func killingOneRankEndsTheJobWithAClearMessage() throws {
        let marker = String(UInt64.random(in: 1_000_000...9_000_000_000))
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let executable = try #require(Self.executable).path
        var killed: Int32?
        let run = try Self.runReadingLines(try requireMpirun(), [
            "--allow-run-as-root", "--oversubscribe", "-np", "2", executable,
            "train", "--synthetic", "4000", "--layers", "64,256,10", "--epochs", "1000", "--distributed", "mpi",
            "--threads", "1", "--seed", marker, "--checkpoint-dir", dir, "--checkpoint-every", "20", "--quiet"], timeout: 120) { line, _ in
            guard line.hasPrefix("epoch 1/") else { return true }
            let ranks = Self.ranks(marked: marker)
            let victim = try #require(ranks[1], "found rank 1 among \(ranks)")
            kill(victim, SIGKILL)
            killed = victim
            return false
        }
        try #require(killed != nil, "the run printed its first epoch line: \(run.stdout)\(run.stderr)")
        #expect(run.reason == .exit && run.status != 0, "mpirun exits non-zero (status \(run.status), \(run.reason))")
        let errors = run.stderr.split(separator: "\n").filter { $0.hasPrefix("error: ") }
        #expect(errors.count == 1, "one Batchwise error line, from rank 0: \(run.stderr)")
        #expect(errors.first?.hasPrefix("error: SIGTERM during an MPI job of 2 processes: mpirun is ending the job") == true, "\(run.stderr)")
        #expect(Self.processes(matching: ["batchwise", "train", marker], excluding: "mpirun").isEmpty, "no rank is left running")
        // The last checkpoint rank 0 wrote is whole: written atomically, it loads.
        if FileManager.default.fileExists(atPath: dir + "/" + Checkpoint.fileName) {
            #expect(throws: Never.self) { try Checkpoint.load(from: dir) }
        }
    }

    /// PIDs of processes whose command line holds every word of `words` and not `excluding`.
    static func processes(matching words: [String], excluding: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> Int32? in
            guard let pid = Int32(entry),
                  let raw = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
            let command = raw.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            guard let program = command.first, !program.contains(excluding),
                  words.allSatisfy({ w in command.contains { $0.contains(w) } }) else { return nil }
            return pid
        }
    }

    /// Ranks started with different settings (here: seeds) stop with an error instead of
    /// waiting for each other forever.
    @Test(.enabled(if: mpiReady, mpiSkipReason))
    func ranksThatDisagreeEndTheJobInsteadOfHanging() throws {
        let executable = try #require(Self.executable).path
        let common = ["train", "--distributed", "mpi", "--threads", "1", "--epochs", "1", "--quiet"]
        let run = try Self.run(try requireMpirun(),
                               ["--allow-run-as-root", "--oversubscribe", "-np", "1", executable] + common + ["--seed", "1"]
                               + [":", "-np", "1", executable] + common + ["--seed", "2"], timeout: 120)
        #expect(run.reason == .exit && run.status != 0)
        #expect(run.stderr.contains("does not train what the others do"), "\(run.stderr)")
    }

    @Test func withoutMPIDistributedRunsSayHowToGetIt() throws {
        if MPIProcessGroup.isAvailable {
            try expectCleanFailure(["train", "--distributed", "nccl"], mentioning: ["--distributed", "mpi"])
        } else {
            try expectCleanFailure(["train", "--distributed", "mpi"], mentioning: ["--traits MPI"])
        }
    }
}
