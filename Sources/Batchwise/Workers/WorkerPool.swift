import Atomics
import CBatchwiseShims
import Dispatch

/// What a worker saw about itself right after pinning, read from inside its own thread.
public struct WorkerPlacementReport: Sendable, Equatable {
    /// The worker's index in the pool.
    public let worker: Int
    /// The PU the plan gave the worker.
    public let planned: ProcessingUnit
    /// The binding hwloc reads back for the thread (`hwloc_get_cpubind`).
    public let binding: CPUSet
    /// Where the thread was running (`sched_getcpu`).
    public let runningOn: Int
    /// The kernel thread id.
    public let threadID: Int64
}

/// What a job sees on each worker: its index and the barrier it shares with the others.
public struct WorkerContext: @unchecked Sendable {
    /// This worker's index, `0..<count`.
    public let index: Int
    /// Number of workers running the job.
    public let count: Int
    /// The barrier all workers of the pool share.
    public let barrier: Barrier
}

/// A pool of W long-lived worker threads, each pinned to its planned PU for its whole life.
///
/// Each worker is one long-running work item on its own serial Dispatch queue. On start it
/// remembers the thread's binding, pins itself (`hwloc_set_cpubind`), and loops: wait for a
/// job, run it, report done. On shutdown it restores the original binding before returning
/// the thread to Dispatch, so no pool thread stays pinned. Handing a job over costs one
/// counter increment and (only if a worker sleeps) one futex wake — no lock, allocation or
/// Dispatch call — and a job normally runs many training steps.
public final class WorkerPool: @unchecked Sendable {
    /// Which PU each worker is pinned to.
    public let plan: PlacementPlan
    /// The machine the workers are pinned on.
    public let topology: Topology
    /// Number of workers.
    public var count: Int { plan.workerCount }
    /// The barrier workers meet at inside a job.
    public let barrier: Barrier
    /// Where each worker found itself after pinning (index = worker).
    public var placementReports: [WorkerPlacementReport] { reports.values.compactMap { $0 } }

    private let jobReady = WaitWord()
    private let jobDone = WaitWord()
    private let remaining: UnsafeAtomic<Int>
    private var job: (@Sendable (WorkerContext) -> Void)?
    private var shuttingDown = false
    private let lifetime = DispatchGroup()
    private let queues: [DispatchQueue]
    private let reports: PerWorkerSlots<WorkerPlacementReport?>
    private let startupErrors: PerWorkerSlots<TopologyError?>

    /// Starts and pins the workers; returns once every worker has pinned itself.
    public init(topology: Topology, plan: PlacementPlan) throws(TopologyError) {
        self.topology = topology
        self.plan = plan
        let oversubscribed = plan.workerCount > topology.processingUnitCount
            || Set(plan.units.map(\.osIndex)).count < plan.workerCount
        barrier = Barrier(parties: plan.workerCount, spinLimit: oversubscribed ? 0 : 20_000)
        remaining = UnsafeAtomic.create(0)
        queues = (0..<plan.workerCount).map { DispatchQueue(label: "batchwise.worker.\($0)") }
        startupErrors = PerWorkerSlots(count: plan.workerCount, initial: nil)
        reports = PerWorkerSlots(count: plan.workerCount, initial: nil)
        remaining.store(plan.workerCount, ordering: .sequentiallyConsistent)
        let started = jobDone.load()
        for worker in 0..<plan.workerCount {
            lifetime.enter()
            queues[worker].async { [self] in workerMain(worker) }
        }
        jobDone.wait(whileEqualTo: started, spinLimit: 0)
        if let error = startupErrors.values.compactMap({ $0 }).first {
            shutdown()
            throw error
        }
    }

    deinit {
        shutdown()
        remaining.destroy()
    }

    /// Runs `job` once on every worker and returns when all have finished.
    ///
    /// Call from one thread at a time (the trainer's). The job may meet at `context.barrier`.
    public func run(_ job: @escaping @Sendable (WorkerContext) -> Void) {
        precondition(!shuttingDown, "WorkerPool.run after shutdown")
        self.job = job
        let seen = jobDone.load()
        remaining.store(count, ordering: .sequentiallyConsistent)
        jobReady.advance()
        // The caller is not pinned and may share a core with a worker: sleep, don't spin.
        jobDone.wait(whileEqualTo: seen, spinLimit: 0)
        self.job = nil
    }

    /// Stops the workers, restores their threads' original bindings, and waits for them.
    /// Idempotent. The running workers keep the pool alive, so its owner must call this (the
    /// `Trainer` does in its `deinit`); only then are the threads given back to Dispatch.
    public func shutdown() {
        guard !shuttingDown else { return }
        shuttingDown = true
        remaining.store(count, ordering: .sequentiallyConsistent)
        jobReady.advance()
        lifetime.wait()
    }

    private func finishedOne() {
        if remaining.wrappingDecrementThenLoad(ordering: .acquiringAndReleasing) == 0 {
            jobDone.advance()
        }
    }

    private func workerMain(_ worker: Int) {
        defer { lifetime.leave() }
        let planned = plan.units[worker]
        let original: CPUSet
        do {
            original = try topology.currentThreadBinding()
        } catch {
            startupErrors[worker] = error
            finishedOne()
            return
        }
        // From here on, whatever happens, the thread goes back to Dispatch unpinned.
        defer { try? topology.bindCurrentThread(to: original) }
        do {
            try topology.bindCurrentThread(to: CPUSet(osIndices: [planned.osIndex]))
            reports[worker] = WorkerPlacementReport(
                worker: worker, planned: planned,
                binding: try topology.currentThreadBinding(),
                runningOn: Int(CBatchwiseShims_sched_getcpu()),
                threadID: CBatchwiseShims_gettid())
        } catch {
            startupErrors[worker] = error
            finishedOne()
            return
        }
        let context = WorkerContext(index: worker, count: count, barrier: barrier)
        var seen = jobReady.load()
        finishedOne()
        while true {
            jobReady.wait(whileEqualTo: seen, spinLimit: barrier.spinLimit)
            seen = jobReady.load()
            if shuttingDown { return }
            job?(context)
            finishedOne()
        }
    }
}
