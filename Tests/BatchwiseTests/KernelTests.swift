import CBatchwiseKernels
import Foundation
import Testing
@testable import Batchwise

/// The C kernels of the all-reduce and the optimizers, at every instruction-set level this CPU
/// supports, against plain Swift references written element by element with the same
/// operations: the results must be the same bits (no multiply-add contraction, no reordering),
/// tails shorter than a vector included.
@Suite(.serialized) struct KernelTests {
    static let lengths = [1, 7, 16, 33, 1000, 1024]

    /// Levels this CPU runs: portable, and AVX2 / AVX-512 where supported.
    var levels: [Int32] { Array(0...bw_kernels_best_level()) }

    func withLevel<T>(_ level: Int32, _ body: () throws -> T) rethrows -> T {
        let before = bw_kernels_level()
        #expect(bw_kernels_set_level(level) == 0)
        defer { _ = bw_kernels_set_level(before) }
        return try body()
    }

    func random(_ n: Int, _ rng: inout RandomStream) -> [Float] {
        (0..<n).map { _ in rng.nextUnitFloat() * 4 - 2 }
    }

    /// The documented lane pattern: element k into lane k mod 16, lanes added in lane order.
    func laneSquares(_ x: [Float]) -> Double {
        var lanes = [Float](repeating: 0, count: 16)
        for (k, v) in x.enumerated() { lanes[k % 16] += v * v }
        return lanes.reduce(0.0) { $0 + Double($1) }
    }

    @Test func levelsAreReportedAndUnsupportedOnesRefused() {
        #expect(bw_kernels_level() >= 0 && bw_kernels_level() <= bw_kernels_best_level())
        #expect(bw_kernels_set_level(-1) == -1)
        #expect(bw_kernels_set_level(bw_kernels_best_level() + 1) == -1)
        #expect(levels.map(VectorKernels.name) == Array(["baseline", "AVX2", "AVX-512"].prefix(levels.count)))
    }

    @Test(arguments: [1, 2, 3, 5])
    func reduceChunkIsTheOrderedSumAtEveryLevel(sources sourceCount: Int) {
        var rng = RandomStream(seed: UInt64(sourceCount), purpose: .synthetic)
        for n in Self.lengths {
            let offset = 3
            let inputs = (0..<sourceCount).map { _ in random(n + offset, &rng) }
            let scale: Float = 1 / 37
            // Reference: acc = (g_0 + g_1 + … ) · scale, adding in source order.
            var total = inputs[0]
            for s in 1..<sourceCount { for k in total.indices { total[k] = total[k] + inputs[s][k] } }
            let expected = total[offset...].map { $0 * scale }
            let expectedNorms = inputs.map { laneSquares(Array($0[offset...])) } + [laneSquares(Array(total[offset...]))]
            for level in levels {
                withLevel(level) {
                    var buffers = inputs
                    var acc = [Float](repeating: .nan, count: n)
                    var norms = [Double](repeating: .nan, count: sourceCount + 1)
                    buffers.withUnsafeMutableBufferPointer { bufs in
                        var pointers = (0..<sourceCount).map { s -> UnsafeMutablePointer<Float>? in
                            bufs[s].withUnsafeMutableBufferPointer { $0.baseAddress! }
                        }
                        bw_reduce_chunk(&acc, &pointers, Int64(sourceCount), Int64(offset), Int64(n), scale,
                                        &norms, Int64(sourceCount))
                    }
                    #expect(acc.map(\.bitPattern) == expected.map(\.bitPattern), "level \(level), n \(n)")
                    #expect(norms == expectedNorms, "level \(level), n \(n)")
                    for s in 0..<sourceCount {
                        #expect(buffers[s][offset...].allSatisfy { $0 == 0 }, "the sources are cleared")
                        #expect(buffers[s][..<offset] == inputs[s][..<offset], "nothing outside the range is touched")
                    }
                }
            }
        }
    }

