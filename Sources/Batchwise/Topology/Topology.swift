import CHwloc

/// One processing unit (hardware thread) of the machine, as hwloc sees it.
public struct ProcessingUnit: Sendable, Hashable, CustomStringConvertible {
    /// The operating system's index of the PU (what `sched_getcpu` returns).
    public let osIndex: Int
    /// hwloc's logical index of the core that holds the PU.
    public let core: Int
    /// hwloc's logical index of the package (socket) that holds the PU.
    public let package: Int
    /// hwloc's logical index of the NUMA node the PU is local to.
    public let numaNode: Int
    /// 0 for the first hardware thread of a core, 1 for its SMT sibling, …
    public let smtRank: Int

    public var description: String {
        "PU \(osIndex) (core \(core), package \(package), NUMA node \(numaNode))"
    }
}

/// The machine's topology: packages, NUMA nodes, cores and PUs, loaded once through hwloc.
///
/// `Topology` owns the hwloc handle; everything that binds threads or memory goes through it.
/// It is immutable after `init` and may be shared between threads.
public final class Topology: @unchecked Sendable {
    /// The raw hwloc handle. Only the files of `Topology/` use it.
    let handle: hwloc_topology_t
    /// Every PU the process may run on — allowed to it and inside its CPU binding (taskset,
    /// `mpirun --bind-to`) — ordered by core, then SMT rank.
    public let processingUnits: [ProcessingUnit]
    /// Number of processor packages (sockets) hwloc found; at least 1.
    public let packageCount: Int
    /// Number of NUMA nodes hwloc found; at least 1.
    public let numaNodeCount: Int
    /// Number of physical cores hwloc found (each holds one or more PUs).
    public let coreCount: Int
    /// Bytes of memory in all NUMA nodes (0 when hwloc cannot tell).
    public let totalMemoryBytes: UInt64

    /// Loads the topology of this machine (`hwloc_topology_init`, `hwloc_topology_load`).
    public init() throws(TopologyError) {
        var topology: hwloc_topology_t?
        try TopologyError.check("hwloc_topology_init", "hwloc could not initialise a topology") { hwloc_topology_init(&topology) }
        guard let topology else {
            throw TopologyError(message: "hwloc could not initialise a topology (hwloc_topology_init gave no handle)")
        }
        do {
            try TopologyError.check("hwloc_topology_load", "hwloc could not read this machine's topology") { hwloc_topology_load(topology) }
        } catch {
            hwloc_topology_destroy(topology)
            throw error
        }
        handle = topology
        packageCount = max(1, Int(hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_PACKAGE)))
        numaNodeCount = max(1, Int(hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_NUMANODE)))
        coreCount = Int(hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_CORE))
        processingUnits = Topology.readProcessingUnits(topology)
        totalMemoryBytes = hwloc_get_root_obj(topology)?.pointee.total_memory ?? 0
    }

    deinit { hwloc_topology_destroy(handle) }

    /// The number of PUs the process may run on.
    public var processingUnitCount: Int { processingUnits.count }

    /// The PU with this OS index, if the process may run on it.
    public func processingUnit(osIndex: Int) -> ProcessingUnit? {
        processingUnits.first { $0.osIndex == osIndex }
    }

    private static func readProcessingUnits(_ topology: hwloc_topology_t) -> [ProcessingUnit] {
        let allowed = hwloc_topology_get_allowed_cpuset(topology)
        // The process's own binding: a process bound to some PUs (by taskset, or by mpirun for
        // each rank) places its workers on those.
        let bound = hwloc_bitmap_alloc()
        defer { hwloc_bitmap_free(bound) }
        let hasBinding = bound.map { hwloc_get_cpubind(topology, $0, Int32(HWLOC_CPUBIND_PROCESS.rawValue)) == 0 && hwloc_bitmap_iszero($0) == 0 } ?? false
        let numaCount = hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_NUMANODE)
        var units: [ProcessingUnit] = []
        let count = hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_PU)
        for i in 0..<max(0, count) {
            guard let pu = hwloc_get_obj_by_type(topology, HWLOC_OBJ_PU, UInt32(i)) else { continue }
            let os = Int(pu.pointee.os_index)
            if let allowed, hwloc_bitmap_isset(allowed, UInt32(os)) == 0 { continue }
            if hasBinding, let bound, hwloc_bitmap_isset(bound, UInt32(os)) == 0 { continue }
            let core = hwloc_get_ancestor_obj_by_type(topology, HWLOC_OBJ_CORE, pu)
            let package = hwloc_get_ancestor_obj_by_type(topology, HWLOC_OBJ_PACKAGE, pu)
            var numa = 0
            for n in 0..<max(0, numaCount) {
                if let node = hwloc_get_obj_by_type(topology, HWLOC_OBJ_NUMANODE, UInt32(n)),
                   let cpus = node.pointee.cpuset, hwloc_bitmap_isset(cpus, UInt32(os)) != 0 {
                    numa = Int(n)
                    break
                }
            }
            // The SMT rank is the PU's position among its core's children.
            let smtRank = core.map { Int(pu.pointee.logical_index) - Int($0.pointee.first_child?.pointee.logical_index ?? pu.pointee.logical_index) } ?? 0
            units.append(ProcessingUnit(
                osIndex: os,
                core: core.map { Int($0.pointee.logical_index) } ?? Int(pu.pointee.logical_index),
                package: package.map { Int($0.pointee.logical_index) } ?? 0,
                numaNode: numa,
                smtRank: smtRank))
        }
        return units.sorted { ($0.core, $0.smtRank) < ($1.core, $1.smtRank) }
    }
}
