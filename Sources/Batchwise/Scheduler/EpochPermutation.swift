/// The order in which an epoch visits the samples: a Fisher–Yates shuffle driven by Philox
/// keyed by the seed, with the epoch as the stream. It depends only on (seed, epoch, count),
/// so resuming needs only (seed, epoch, step) and any epoch can be recomputed alone.
public enum EpochPermutation {
    /// A permutation of `0..<count` for `epoch`, the same for the same (count, seed, epoch).
    /// O(count) time and memory.
    public static func indices(count: Int, seed: UInt64, epoch: Int) -> [Int32] {
        precondition(count >= 0 && count < Int(Int32.max))
        var order = (0..<Int32(count)).map { $0 }
        var random = RandomStream(seed: seed, stream: UInt64(epoch), purpose: .shuffle)
        var i = count - 1
        while i > 0 {
            let j = Int(random.next(below: UInt32(i + 1)))
            order.swapAt(i, j)
            i -= 1
        }
        return order
    }
}