    @Test(arguments: [(Float(0), false, Float(0)), (0, false, 0.01), (0.9, false, 0), (0.9, true, 0.001)])
    func sgdIsThePlainEquationsAtEveryLevel(momentum mu: Float, nesterov: Bool, weightDecay wd: Float) {
        var rng = RandomStream(seed: 7, purpose: .synthetic)
        let lr: Float = 0.05
        for n in Self.lengths {
            let p0 = random(n, &rng), g = random(n, &rng), v0 = random(n, &rng)
            var p = p0, v = v0
            for k in 0..<n {
                if mu == 0 {
                    p[k] -= lr * (g[k] + wd * p[k])
                } else {
                    let d = g[k] + wd * p[k]
                    let vk = mu * v[k] + d
                    v[k] = vk
                    p[k] -= lr * (nesterov ? d + mu * vk : vk)
                }
            }
            for level in levels {
                withLevel(level) {
                    var pk = p0, vk = v0
                    bw_sgd_update(&pk, g, &vk, Int64(n), lr, mu, wd, nesterov ? 1 : 0)
                    #expect(pk.map(\.bitPattern) == p.map(\.bitPattern), "level \(level), n \(n)")
                    #expect(vk.map(\.bitPattern) == v.map(\.bitPattern), "level \(level), n \(n)")
                }
            }
        }
    }

    @Test(arguments: [false, true])
    func adamIsThePlainEquationsAtEveryLevel(decoupled: Bool) {
        var rng = RandomStream(seed: 11, purpose: .synthetic)
        let b1: Float = 0.9, b2: Float = 0.999, eps: Float = 1e-8, lr: Float = 0.01, wd: Float = 0.02
        let c1: Float = 1 - 0.9 * 0.9, c2: Float = 1 - 0.999 * 0.999
        let l2 = decoupled ? 0 : wd, shrink = decoupled ? 1 - lr * wd : 1
        for n in Self.lengths {
            let p0 = random(n, &rng), g = random(n, &rng), m0 = random(n, &rng)
            let v0 = random(n, &rng).map { abs($0) }
            var p = p0, m = m0, v = v0
            for k in 0..<n {
                let gk = g[k] + l2 * p[k]
                m[k] = b1 * m[k] + (1 - b1) * gk
                v[k] = b2 * v[k] + (1 - b2) * gk * gk
                p[k] = p[k] * shrink - lr * (m[k] / c1) / ((v[k] / c2).squareRoot() + eps)
            }
            for level in levels {
                withLevel(level) {
                    var pk = p0, mk = m0, vk = v0
                    bw_adam_update(&pk, g, &mk, &vk, Int64(n), b1, b2, eps, lr, c1, c2, l2, shrink)
                    #expect(pk.map(\.bitPattern) == p.map(\.bitPattern), "level \(level), n \(n)")
                    #expect(mk.map(\.bitPattern) == m.map(\.bitPattern), "level \(level), n \(n)")
                    #expect(vk.map(\.bitPattern) == v.map(\.bitPattern), "level \(level), n \(n)")
                }
            }
        }
    }

    /// The whole training path gives the same weights whichever level runs the all-reduce.
    @Test func trainingGivesTheSameWeightsAtEveryLevel() throws {
        let model = try MLP(widths: [12, 16, 3], activation: .relu, loss: .crossEntropy)
        let data = Fixture.data(for: model, samples: 96)
        var digests: [[UInt32]] = []
        for level in levels {
            try withLevel(level) {
                let trainer = try Fixture.trainer(model, workers: 2, optimizer: try SGD(momentum: 0.9))
                for epoch in 0..<2 {
                    _ = try trainer.trainEpoch(on: data, epoch: epoch, batchSize: 16, learningRate: 0.1, seed: 5)
                }
                digests.append(trainer.parameters.array.map(\.bitPattern))
            }
        }
        #expect(digests.count == levels.count)
        #expect(Set(digests).count == 1)
    }
}
