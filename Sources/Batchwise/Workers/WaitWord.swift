import Atomics
import CBatchwiseShims

/// A 32-bit counter that threads wait on until it moves past a value they saw:
/// they spin a bounded number of times, then sleep in the kernel (futex).
///
/// Spinning keeps hand-over latency at a few hundred nanoseconds when every thread has a core;
/// sleeping keeps oversubscribed runs (more threads than cores) from collapsing, because a
/// spinning thread would steal the core of the thread it waits for.
/// The word sits alone on its own cache line.
final class WaitWord: @unchecked Sendable {
    private let raw: UnsafeMutableRawPointer
    private let word: UnsafeAtomic<UInt32>
    private let sleepers: UnsafeAtomic<Int>

    init() {
        raw = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: 64)
        word = UnsafeAtomic(at: raw.bindMemory(to: UInt32.AtomicRepresentation.self, capacity: 1))
        sleepers = UnsafeAtomic(at: (raw + 8).bindMemory(to: Int.AtomicRepresentation.self, capacity: 1))
    }

    deinit { raw.deallocate() }

    /// The current value.
    @inline(__always) func load() -> UInt32 { word.load(ordering: .sequentiallyConsistent) }

    /// Adds one and wakes every sleeper (no system call when nobody sleeps).
    @inline(__always) func advance() {
        word.wrappingIncrement(ordering: .sequentiallyConsistent)
        if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
            _ = CBatchwiseShims_futex_wake(raw.assumingMemoryBound(to: UInt32.self), Int32.max)
        }
    }

    /// Returns once the word differs from `seen`: spins up to `spinLimit` times, then sleeps.
    @inline(__always) func wait(whileEqualTo seen: UInt32, spinLimit: Int) {
        var spins = 0
        while word.load(ordering: .acquiring) == seen {
            if spins < spinLimit {
                CBatchwiseShims_cpu_relax()
                spins += 1
                continue
            }
            sleepers.wrappingIncrement(ordering: .sequentiallyConsistent)
            // The kernel re-checks the value before sleeping, so a wake-up between our load and
            // the futex call is not lost.
            if word.load(ordering: .sequentiallyConsistent) == seen {
                _ = CBatchwiseShims_futex_wait(raw.assumingMemoryBound(to: UInt32.self), seen)
            }
            sleepers.wrappingDecrement(ordering: .sequentiallyConsistent)
        }
    }
}
