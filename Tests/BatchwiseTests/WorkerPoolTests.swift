import CBatchwiseShims
import Dispatch
import Testing
@testable import Batchwise

@Suite(.serialized) struct WorkerPoolTests {
    let topology = try! Topology()

    @Test(arguments: [Placement.compact, .scatter])
    func eachWorkerRunsOnItsPlannedPU(placement: Placement) throws {
        let workers = topology.processingUnitCount
        let plan = try PlacementPlan(topology: topology, workers: workers, placement: placement)
        let pool = try WorkerPool(topology: topology, plan: plan)
        // What the workers saw right after pinning themselves.
        for report in pool.placementReports {
            #expect(report.binding == CPUSet(osIndices: [report.planned.osIndex]))
            #expect(report.runningOn == report.planned.osIndex)
        }
        // And again from inside a job, read back by sched_getcpu and by hwloc.
        let seen = PerWorkerSlots<[Int]>(count: workers, initial: [])
        let topology = self.topology
        pool.run { context in
            let cpu = Int(CBatchwiseShims_sched_getcpu())
            let binding = (try? topology.currentThreadBinding())?.osIndices ?? []
            let last = (try? topology.lastCPULocation())?.osIndices ?? []
            seen[context.index] = [cpu] + binding + last
        }
        for w in 0..<workers {
            let pu = plan.units[w].osIndex
            #expect(seen[w] == [pu, pu, pu], "worker \(w): sched_getcpu, hwloc binding, hwloc last location")
        }
        pool.shutdown()
    }

    @Test func dispatchThreadsAreNotLeftPinned() throws {
        let all = try topology.currentThreadBinding() // the test thread is never pinned
        let plan = try PlacementPlan(topology: topology, workers: 4, placement: .compact, oversubscribe: true)
        var pool: WorkerPool? = try WorkerPool(topology: topology, plan: plan)
        pool!.run { _ in }
        pool!.shutdown()
        pool = nil
        // Run many items on the global pool, concurrently so that the threads that ran the
        // workers are among them; none may still be bound to a single PU.
        let bindings = PerWorkerSlots<CPUSet?>(count: 32, initial: nil)
        let topology = self.topology
        DispatchQueue.concurrentPerform(iterations: 32) { i in
            bindings[i] = try? topology.currentThreadBinding()
        }
        // Workers ran on serial queues, whose threads come from Dispatch's overcommit pool;
        // items on fresh serial queues reuse those threads first.
        let group = DispatchGroup()
        let more = PerWorkerSlots<CPUSet?>(count: 16, initial: nil)
        for i in 0..<16 {
            let queue = i % 2 == 0 ? DispatchQueue.global() : DispatchQueue(label: "batchwise.test.\(i)")
            queue.async(group: group) { more[i] = try? topology.currentThreadBinding() }
        }
        group.wait()
        for binding in bindings.values + more.values {
            #expect(binding == all)
        }
    }

    @Test(arguments: [1, 2, 3, 5, 8])
    func barrierSeparatesRounds(workers: Int) throws {
        let plan = try PlacementPlan(topology: topology, workers: workers, placement: .compact, oversubscribe: true)
        let pool = try WorkerPool(topology: topology, plan: plan)
        let rounds = 200
        let marks = PerWorkerSlots<Int>(count: workers, initial: 0)
        let violations = PerWorkerSlots<Int>(count: workers, initial: 0)
        pool.run { context in
            for round in 1...rounds {
                marks[context.index] = round
                context.barrier.arriveAndWait()
                // After the barrier every worker must have written this round's mark…
                for v in 0..<context.count where marks[v] != round { violations[context.index] += 1 }
                // …and nobody may start the next round before everyone has checked.
                context.barrier.arriveAndWait()
            }
        }
        #expect(violations.values.allSatisfy { $0 == 0 })
        // Many short jobs in a row hand over correctly too.
        for job in 1...50 {
            pool.run { context in marks[context.index] = -job }
            #expect(marks.values == Array(repeating: -job, count: workers))
        }
    }
}
