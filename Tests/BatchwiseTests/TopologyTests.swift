import Testing
@testable import Batchwise

@Suite struct TopologyTests {
    let topology = try! Topology()

    @Test func reportsTheMachinesProcessingUnits() {
        #expect(topology.processingUnitCount >= 1)
        #expect(topology.coreCount >= 1)
        #expect(Set(topology.processingUnits.map(\.osIndex)).count == topology.processingUnitCount)
        for pu in topology.processingUnits {
            #expect(topology.processingUnit(osIndex: pu.osIndex) == pu)
        }
    }

    @Test func compactPlanTakesOnePUPerCoreInOrder() throws {
        let n = topology.processingUnitCount
        let plan = try PlacementPlan(topology: topology, workers: n, placement: .compact)
        #expect(plan.units.count == n)
        #expect(Set(plan.units.map(\.osIndex)).count == n, "no PU is used twice while PUs remain")
        let cores = plan.units.prefix(topology.coreCount).map(\.core)
        #expect(Set(cores).count == cores.count, "SMT siblings come only after every core has a worker")
    }

    @Test func compactOrderPutsSMTSiblingsLast() {
        // A fake 2-core, 2-way SMT machine: PUs 0,2 on core 0 and 1,3 on core 1.
        let units = [
            ProcessingUnit(osIndex: 0, core: 0, package: 0, numaNode: 0, smtRank: 0),
            ProcessingUnit(osIndex: 2, core: 0, package: 0, numaNode: 0, smtRank: 1),
            ProcessingUnit(osIndex: 1, core: 1, package: 0, numaNode: 0, smtRank: 0),
            ProcessingUnit(osIndex: 3, core: 1, package: 0, numaNode: 0, smtRank: 1),
        ]
        #expect(PlacementPlan.compactOrder(units).map(\.osIndex) == [0, 1, 2, 3])
    }

    @Test func scatterAlternatesNUMANodes() {
        // A fake machine of two NUMA nodes with two cores each.
        let units = (0..<4).map { ProcessingUnit(osIndex: $0, core: $0, package: $0 / 2, numaNode: $0 / 2, smtRank: 0) }
        #expect(PlacementPlan.scatterOrder(units).map(\.numaNode) == [0, 1, 0, 1])
        #expect(PlacementPlan.scatterOrder(units).map(\.osIndex) == [0, 2, 1, 3])
    }

    @Test func explicitListIsHonoured() throws {
        let last = topology.processingUnits.last!.osIndex
        let plan = try PlacementPlan(topology: topology, workers: 1, placement: .explicit([last]))
        #expect(plan.units.map(\.osIndex) == [last])
    }

    @Test func tooManyWorkersNeedOversubscribe() throws {
        let n = topology.processingUnitCount
        #expect(throws: ConfigurationError.self) {
            try PlacementPlan(topology: topology, workers: n + 1, placement: .compact)
        }
        let plan = try PlacementPlan(topology: topology, workers: n + 1, placement: .compact, oversubscribe: true)
        #expect(plan.units.count == n + 1)
        #expect(plan.units[n] == plan.units[0], "the plan wraps around")
    }

    @Test func badPlacementsAreErrors() {
        #expect(throws: ConfigurationError.self) { try Placement(parsing: "spread") }
        #expect(throws: ConfigurationError.self) { try Placement(parsing: "0,-1") }
        #expect(throws: ConfigurationError.self) {
            try PlacementPlan(topology: topology, workers: 1, placement: .explicit([100_000]))
        }
        #expect(throws: ConfigurationError.self) {
            try PlacementPlan(topology: topology, workers: 2, placement: .explicit([0]))
        }
        #expect(throws: ConfigurationError.self) {
            try PlacementPlan(topology: topology, workers: 0, placement: .compact)
        }
    }

    @Test func floatBuffersAreAlignedZeroedAndBound() throws {
        for count in [1, 15, 16, 17, 1000] {
            let buffer = FloatBuffer(count: count, topology: topology, numaNode: 0)
            #expect(Int(bitPattern: buffer.pointer) % 64 == 0)
            #expect(buffer.array.allSatisfy { $0 == 0 })
        }
        // Every NUMA node's buffer has its pages on that node, as the kernel reports it.
        for node in 0..<topology.numaNodeCount {
            let buffer = FloatBuffer(count: 1 << 16, topology: topology, numaNode: node)
            #expect(buffer.boundNumaNode == node)
            #expect(try buffer.residentNumaNodes() == [node])
        }
    }
}
