import Batchwise
import CBatchwiseShims
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SIGINT and SIGTERM during `batchwise train`: the first asks the run to stop cleanly (the
/// step in flight finishes, a checkpoint is written at that step, exit status 128 + the
/// signal's number: 130 or 143); a second one, or one before training has started, ends the
/// process at once. Checkpoints are written atomically, so even then no half-written file is
/// left in their place, only a temporary file the next run removes.
///
/// No Swift code runs in a signal handler: both signals are blocked in the main thread before
/// the command starts any thread — every thread started later inherits that mask, and
/// Dispatch's own threads block them anyway — and one plain thread (not Dispatch's, never
/// pinned) takes them with `sigwait(3)` and sets a ``StopRequest``, one atomic store that
/// worker 0 reads between steps. The pinned workers never run any of it. A thread a library
/// started before (OpenBLAS's pool) may still be handed a signal: its C handler only forwards
/// it to the signal thread (`CBatchwiseShims_forward_stop_signals_to_self`).
///
/// In an MPI job of two or more processes the first signal is also said at once, in one
/// `error:` line: there it most often comes from `mpirun` ending the job because a rank
/// failed, and then the step in flight never ends (its collective waits for the dead rank)
/// and `mpirun` kills this process soon after, so a line written after the step would never
/// be seen. When every rank is alive they stop together at the same step as above.
///
/// For tests, `BATCHWISE_TEST_RAISE=INT@20` (or `TERM@20`, or a comma-separated list such as
/// `INT@20,INT@20`) makes the run send itself each signal when it has done exactly that many
/// steps in all, and wait until the signal has been taken: a signal "mid-epoch" at a step
/// known in advance, with no sleep or race in the test. It is read only by `train`.
final class StopSignals: @unchecked Sendable {
    /// Set by the first signal once training has started; its reason is the signal's number.
    let request = StopRequest()
    private let lock = NSLock()
    private var armed = false
    private var received = 0
    /// Signals taken as a stop request (what `raiseAndWait` waits for).
    private var requests = 0
    /// This process's rank and the job's size, in an MPI job of two or more processes.
    private var job: (rank: Int, size: Int)?

    /// The signals taken, in the words of the messages.
    static func name(_ signal: Int32) -> String {
        switch signal {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        default: "signal \(signal)"
        }
    }

    /// Blocks SIGINT and SIGTERM in the calling thread and starts the thread that takes them.
    /// Call on the main thread before anything else can start a thread.
    static func install() -> StopSignals {
        let signals = StopSignals()
        var set = Self.set()
        pthread_sigmask(SIG_BLOCK, &set, nil)
        let ready = DispatchSemaphore(value: 0)
        let thread = Thread {
            // Threads that were running before the mask was set (OpenBLAS starts its pool when
            // it loads) forward the signals here instead of dying of them.
            _ = CBatchwiseShims_forward_stop_signals_to_self()
            ready.signal()
            signals.takeSignals()
        }
        thread.name = "batchwise-signals"
        thread.start()
        ready.wait()
        return signals
    }

    private static func set() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        return set
    }

    /// This process is rank `rank` of an MPI job of `size` processes. There a stop signal
    /// most often means that `mpirun` is ending the job because a rank has failed: the other
    /// ranks then wait in a collective that never completes until `mpirun` kills them, so the
    /// first signal is said at once, in one line, before the clean stop is tried.
    func joined(rank: Int, size: Int) {
        guard size > 1 else { return }
        lock.lock()
        job = (rank, size)
        lock.unlock()
    }

    /// From now on the first signal asks for a clean stop (before, there is nothing to save).
    func arm() {
        lock.lock()
        armed = true
        lock.unlock()
    }

    private func takeSignals() {
        var set = Self.set()
        while true {
            var signal: Int32 = 0
            guard sigwait(&set, &signal) == 0 else { continue }
            lock.lock()
            received += 1
            let first = received == 1, cleanStop = armed && received == 1, job = self.job
            lock.unlock()
            if cleanStop, let job {
                let rank = job.rank > 0 ? "rank \(job.rank): " : ""
                FileHandle.standardError.write(Data("error: \(rank)\(Self.name(signal)) during an MPI job of \(job.size) processes: mpirun is ending the job (a rank failed, or mpirun itself was stopped); this rank stops after the step in flight if the others can finish it, and the last checkpoint written is intact\n".utf8))
            }
            if cleanStop {
                request.request(reason: Int(signal))
                lock.lock()
                requests += 1
                lock.unlock()
                continue
            }
            // Whatever was printed stays printed; the line of a live progress bar is closed.
            if isatty(STDOUT_FILENO) != 0 { print("") }
            fflush(nil)
            let message = first
                ? "error: \(Self.name(signal)) before training started: stopped; nothing was written\n"
                : "error: a second signal (\(Self.name(signal))): stopped at once, without a checkpoint at this step (the last checkpoint written is intact)\n"
            FileHandle.standardError.write(Data(message.utf8))
            _exit(128 + signal)
        }
    }

    // MARK: The test hook

    /// (signal, step) pairs from `BATCHWISE_TEST_RAISE`, in order; empty when it is not set.
    static func testRaises() throws -> [(signal: Int32, step: Int)] {
        guard let text = ProcessInfo.processInfo.environment["BATCHWISE_TEST_RAISE"], !text.isEmpty else { return [] }
        return try text.split(separator: ",").map { item in
            let parts = item.split(separator: "@")
            let signals: [Substring: Int32] = ["INT": SIGINT, "TERM": SIGTERM]
            guard parts.count == 2, let signal = signals[parts[0]], let step = Int(parts[1]), step >= 0 else {
                throw ConfigurationError("BATCHWISE_TEST_RAISE must be a list of INT@STEP or TERM@STEP (got '\(text)')")
            }
            return (signal, step)
        }
    }

    /// Sends `signal` to this process and waits until the signal thread has taken it as a stop
    /// request — or has ended the process, which this thread then never sees.
    func raiseAndWait(_ signal: Int32) {
        lock.lock()
        let before = requests
        lock.unlock()
        kill(getpid(), signal)
        for _ in 0..<100_000 {
            lock.lock()
            let taken = requests > before
            lock.unlock()
            if taken { return }
            usleep(100)
        }
    }
}
