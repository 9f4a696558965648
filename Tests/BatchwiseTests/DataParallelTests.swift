import Testing
@testable import Batchwise
import BatchwiseTestSupport

/// The data-parallel gradient — W shards of partial sums, reduced in worker order and divided
/// by the batch size — must equal the serial gradient of the whole batch,
///     g = (1/B) Σ_{i ∈ batch} ∇ℓ_i,
/// computed here by one direct call of the model over all B samples (no pool, no all-reduce).
@Suite(.serialized) struct DataParallelTests {
    static let model = try! MLP(widths: [9, 16, 8, 4], activation: .tanh, loss: .crossEntropy)
    static let data = Fixture.data(for: model, samples: 300, seed: 21)

    static func serialGradient(_ trainer: Trainer<MLP>, indices: [Int32]) -> (gradient: [Float], loss: Double) {
        let batch = data.subset(indices.map(Int.init))
        let ws = model.makeWorkspace(maxSamples: indices.count, topology: Fixture.topology, numaNode: nil)
        var g = [Float](repeating: 0, count: model.parameterCount)
        let p = trainer.parameterValues
        let loss = p.withUnsafeBufferPointer { p in batch.features.withUnsafeBufferPointer { x in
            batch.targets.withUnsafeBufferPointer { y in g.withUnsafeMutableBufferPointer { g in
                model.accumulateGradient(parameters: p.baseAddress!, samples: ShardSamples(inputs: x.baseAddress!, targets: y.baseAddress!, count: indices.count),
                                         gradient: g.baseAddress!, workspace: ws)
            } } } }
        return (g.map { $0 / Float(indices.count) }, loss.lossSum / Double(indices.count))
    }

    @Test(arguments: [1, 2, 3, 4, 7])
    func dataParallelGradientEqualsSerial(workers: Int) throws {
        let trainer = try Fixture.trainer(Self.model, workers: workers, maxBatchSize: 256, seed: 4)
        var sizes = [1, workers, workers + 1, 97, 256]
        if workers > 1 { sizes.append(workers - 1) }
        for b in sizes {
            // A scattered batch, as a shuffled epoch would give.
            let indices = (0..<b).map { Int32(($0 * 37 + 11) % Self.data.count) }
            let parallel = try trainer.averagedGradient(of: Self.data, indices: indices)
            let serial = Self.serialGradient(trainer, indices: indices)
            let error = Fixture.relativeError(parallel.gradient, serial.gradient)
            #expect(error <= 1e-5, "W=\(workers) B=\(b): relative error \(error)")
            #expect(abs(parallel.meanLoss - serial.loss) <= 1e-5 * max(1, abs(serial.loss)))
        }
    }

    @Test func meanOfShardMeansWouldBeWrong() throws {
        // Guards the test above: with uneven shards the average of per-shard means differs
        // from the true batch mean, so an engine that averaged means would fail it.
        let trainer = try Fixture.trainer(Self.model, workers: 1, maxBatchSize: 256, seed: 4)
        let indices = (0..<5).map { Int32($0 * 13) }
        let whole = Self.serialGradient(trainer, indices: indices).gradient
        let a = Self.serialGradient(trainer, indices: Array(indices[0..<3])).gradient
        let b = Self.serialGradient(trainer, indices: Array(indices[3..<5])).gradient
        let meanOfMeans = zip(a, b).map { ($0 + $1) / 2 }
        #expect(Fixture.relativeError(meanOfMeans, whole) > 1e-3)
    }
}
