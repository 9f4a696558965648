/// One value per worker, each written only by its own worker thread and read after a
/// hand-over (barrier or job completion) has ordered the write before the read.
///
/// A Swift `Array` cannot be written from several threads at once, even at distinct indices;
/// this fixed block of memory can. Each slot starts on its own 64-byte cache line and fills
/// whole lines, so neighbouring workers' writes never share a line (no false sharing), by
/// construction rather than by padding fields.
final class PerWorkerSlots<Value>: @unchecked Sendable {
    static var cacheLine: Int { 64 }
    /// Bytes from one slot to the next: the value's stride rounded up to whole cache lines.
    private static var slotStride: Int {
        max(1, (MemoryLayout<Value>.stride + cacheLine - 1) / cacheLine) * cacheLine
    }

    let count: Int
    private let storage: UnsafeMutableRawPointer

    init(count: Int, initial: Value) {
        precondition(count >= 0)
        self.count = count
        storage = .allocate(byteCount: max(1, count) * Self.slotStride, alignment: max(Self.cacheLine, MemoryLayout<Value>.alignment))
        for i in 0..<count { slot(i).initialize(to: initial) }
    }

    deinit {
        for i in 0..<count { slot(i).deinitialize(count: 1) }
        storage.deallocate()
    }

    @inline(__always)
    private func slot(_ i: Int) -> UnsafeMutablePointer<Value> {
        (storage + i * Self.slotStride).assumingMemoryBound(to: Value.self)
    }

    subscript(worker: Int) -> Value {
        @inline(__always) get {
            precondition(worker >= 0 && worker < count)
            return slot(worker).pointee
        }
        @inline(__always) set {
            precondition(worker >= 0 && worker < count)
            slot(worker).pointee = newValue
        }
    }

    var values: [Value] { (0..<count).map { slot($0).pointee } }
}
