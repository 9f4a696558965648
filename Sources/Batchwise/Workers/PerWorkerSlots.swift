/// One value per worker, each written only by its own worker thread and read after a
/// hand-over (barrier or job completion) has ordered the write before the read.
///
/// A Swift `Array` cannot be written from several threads at once, even at distinct indices;
/// this fixed block of memory can.
final class PerWorkerSlots<Value>: @unchecked Sendable {
    private let storage: UnsafeMutableBufferPointer<Value>

    init(count: Int, initial: Value) {
        storage = .allocate(capacity: count)
        storage.initialize(repeating: initial)
    }

    deinit {
        storage.deinitialize()
        storage.deallocate()
    }

    subscript(worker: Int) -> Value {
        get { storage[worker] }
        set { storage[worker] = newValue }
    }

    var values: [Value] { Array(storage) }

    /// The slots as contiguous memory, for a C call that fills them.
    func withPointer<R>(_ body: (UnsafeMutablePointer<Value>) throws -> R) rethrows -> R { try body(storage.baseAddress!) }
}
