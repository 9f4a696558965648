import Foundation
import Testing

/// What the MPI tests need to watch a running job: its standard output line by line as the
/// ranks print it (the tests synchronise on those lines, never on time), and each rank's
/// process and threads as `/proc` shows them.
extension CLITests {
    /// Runs `executable arguments…` with its standard output on a pipe: `line` is called with
    /// each line (and the process) as it arrives, until it returns false; the rest of the output
    /// is then read to the end. Standard error goes to a file. A run still going after
    /// `timeout` seconds is killed (a signal, that is a failure, as in `run`). When `line`
    /// throws, the job is terminated and the error rethrown once it has ended.
    static func runReadingLines(_ executable: URL, _ arguments: [String], timeout: Double,
                                line: (String, Process) throws -> Bool) throws -> Run {
        let fm = FileManager.default
        let errURL = fm.temporaryDirectory.appendingPathComponent("batchwise-cli-\(UUID().uuidString).err")
        _ = fm.createFile(atPath: errURL.path, contents: nil)
        defer { try? fm.removeItem(at: errURL) }
        let err = try FileHandle(forWritingTo: errURL)
        let out = Pipe()
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        try Self.launch(process)
        // The child has its own copy: without closing ours, the pipe would never reach its end.
        // (Foundation may have closed it already; then this does nothing.)
        try? out.fileHandleForWriting.close()
        let watched = ProcessBox(process)
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
            if watched.process.isRunning { watched.process.terminate() }
        }
        var text = "", pending = "", listening = true
        var failure: Error?
        while true {
            let chunk = out.fileHandleForReading.availableData  // blocks until output or the end
            if chunk.isEmpty { break }
            let piece = String(decoding: chunk, as: UTF8.self)
            text += piece
            pending += piece
            while listening, let newline = pending.firstIndex(of: "\n") {
                let current = String(pending[..<newline])
                pending.removeSubrange(...newline)
                do {
                    listening = try line(current, process)
                } catch {
                    failure = error
                    listening = false
                    process.terminate()
                }
            }
        }
        process.waitUntilExit()
        try err.close()
        if let failure { throw failure }
        return Run(status: process.terminationStatus, reason: process.terminationReason, stdout: text,
                   stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }

    /// Starts `process` as a shell would: with no signal blocked. A child inherits the signal
    /// mask of the thread that starts it, and the test runner's threads block nearly every
    /// signal; `mpirun` started with SIGTERM blocked could never be stopped by the watchdog
    /// (nor pass a stop on to its ranks). So the child is started from a thread of its own
    /// that unblocks them first.
    static func launch(_ process: Process) throws {
        final class Outcome: @unchecked Sendable { var error: Error? }
        let outcome = Outcome(), done = DispatchSemaphore(value: 0)
        let thread = Thread {
            var none = sigset_t()
            sigemptyset(&none)
            pthread_sigmask(SIG_SETMASK, &none, nil)
            do { try process.run() } catch { outcome.error = error }
            done.signal()
        }
        thread.start()
        done.wait()
        if let error = outcome.error { throw error }
    }

    /// Lets the watchdog reach the process from another thread.
    private final class ProcessBox: @unchecked Sendable {
        let process: Process
        init(_ process: Process) { self.process = process }
    }

    /// The ranks of the running job whose command line holds `marker`, by rank: the rank each
    /// process has in `MPI_COMM_WORLD`, as Open MPI's launcher tells it in the environment
    /// (`OMPI_COMM_WORLD_RANK`).
    static func ranks(marked marker: String) -> [Int: Int32] {
        var ranks: [Int: Int32] = [:]
        for pid in processes(matching: ["batchwise", "train", marker], excluding: "mpirun") {
            guard let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { continue }
            for entry in environment.split(separator: 0) {
                let text = String(decoding: entry, as: UTF8.self)
                if text.hasPrefix("OMPI_COMM_WORLD_RANK="), let rank = Int(text.dropFirst("OMPI_COMM_WORLD_RANK=".count)) {
                    ranks[rank] = pid
                }
            }
        }
        return ranks
    }

    /// The PUs each thread of process `pid` may run on (`Cpus_allowed_list` of
    /// `/proc/PID/task/TID/status`), by thread id.
    static func threadCPUs(of pid: Int32) -> [Int32: Set<Int>] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        var result: [Int32: Set<Int>] = [:]
        for task in tasks {
            guard let tid = Int32(task),
                  let status = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/status", encoding: .utf8),
                  let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }) else { continue }
            result[tid] = cpuList(line.dropFirst("Cpus_allowed_list:".count))
        }
        return result
    }

    /// `0-2,5` → {0, 1, 2, 5} (the kernel's list format, as in `Cpus_allowed_list`).
    static func cpuList<S: StringProtocol>(_ text: S) -> Set<Int> {
        var cpus = Set<Int>()
        for range in text.split(separator: ",") {
            let ends = range.split(separator: "-").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            if ends.count == 1 { cpus.insert(ends[0]) }
            if ends.count == 2, ends[0] <= ends[1] { cpus.formUnion(ends[0]...ends[1]) }
        }
        return cpus
    }
}
