import CBatchwiseKernels
import Foundation
import Testing
@testable import Batchwise
import BatchwiseTestSupport

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

    /// Values in [−2, 2), with every 7th one a special case: ±0, subnormals or a large value.
    func random(_ n: Int, _ rng: inout RandomStream) -> [Float] {
        let special: [Float] = [-0.0, 0.0, 1e-40, -3e-39, 1e15, -7e14]
        return (0..<n).map { k in
            let x = rng.nextUnitFloat() * 4 - 2
            return k % 7 == 3 ? special[(k / 7) % special.count] : x
        }
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
                    // acc one float off any vector alignment.
                    var accBuffer = [Float](repeating: .nan, count: n + 1)
                    var norms = [Double](repeating: .nan, count: sourceCount + 1)
                    buffers.withUnsafeMutableBufferPointer { bufs in
                        var pointers = (0..<sourceCount).map { s -> UnsafeMutablePointer<Float>? in
                            bufs[s].withUnsafeMutableBufferPointer { $0.baseAddress! }
                        }
                        accBuffer.withUnsafeMutableBufferPointer { a in
                            bw_reduce_chunk(a.baseAddress! + 1, &pointers, Int64(sourceCount), Int64(offset), Int64(n), scale,
                                            &norms, Int64(sourceCount))
                        }
                    }
                    let acc = Array(accBuffer.dropFirst())
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

    @Test(arguments: [(Float(0), false, Float(0)), (0, false, 0.01), (0.9, false, 0), (0.9, true, 0.001), (0.5, false, -0.0)])
    func sgdIsThePlainEquationsAtEveryLevel(momentum mu: Float, nesterov: Bool, weightDecay wd: Float) {
        var rng = RandomStream(seed: 7, purpose: .synthetic)
        for (lr, n) in [Float(0.05), -0.0].flatMap({ lr in Self.lengths.map { (lr, $0) } }) {
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

    @Test func sgdWithoutStateRunsThePlainRule() {
        // No momentum buffer: the plain rule, whatever μ says (never a write through NULL).
        var rng = RandomStream(seed: 8, purpose: .synthetic)
        let p0 = random(33, &rng), g = random(33, &rng)
        var expected = p0
        for k in expected.indices { expected[k] -= 0.1 * (g[k] + 0 * expected[k]) }
        for level in levels {
            withLevel(level) {
                var p = p0
                bw_sgd_update(&p, g, nil, 33, 0.1, 0.9, 0, 0)
                #expect(p.map(\.bitPattern) == expected.map(\.bitPattern), "level \(level)")
            }
        }
    }

    @Test func reducePassFlagsDoWhatTheySay() {
        var rng = RandomStream(seed: 9, purpose: .synthetic)
        for level in levels {
            withLevel(level) {
                for n in Self.lengths {
                    let g0 = random(n, &rng), a0 = random(n, &rng)
                    // first && last, no clear: acc = g · scale, g kept, |g|² twice.
                    var acc = a0, g = g0, norm = Double.nan, total = Double.nan
                    bw_reduce_pass(&acc, &g, Int64(n), 1, 1, 0, 0.5, &norm, &total)
                    #expect(acc.map(\.bitPattern) == g0.map { ($0 * 0.5).bitPattern })
                    #expect(g.map(\.bitPattern) == g0.map(\.bitPattern), "clear = 0 leaves the source")
                    #expect(norm == laneSquares(g0) && total == norm)
                    // neither first nor last, clearing, no total: acc += g, no scale.
                    acc = a0
                    var untouched = -1.0
                    bw_reduce_pass(&acc, &g, Int64(n), 0, 0, 1, 0.5, &norm, &untouched)
                    #expect(acc.map(\.bitPattern) == zip(a0, g0).map { ($0 + $1).bitPattern })
                    #expect(g.allSatisfy { $0 == 0 } && norm == laneSquares(g0) && untouched == -1)
                    // last without first: (acc + g) · scale, total over the sum before the scale.
                    acc = a0
                    g = g0
                    bw_reduce_pass(&acc, &g, Int64(n), 0, 1, 1, 0.25, &norm, &total)
                    let sum = zip(a0, g0).map { $0 + $1 }
                    #expect(acc.map(\.bitPattern) == sum.map { ($0 * 0.25).bitPattern })
                    #expect(total == laneSquares(sum))
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
