import Atomics

/// A request, from any thread, that training stop at the next step boundary: the step in
/// flight finishes on every worker (and every process), then ``TrainingSession/run(_:)``
/// writes a checkpoint at that exact step and returns
/// ``TrainingSession/Outcome/stopped(atStep:reason:)``.
///
/// Requesting is one atomic store, so a thread that waits for signals can do it (the
/// `batchwise` command turns SIGINT and SIGTERM into a request). The workers look at it once
/// per step — worker 0, before the step's first barrier, so every worker sees the same answer
/// after it — and the session before each job.
///
/// ```swift
/// let stop = StopRequest()
/// session.stopRequest = stop
/// // on another thread: stop.request(reason: Int(SIGTERM))
/// if case .stopped(let step, _) = try session.run() { print("stopped after step \(step)") }
/// ```
public final class StopRequest: Sendable {
    /// 0 until the first request, then its reason (never 0).
    private let state = ManagedAtomic<Int>(0)

    /// No stop requested yet.
    public init() {}

    /// Asks the run to stop; `reason` (nonzero, such as the signal's number) is kept for the
    /// caller. Only the first request's reason is kept; later ones change nothing.
    public func request(reason: Int = 1) {
        _ = state.compareExchange(expected: 0, desired: reason == 0 ? 1 : reason, ordering: .relaxed)
    }

    /// Whether a stop has been requested.
    @inline(__always) public var isRequested: Bool { state.load(ordering: .relaxed) != 0 }

    /// The first request's reason, or nil before any.
    public var reason: Int? {
        let value = state.load(ordering: .relaxed)
        return value == 0 ? nil : value
    }
}
