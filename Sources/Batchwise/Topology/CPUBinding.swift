import CHwloc
import SystemPackage

/// A set of PUs by OS index: an owned hwloc bitmap, copied out as plain indices.
public struct CPUSet: Sendable, Hashable, CustomStringConvertible {
    /// OS indices of the PUs in the set, ascending.
    public let osIndices: [Int]

    /// The set of the PUs with these OS indices (in any order; kept sorted).
    public init(osIndices: [Int]) { self.osIndices = osIndices.sorted() }

    init(bitmap: hwloc_const_bitmap_t) {
        var indices: [Int] = []
        var i = hwloc_bitmap_first(bitmap)
        while i >= 0 {
            indices.append(Int(i))
            i = hwloc_bitmap_next(bitmap, i)
        }
        osIndices = indices
    }

    /// Calls `body` with a temporary hwloc bitmap holding this set.
    func withBitmap<R>(_ body: (hwloc_bitmap_t) throws(TopologyError) -> R) throws(TopologyError) -> R {
        let bitmap = try allocateBitmap()
        defer { hwloc_bitmap_free(bitmap) }
        for i in osIndices { hwloc_bitmap_set(bitmap, UInt32(i)) }
        return try body(bitmap)
    }

    public var description: String { osIndices.map(String.init).joined(separator: ",") }
}

extension Topology {
    /// The PUs the calling thread may run on (`hwloc_get_cpubind` with `HWLOC_CPUBIND_THREAD`).
    public func currentThreadBinding() throws(TopologyError) -> CPUSet {
        try CPUSet(osIndices: []).withBitmap { (bitmap) throws(TopologyError) -> CPUSet in
            try TopologyError.check("hwloc_get_cpubind", "hwloc could not read the calling thread's CPU binding") {
                hwloc_get_cpubind(handle, bitmap, Int32(HWLOC_CPUBIND_THREAD.rawValue))
            }
            return CPUSet(bitmap: bitmap)
        }
    }

    /// Binds the calling thread to exactly these PUs (`hwloc_set_cpubind`, `HWLOC_CPUBIND_THREAD`).
    ///
    /// A thread binds only itself: nothing here reaches into another thread.
    public func bindCurrentThread(to set: CPUSet) throws(TopologyError) {
        try set.withBitmap { (bitmap) throws(TopologyError) in
            try TopologyError.check("hwloc_set_cpubind", "hwloc could not bind the thread to PU(s) \(set)") {
                hwloc_set_cpubind(handle, bitmap, Int32(HWLOC_CPUBIND_THREAD.rawValue))
            }
        }
    }

    /// The PU the calling thread last ran on, as hwloc reads it back
    /// (`hwloc_get_last_cpu_location`, `HWLOC_CPUBIND_THREAD`).
    public func lastCPULocation() throws(TopologyError) -> CPUSet {
        try CPUSet(osIndices: []).withBitmap { (bitmap) throws(TopologyError) -> CPUSet in
            try TopologyError.check("hwloc_get_last_cpu_location", "hwloc could not read where the thread runs") {
                hwloc_get_last_cpu_location(handle, bitmap, Int32(HWLOC_CPUBIND_THREAD.rawValue))
            }
            return CPUSet(bitmap: bitmap)
        }
    }

    /// The nodeset of one NUMA node, for memory binding.
    func nodeset(numaNode: Int) -> hwloc_const_nodeset_t? {
        guard let node = hwloc_get_obj_by_type(handle, HWLOC_OBJ_NUMANODE, UInt32(numaNode)) else { return nil }
        return node.pointee.nodeset
    }

    /// Logical indices of the NUMA nodes whose OS index is in `nodeset`.
    func numaNodes(in nodeset: hwloc_const_bitmap_t) -> [Int] {
        let count = hwloc_get_nbobjs_by_type(handle, HWLOC_OBJ_NUMANODE)
        return (0..<max(0, count)).filter { n in
            guard let node = hwloc_get_obj_by_type(handle, HWLOC_OBJ_NUMANODE, UInt32(n)) else { return false }
            return hwloc_bitmap_isset(nodeset, node.pointee.os_index) != 0
        }.map { Int($0) }
    }
}

/// A new, empty hwloc bitmap (`hwloc_bitmap_alloc`); the caller frees it with `hwloc_bitmap_free`.
func allocateBitmap() throws(TopologyError) -> hwloc_bitmap_t {
    guard let bitmap = hwloc_bitmap_alloc() else {
        throw TopologyError("out of memory allocating an hwloc bitmap", function: "hwloc_bitmap_alloc", errno: .noMemory)
    }
    return bitmap
}
