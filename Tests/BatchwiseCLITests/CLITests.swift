import CBatchwiseKernels
@testable import Batchwise
import Foundation
import Testing

/// End-to-end: the built `batchwise` executable run as a subprocess. Good runs exit 0 and
/// print what they promise; every bad input exits non-zero (never by a signal) with exactly
/// one `error:` line on stderr that names the problem.
///
/// Serialized: each run pins its workers to the machine's few PUs, so runs are not overlapped.
@Suite(.serialized) struct CLITests {
    // MARK: Running the executable

    struct Run {
        let status: Int32
        let reason: Process.TerminationReason
        let stdout: String
        let stderr: String
        var stdoutLines: [Substring] { stdout.split(separator: "\n") }
    }

    /// The `batchwise` executable that `swift build --build-tests` puts next to the test bundle:
    /// the first directory, walking up from the test bundle or the running test executable,
    /// that holds an executable file named `batchwise`.
    static let executable: URL? = {
        let fm = FileManager.default
        var starts: [URL] = [Bundle.main.bundleURL]
        if let exe = Bundle.main.executableURL { starts.append(exe) }
        if let arg0 = CommandLine.arguments.first {
            starts.append(URL(fileURLWithPath: arg0, relativeTo: URL(fileURLWithPath: fm.currentDirectoryPath)))
        }
        for start in starts {
            var dir = start.standardizedFileURL.resolvingSymlinksInPath()
            for _ in 0..<8 {
                let candidate = dir.appendingPathComponent("batchwise")
                var isDirectory: ObjCBool = false
                if fm.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue,
                   fm.isExecutableFile(atPath: candidate.path) {
                    return candidate
                }
                let parent = dir.deletingLastPathComponent()
                if parent.path == dir.path { break }
                dir = parent
            }
        }
        return nil
    }()

    /// Lets the watchdog reach the process from another thread.
    private final class Watched: @unchecked Sendable {
        let process: Process
        init(_ process: Process) { self.process = process }
    }

