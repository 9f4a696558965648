import CHwloc
import SystemPackage

/// One flat, zero-initialised, 64-byte-aligned buffer of `Float`, optionally bound to a NUMA node.
///
/// Parameters, gradients and optimizer state each live in one `FloatBuffer`; layers are views
/// (offset, count) into it. The memory comes from `hwloc_alloc_membind` (bound to the node) or
/// `hwloc_alloc` (page-aligned; placed by first touch) and is freed with `hwloc_free` in
/// `deinit`. Sizes are rounded up to whole cache lines, so two buffers never share one.
public final class FloatBuffer: @unchecked Sendable {
    /// Floats per 64-byte cache line.
    public static let floatsPerCacheLine = 16

    /// Number of floats in the buffer (the allocation is rounded up to whole cache lines).
    public let count: Int
    /// The NUMA node the memory is bound to, or nil when it was placed by first touch.
    public let boundNumaNode: Int?
    /// The memory itself, for the types that own a buffer and run kernels over it (the
    /// reductions over their partial sums and scratch, the staging buffers, the model
    /// workspaces); everyone else reads and writes through the bounded methods below or a
    /// `withUnsafe…BufferPointer` scope.
    let pointer: UnsafeMutablePointer<Float>
    private let byteCount: Int
    private let topology: Topology

    /// Allocates `count` zeroed floats on `numaNode` (when given and the OS supports binding).
    public init(count: Int, topology: Topology, numaNode: Int? = nil) {
        precondition(count >= 0, "FloatBuffer count must not be negative")
        self.count = count
        self.topology = topology
        let lines = max(1, (count + Self.floatsPerCacheLine - 1) / Self.floatsPerCacheLine)
        byteCount = lines * 64
        var raw: UnsafeMutableRawPointer?
        var bound: Int?
        if let numaNode, let nodeset = topology.nodeset(numaNode: numaNode) {
            raw = hwloc_alloc_membind(topology.handle, byteCount, nodeset, HWLOC_MEMBIND_BIND,
                                      Int32(HWLOC_MEMBIND_BYNODESET.rawValue))
            if raw != nil { bound = numaNode }
        }
        if raw == nil { raw = hwloc_alloc(topology.handle, byteCount) }
        guard let raw else { fatalError("out of memory: could not allocate \(byteCount) bytes (hwloc_alloc: \(Errno.lastError))") }
        precondition(Int(bitPattern: raw) % 64 == 0, "hwloc returned memory that is not 64-byte aligned")
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
        pointer = raw.bindMemory(to: Float.self, capacity: lines * Self.floatsPerCacheLine)
        boundNumaNode = bound
    }

    deinit { hwloc_free(topology.handle, UnsafeMutableRawPointer(pointer), byteCount) }

    /// The NUMA nodes (logical indices) that hold the buffer's pages right now, as the kernel
    /// reports them (`hwloc_get_area_memlocation`). Touches nothing.
    public func residentNumaNodes() throws(TopologyError) -> [Int] {
        let nodeset = try allocateBitmap()
        defer { hwloc_bitmap_free(nodeset) }
        try TopologyError.check("hwloc_get_area_memlocation", "hwloc could not tell where a buffer's memory is") {
            hwloc_get_area_memlocation(topology.handle, UnsafeRawPointer(pointer), byteCount, nodeset,
                                       Int32(HWLOC_MEMBIND_BYNODESET.rawValue))
        }
        return topology.numaNodes(in: nodeset)
    }

    /// The float at `index`, which must be in `0..<count` (checked with a precondition).
    public subscript(index: Int) -> Float {
        get { precondition(index >= 0 && index < count); return pointer[index] }
        set { precondition(index >= 0 && index < count); pointer[index] = newValue }
    }

    /// A copy of the contents.
    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    /// Replaces the contents; `values.count` must equal `count`.
    public func assign(_ values: [Float]) {
        precondition(values.count == count, "assigning \(values.count) values to a buffer of \(count)")
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: count) }
    }

    /// Sets every element to `value`.
    public func fill(_ value: Float) { pointer.update(repeating: value, count: count) }

    /// Calls `body` with a read-only view of the `count` floats; the pointer must not escape it.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: pointer, count: count))
    }

    /// Calls `body` with a mutable view of the `count` floats; the pointer must not escape it.
    public func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeMutableBufferPointer(start: pointer, count: count))
    }
}

extension FloatBuffer {
    /// Copies `other`'s contents; the counts must match.
    public func copy(from other: FloatBuffer) {
        precondition(other.count == count, "copying \(other.count) values into a buffer of \(count)")
        pointer.update(from: other.pointer, count: count)
    }
}

extension FloatBuffer {
    /// Copies `range.count` floats from `values` into elements `range`.
    @inline(__always)
    func write(_ values: UnsafePointer<Float>, at range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "writing \(range) into a buffer of \(count)")
        (pointer + range.lowerBound).update(from: values, count: range.count)
    }
}
