import ArgumentParser
import Batchwise

struct TopologyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topology",
        abstract: "Show this machine's packages, NUMA nodes, cores and PUs, and where each worker would run.")

    @OptionGroup var placement: PlacementOptions

    func run() throws {
        let topology = try Topology()
        print("machine: \(topology.packageCount) package(s), \(topology.numaNodeCount) NUMA node(s), \(topology.coreCount) core(s), \(topology.processingUnitCount) PU(s) available")
        print("vector kernels: \(VectorKernels.level) (all-reduce and optimizer loops); BLAS: \(Gemm.backendName)")
        print("  PU  core  package  NUMA  SMT")
        for pu in topology.processingUnits {
            print(pad(pu.osIndex, 4) + pad(pu.core, 6) + pad(pu.package, 9) + pad(pu.numaNode, 6) + pad(pu.smtRank, 5))
        }
        let plan = try placement.plan(on: topology)
        print("plan: \(plan.workerCount) worker(s), placement \(plan.placement)")
        print("  worker  PU  core  NUMA")
        for (w, pu) in plan.units.enumerated() {
            print(pad(w, 8) + pad(pu.osIndex, 4) + pad(pu.core, 6) + pad(pu.numaNode, 6))
        }
    }

    private func pad(_ value: Int, _ width: Int) -> String {
        let s = String(value)
        return String(repeating: " ", count: max(0, width - s.count)) + s
    }
}
