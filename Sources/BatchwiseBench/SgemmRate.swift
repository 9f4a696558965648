import Batchwise
import Dispatch
import Foundation

/// The rate at which one thread does a given set of sgemm products: the FLOP-weighted rate
/// Σ flops / Σ seconds, so a shape counts as much as the work it is of the whole.
public struct SgemmRate: Sendable {
    /// The shard size (samples per thread) the shapes were taken at.
    public let shard: Int
    /// The products timed: the sgemm calls of one training step on a shard of `shard` samples.
    public let shapes: [GemmShape]
    /// Seconds one call of each shape takes (the median of the repetitions), in `shapes` order.
    public let secondsPerCall: [Double]

    /// A rate from timings already made; `secondsPerCall` has one entry per shape.
    public init(shard: Int, shapes: [GemmShape], secondsPerCall: [Double]) {
        precondition(shapes.count == secondsPerCall.count)
        self.shard = shard
        self.shapes = shapes
        self.secondsPerCall = secondsPerCall
    }

    /// Σ flops / Σ seconds over all shapes, in GFLOP/s (0 when nothing took any time).
    public var gflops: Double {
        let seconds = secondsPerCall.reduce(0, +)
        return seconds > 0 ? shapes.reduce(0) { $0 + $1.flops } / seconds / 1e9 : 0
    }

    /// The rate of shape `index` alone, in GFLOP/s.
    public func gflops(ofShape index: Int) -> Double {
        secondsPerCall[index] > 0 ? shapes[index].flops / secondsPerCall[index] / 1e9 : 0
    }

    /// Times `Gemm.sgemm` on each of `shapes` on the calling thread: every repetition calls a
    /// shape back to back until at least `minimumSeconds` have passed (so microsecond products
    /// are timed over many calls); a shape's figure is the median over `repetitions`.
    /// Operands are seeded values in [−1, 1); allocation happens before any timing.
    public static func measure(shapes: [GemmShape], shard: Int, repetitions: Int = 7, minimumSeconds: Double = 0.002) -> SgemmRate {
        precondition(repetitions >= 1)
        Gemm.prepare()
        var random = RandomStream(seed: 0x5eed, purpose: .synthetic)
        // A shape a step runs several times (a convolution's chunks) is timed once.
        var timed: [GemmShape: Double] = [:]
        let seconds = shapes.map { shape -> Double in
            if let known = timed[shape] { return known }
            let a = (0..<max(1, shape.m * shape.k)).map { _ in 2 * random.nextUnitFloat() - 1 }
            let b = (0..<max(1, shape.k * shape.n)).map { _ in 2 * random.nextUnitFloat() - 1 }
            var c = [Float](repeating: 0, count: max(1, shape.m * shape.n))
            let t = a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    c.withUnsafeMutableBufferPointer { c in
                        time(shape, a: a.baseAddress!, b: b.baseAddress!, c: c.baseAddress!,
                             repetitions: repetitions, minimumSeconds: minimumSeconds)
                    }
                }
            }
            timed[shape] = t
            return t
        }
        return SgemmRate(shard: shard, shapes: shapes, secondsPerCall: seconds)
    }

    /// Median seconds per call of one shape.
    private static func time(_ s: GemmShape, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                             repetitions: Int, minimumSeconds: Double) -> Double {
        // Row-major leading dimensions: A is stored k×m when transposed, B n×k.
        let lda = s.transposeA ? s.m : s.k, ldb = s.transposeB ? s.k : s.n
        let beta: Float = s.accumulates ? 1 : 0
        func call() {
            Gemm.sgemm(transposeA: s.transposeA, transposeB: s.transposeB, m: s.m, n: s.n, k: s.k,
                       alpha: 1, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: s.n)
        }
        // Untimed calls for `minimumSeconds` warm the caches, the BLAS and the clock speed, and
        // size the batches of calls.
        let warmStart = now()
        var warmCalls = 0
        repeat {
            call()
            warmCalls += 1
        } while Double(now() - warmStart) / 1e9 < minimumSeconds
        let probe = max(Double(now() - warmStart) / 1e9 / Double(warmCalls), 1e-9)
        let calls = min(100_000, max(1, Int((minimumSeconds / probe).rounded(.up))))
        var samples: [Double] = []
        samples.reserveCapacity(repetitions)
        for _ in 0..<repetitions {
            let start = now()
            for _ in 0..<calls { call() }
            samples.append(Double(now() - start) / 1e9 / Double(calls))
        }
        return Percentiles(samples).median
    }

    /// Nanoseconds on the clock the training step times its phases with (`DispatchTime`'s uptime).
    @inline(__always) private static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
}
