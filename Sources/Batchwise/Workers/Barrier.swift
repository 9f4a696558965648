import Atomics

/// A reusable barrier for a fixed number of threads: spin briefly, then sleep.
///
/// The last thread to arrive resets the count and advances the generation; the others wait for
/// the generation to move. No lock, no allocation, no system call unless someone sleeps.
public final class Barrier: @unchecked Sendable {
    /// Number of threads that meet at the barrier each round.
    public let parties: Int
    /// Pause instructions a waiter spins before it sleeps.
    public let spinLimit: Int
    private let arrivedStorage: UnsafeMutableRawPointer
    private let arrived: UnsafeAtomic<Int>
    private let generation = WaitWord()

    /// A barrier for `parties` threads (at least 1) whose waiters spin `spinLimit` pauses before
    /// they sleep (0: sleep at once, as when threads share PUs).
    public init(parties: Int, spinLimit: Int) {
        precondition(parties >= 1)
        self.parties = parties
        self.spinLimit = spinLimit
        arrivedStorage = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64)
        arrivedStorage.initializeMemory(as: UInt8.self, repeating: 0, count: 64)
        arrived = UnsafeAtomic(at: arrivedStorage.bindMemory(to: Int.AtomicRepresentation.self, capacity: 1))
    }

    deinit { arrivedStorage.deallocate() }

    /// Blocks until all `parties` threads have called it for this round.
    @inline(__always) public func arriveAndWait() {
        if parties == 1 { return }
        let seen = generation.load()
        if arrived.wrappingIncrementThenLoad(ordering: .acquiringAndReleasing) == parties {
            arrived.store(0, ordering: .relaxed)
            generation.advance()
        } else {
            generation.wait(whileEqualTo: seen, spinLimit: spinLimit)
        }
    }
}