    /// Runs `batchwise arguments…` (see `run`).
    func batchwise(_ arguments: [String], timeout: Double = 240, in directory: String? = nil,
                   sourceLocation: SourceLocation = #_sourceLocation) throws -> Run {
        let executable = try #require(Self.executable, """
            no executable named 'batchwise' found in a directory above the test bundle \
            (\(Bundle.main.bundleURL.path)) or \(CommandLine.arguments.first ?? "argv[0]"); \
            build it with 'swift build --build-tests'
            """, sourceLocation: sourceLocation)
        return try Self.run(executable, arguments, timeout: timeout, in: directory)
    }

    /// Runs `executable arguments…`, capturing stdout and stderr through temporary files (no
    /// pipe can fill up and block the child). A run still going after `timeout` seconds is
    /// killed, which the callers see as a signal, that is a failure. `started` is called with
    /// the running process (to signal it, say). `directory` is the child's working directory
    /// (the test's when nil).
    static func run(_ executable: URL, _ arguments: [String], timeout: Double, in directory: String? = nil,
                    started: (Process) throws -> Void = { _ in }) throws -> Run {
        let fm = FileManager.default
        let stem = fm.temporaryDirectory.appendingPathComponent("batchwise-cli-\(UUID().uuidString)")
        let outURL = stem.appendingPathExtension("out"), errURL = stem.appendingPathExtension("err")
        _ = fm.createFile(atPath: outURL.path, contents: nil)
        _ = fm.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? fm.removeItem(at: outURL)
            try? fm.removeItem(at: errURL)
        }
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        try launch(process)
        let watched = Watched(process)
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
            if watched.process.isRunning { watched.process.terminate() }
        }
        try started(process)
        process.waitUntilExit()
        try out.close()
        try err.close()
        return Run(status: process.terminationStatus, reason: process.terminationReason,
                   stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
                   stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }

    /// Asserts a clean failure: a normal non-zero exit and exactly one `error: …` line on
    /// stderr containing every one of `keywords`. Returns that line.
    @discardableResult
    func expectCleanFailure(_ arguments: [String], mentioning keywords: [String],
                            sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let run = try batchwise(arguments, sourceLocation: sourceLocation)
        let command = "batchwise " + arguments.joined(separator: " ")
        #expect(run.reason == .exit, "\(command) was killed by signal \(run.status): a crash", sourceLocation: sourceLocation)
        #expect(run.status != 0, "\(command) exited 0", sourceLocation: sourceLocation)
        #expect(run.stderr.hasSuffix("\n"), "stderr ends its line: \(run.stderr.debugDescription)", sourceLocation: sourceLocation)
        let lines = run.stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == 1, "exactly one stderr line for \(command), got: \(run.stderr.debugDescription)",
                sourceLocation: sourceLocation)
        let line = String(lines.first ?? "")
        #expect(line.hasPrefix("error: "), "\(line.debugDescription) starts with 'error: '", sourceLocation: sourceLocation)
        for keyword in keywords {
            #expect(line.contains(keyword), "\(line.debugDescription) mentions \(keyword.debugDescription)",
                    sourceLocation: sourceLocation)
        }
        return line
    }

    /// A CSV in the temporary directory with a name no other run uses; removed by the caller.
    func temporaryCSV(_ text: String) throws -> String {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("batchwise-cli-\(UUID().uuidString).csv")
        try Data(text.utf8).write(to: url)
        return url.path
    }

    /// The digest from the `weights sha256:` line, which must appear exactly once.
    func weightsDigest(_ run: Run, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let matches = run.stdoutLines.compactMap { try? /weights sha256: ([0-9a-f]{64})/.wholeMatch(in: $0) }
        #expect(matches.count == 1, "one 'weights sha256: <64 hex>' line in:\n\(run.stdout)", sourceLocation: sourceLocation)
        return String(try #require(matches.first, sourceLocation: sourceLocation).1)
    }

    // MARK: Good runs

    @Test func executableIsFound() throws {
        let url = try #require(Self.executable, "no 'batchwise' executable next to the test bundle \(Bundle.main.bundleURL.path)")
        #expect(FileManager.default.isExecutableFile(atPath: url.path))
    }

    @Test func trainTwoEpochsPrintsOneLinePerEpochAndTheDigest() throws {
        let run = try batchwise(["train", "--epochs", "2"])
        #expect(run.reason == .exit)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stderr.isEmpty)
        let epochLines = run.stdoutLines.filter { $0.hasPrefix("epoch ") }
        #expect(epochLines.count == 2, "one line per epoch in:\n\(run.stdout)")
        #expect(epochLines.first?.hasPrefix("epoch 1/2 ") == true)
        #expect(epochLines.last?.hasPrefix("epoch 2/2 ") == true)
        #expect(run.stdoutLines.contains { $0.hasPrefix("done: 2 epoch(s)") })
        _ = try weightsDigest(run)
    }

    @Test func sameSeedAndThreadsGiveTheSameDigestAndAnotherSeedAnotherDigest() throws {
        let args = ["train", "--epochs", "1", "--threads", "2"]
        let first = try batchwise(args + ["--seed", "7"])
        let second = try batchwise(args + ["--seed", "7"])
        let other = try batchwise(args + ["--seed", "8"])
        for run in [first, second, other] {
            #expect(run.reason == .exit && run.status == 0, "stderr: \(run.stderr)")
        }
        let a = try weightsDigest(first), b = try weightsDigest(second), c = try weightsDigest(other)
        #expect(a == b, "same seed, same threads ⇒ bit-identical weights")
        #expect(a != c, "another seed ⇒ other weights")
    }

    @Test func oversubscribedThreadsRun() throws {
        let run = try batchwise(["train", "--threads", "3", "--oversubscribe", "--epochs", "1"])
        #expect(run.reason == .exit)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stdout.contains("3 thread(s)"))
        _ = try weightsDigest(run)
    }

    @Test func trainOnACSVFile() throws {
        // Two separable classes, 20 samples: 16 train and 4 held out.
        var text = "a,b,class\n"
        for i in 0..<20 { text += "\(Double(i) / 20),\(i % 2),\(i % 2)\n" }
        let path = try temporaryCSV(text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try batchwise(["train", "--data", path, "--label", "class", "--epochs", "2", "--batch-size", "4"])
        #expect(run.reason == .exit)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stdout.contains("16 training, 4 validation samples, 2 features"))
        #expect(run.stdout.contains("model: 2-128-2 "))
        _ = try weightsDigest(run)
    }

    @Test func topologyListsPUsAndAPlan() throws {
        let run = try batchwise(["topology"])
        #expect(run.reason == .exit)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let lines = run.stdoutLines.map(String.init)
        let summary = try #require(lines.first)
        let puCount = try #require(summary.firstMatch(of: /(\d+) PU\(s\) available/)).1
        let table = try #require(lines.firstIndex { $0.trimmingCharacters(in: .whitespaces).hasPrefix("PU  core") })
        let planIndex = try #require(lines.firstIndex { $0.hasPrefix("plan: ") })
        #expect(planIndex - table - 1 == Int(puCount), "one row per PU:\n\(run.stdout)")
        // The child process picks the same vector-kernel level as this one (same CPU).
        #expect(lines.contains { $0.hasPrefix("vector kernels: \(VectorKernels.name(bw_kernels_best_level())) ") })
        let workers = try #require(lines[planIndex].firstMatch(of: /plan: (\d+) worker\(s\)/)).1
        let workerRows = lines[(planIndex + 2)...].filter { !$0.isEmpty }
        #expect(lines.count > planIndex + 1 && lines[planIndex + 1].contains("worker"))
        #expect(workerRows.count == Int(workers))
        #expect(Int(workers)! >= 1)
    }

    @Test func topologyPlansOversubscribedThreads() throws {
        let run = try batchwise(["topology", "--threads", "3", "--oversubscribe"])
        #expect(run.reason == .exit && run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stdout.contains("plan: 3 worker(s)"))
    }

    @Test func trainHelpSaysTheGradientIsAveragedOverTheBatch() throws {
        let run = try batchwise(["train", "--help"])
        #expect(run.reason == .exit)
        #expect(run.status == 0)
        let text = run.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(text.contains("the gradient is averaged over the batch"), "in:\n\(run.stdout)")
        #expect(text.contains("--batch-size"))
    }

    // MARK: Bad flags

    @Test(arguments: [
        (["--batch-size", "0"], ["--batch-size", "at least 1"]),
        (["--threads", "0"], ["--threads", "at least 1"]),
        (["--threads", "64"], ["64 threads", "--oversubscribe"]),
        (["--lr", "-1"], ["--lr", "above 0"]),
        (["--lr=-1"], ["--lr", "above 0"]),
        (["--lr", "nan"], ["--lr", "finite"]),
        (["--activation", "swish"], ["activation", "swish"]),
        (["--loss", "foo"], ["loss", "foo"]),
        (["--layers", "64,abc,10"], ["--layers", "64,abc,10"]),
        (["--layers", "32,10"], ["64 features", "32 wide"]),
        (["--data", "/nonexistent.csv"], ["/nonexistent.csv", "no such file"]),
        (["--epochs", "0"], ["--epochs", "at least 1"]),
        (["--threads", "-1"], ["--threads", "at least 1"]),
        (["--batch-size", "-5"], ["--batch-size", "at least 1"]),
        (["--momentum", "1.5"], ["momentum", "[0, 1)"]),
        (["--nesterov", "--momentum", "0"], ["Nesterov", "momentum"]),
        (["--placement", "spread"], ["placement", "spread"]),
        (["--threads", "500", "--oversubscribe"], ["500 threads", "at most"]),
        (["--layers", "64,1000000,100000,10"], ["GiB", "--layers"]),
        (["--synthetic", "100"], ["--synthetic", "--layers"]),
        (["--test", "/tmp/x.csv"], ["--test", "--data"]),
    ] as [([String], [String])])
    func badFlagFailsWithOneErrorLine(_ flags: [String], _ keywords: [String]) throws {
        // One epoch, unless the epoch count is what is being tested.
        let epochs = flags.contains("--epochs") ? [] : ["--epochs", "1"]
        try expectCleanFailure(["train"] + epochs + flags, mentioning: keywords)
    }

    @Test func unknownOptionFailsCleanly() throws {
        try expectCleanFailure(["train", "--bogus"], mentioning: ["--bogus"])
    }

    // MARK: Bad CSV files

    /// (what, file contents, keywords, "line:column" the error must point at or nil)
    @Test(arguments: [
        ("ragged row", "1,2,0\n3,4,1\n5,6\n", ["the row has 2 cells", "first row has 3"], ":3:"),
        ("non-numeric cell", "1,2,0\n3,abc,1\n", ["'abc' is not a number"], ":2:2:"),
        ("NaN", "1,2,0\n3,NaN,1\n", ["'NaN'", "not a finite number"], ":2:2:"),
        ("Inf", "1,2,0\n3,4,1\ninf,5,0\n", ["'inf'", "not a finite number"], ":3:1:"),
        ("negative label", "1,2,0\n3,4,-2\n", ["label '-2'"], ":2:3:"),
        ("non-integer label", "1,2,0\n3,4,0.5\n", ["label '0.5'"], ":2:3:"),
        ("empty file", "", ["empty"], ": "),
    ] as [(String, String, [String], String)])
    func badCSVFailsWithOneErrorLineThatLocatesTheProblem(_ what: String, _ contents: String,
                                                          _ keywords: [String], _ location: String) throws {
        let path = try temporaryCSV(contents)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try expectCleanFailure(["train", "--epochs", "1", "--data", path],
                               mentioning: keywords + ["error: " + path + location])
    }
}
