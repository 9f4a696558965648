import Foundation
import Testing
@testable import Batchwise

/// The noise scale and `--batch-size auto` across the processes of an MPI job.
extension CLITests {
    /// 2 ranks × 1 thread measure the noise over the sources of both ranks: the epoch records'
    /// noise scale equals a 1-process × 2-thread run's (the same shards; observed bit-identical).
    @Test(.enabled(if: mpiReady, mpiSkipReason))
    func theNoiseScaleIsMeasuredAcrossRanks() throws {
        let dir = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = dir + "/mpi.jsonl", b = dir + "/one.jsonl"
        let run = ["train", "--epochs", "2", "--quiet"]
        let distributed = try mpi(2, run + ["--distributed", "mpi", "--threads", "1", "--metrics", a])
        #expect(distributed.status == 0, "\(distributed.stdout)\(distributed.stderr)")
        #expect(!distributed.stdout.contains("not measured"))
        let single = try batchwise(run + ["--threads", "2", "--metrics", b])
        #expect(single.status == 0, "\(single.stderr)")
        func noise(_ path: String) throws -> [Double] {
            try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
                try #require(try JSONDecoder().decode(EpochRecord.self, from: Data($0.utf8)).noiseScale)
            }
        }
        let across = try noise(a), within = try noise(b)
        #expect(across.count == 2 && within.count == 2)
        for (x, y) in zip(across, within) { #expect(abs(x - y) <= 1e-6 * abs(y), "\(across) against \(within)") }
    }

    /// Auto under MPI: every rank takes the same decisions (the session checks it after each
    /// and stops with an error if not), the batch changes, and the run finishes.
    @Test(.enabled(if: mpiReady, mpiSkipReason))
    func autoUnderMPIAgreesAcrossRanks() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try mpi(2, ["train", "--distributed", "mpi", "--threads", "1", "--batch-size", "auto:16..128", "--adapt-every", "5",
                              "--epochs", "3", "--quiet", "--checkpoint-dir", dir])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let checkpoint = try Checkpoint.load(from: dir)
        let sizes = try #require(checkpoint.state.adaptive?.changes.map(\.decision.batchSize))
        #expect(sizes.count >= 2, "the batch changed: \(sizes)")
        #expect(run.stdout.contains("batch size: auto over 16, 24, 32, 48, 64, 96, 128"))
    }
}
