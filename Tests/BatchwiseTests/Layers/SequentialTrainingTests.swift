import Foundation
import BatchwiseTestSupport
import Testing
@testable import Batchwise

/// `Sequential` through the unchanged `Trainer`: data-parallel equals serial with dropout on,
/// reproducible mode is bit-identical across thread counts, and CNNs learn the digits.
@Suite(.serialized) struct SequentialTrainingTests {
    static let data = Dataset.synthetic(samples: 200, features: 64, classes: 10, seed: 21)

    /// (1/B) Σ ∇ℓ over the batch in one direct model call — no pool, no all-reduce — with the
    /// draws keyed as a training step keys them: (seed, step, position in the batch).
    static func serialGradient(_ model: Sequential, _ trainer: Trainer<Sequential>, indices: [Int32],
                               training: Bool = true) -> (gradient: [Float], loss: Double) {
        let batch = data.subset(indices.map(Int.init))
        let ws = model.makeWorkspace(maxSamples: indices.count, topology: Fixture.topology, numaNode: nil)
        var g = [Float](repeating: 0, count: model.parameterCount)
        let p = trainer.parameterValues
        let position = training ? TrainingPosition(seed: trainer.seed, step: trainer.step, firstPosition: 0) : nil
        let loss = p.withUnsafeBufferPointer { p in batch.features.withUnsafeBufferPointer { x in
            batch.targets.withUnsafeBufferPointer { y in g.withUnsafeMutableBufferPointer { g in
                model.accumulateGradient(parameters: p.baseAddress!,
                                         samples: ShardSamples(inputs: x.baseAddress!, targets: y.baseAddress!, count: indices.count,
                                                               training: position),
                                         gradient: g.baseAddress!, workspace: ws)
            } } } }
        return (g.map { $0 / Float(indices.count) }, loss.lossSum / Double(indices.count))
    }

    @Test(arguments: [1, 2, 3, 4, 7])
    func dataParallelGradientEqualsSerialWithDropout(workers: Int) throws {
        let model = try LayersFixture.smallCNN()
        let trainer = try LayersFixture.trainer(model, workers: workers, maxBatchSize: 64, seed: 4)
        var sizes = [1, workers, workers + 1, 37, 64]
        if workers > 1 { sizes.append(workers - 1) }
        for b in sizes {
            let indices = (0..<b).map { Int32(($0 * 37 + 11) % Self.data.count) }
            let parallel = try trainer.averagedGradient(of: Self.data, indices: indices)
            let serial = Self.serialGradient(model, trainer, indices: indices)
            let error = Fixture.relativeError(parallel.gradient, serial.gradient)
            #expect(error <= 1e-5, "W=\(workers) B=\(b): relative error \(error)")
            #expect(abs(parallel.meanLoss - serial.loss) <= 1e-5 * max(1, abs(serial.loss)))
            if b == 37 {
                // Guards the test: dropout really is on (the gradient without it differs).
                let off = Self.serialGradient(model, trainer, indices: indices, training: false)
                #expect(Fixture.relativeError(off.gradient, serial.gradient) > 1e-2)
            }
        }
    }

    @Test func reproducibleModeIsBitIdenticalAcrossThreadCounts() throws {
        let digits = Dataset.digits().subset(0..<176)
        var digests = Set<String>()
        var losses: [[Double]] = []
        for workers in [1, 2, 3, 5] {
            let trainer = try LayersFixture.trainer(try LayersFixture.smallCNN(), workers: workers,
                                                    optimizer: try SGD(momentum: 0.9), maxBatchSize: 40, seed: 23,
                                                    microsharding: .size(8))
            // 176 samples at batch 40: 4 full batches and one of 16.
            var epochLosses: [Double] = []
            for epoch in 0..<2 {
                epochLosses.append(try trainer.trainEpoch(on: digits, epoch: epoch, batchSize: 40, learningRate: 0.05, seed: 23).trainLoss)
            }
            digests.insert(trainer.weightsDigest())
            losses.append(epochLosses)
        }
        #expect(digests.count == 1, "\(digests)")
        #expect(losses.allSatisfy { $0 == losses[0] })
    }

    @Test func aSmallCNNLearnsTheDigits() throws {
        let (train, test) = try Dataset.digits().split(testFraction: 0.2, seed: 5)
        let model = try Sequential(input: [1, 8, 8], loss: .crossEntropy) {
            Conv2D(8, kernel: 3, padding: 1); ReLU(); MaxPool2D(2)
            Conv2D(16, kernel: 3, padding: 1); ReLU(); MaxPool2D(2)
            Flatten(); Dense(32); ReLU(); Dropout(0.1); Dense(10)
        }
        let trainer = try LayersFixture.trainer(model, workers: 2, optimizer: try SGD(momentum: 0.9), maxBatchSize: 32, seed: 1)
        let summaries = try trainer.fit(train: train, test: test, epochs: 10, batchSize: 32, learningRate: 0.05, seed: 1)
        let first = summaries.first!.report.trainLoss, last = summaries.last!.report.trainLoss
        #expect(last < 0.2 * first, "training loss \(first) → \(last)")
        let accuracy = try #require(summaries.last!.test?.accuracy)
        #expect(accuracy > 0.93, "test accuracy \(accuracy)")
    }

    @Test func aLayerWrittenOutsideTheLibraryTrains() throws {
        let model = try Sequential(input: [1, 8, 8], loss: .crossEntropy) {
            Conv2D(6, kernel: 3); ChannelAffine(); ReLU(); MaxPool2D(2); Flatten(); Dense(10)
        }
        #expect(model.tensorTable.entries.map(\.name) == ["0.weight", "0.bias", "1.scale", "1.shift", "5.weight", "5.bias"])
        let digits = Dataset.digits().subset(0..<600)
        let trainer = try LayersFixture.trainer(model, workers: 2, optimizer: try SGD(momentum: 0.9), maxBatchSize: 32, seed: 2)
        let before = try trainer.evaluate(on: digits).loss
        for epoch in 0..<3 { _ = try trainer.trainEpoch(on: digits, epoch: epoch, batchSize: 32, learningRate: 0.05, seed: 2) }
        let after = try trainer.evaluate(on: digits).loss
        #expect(after < 0.5 * before, "loss \(before) → \(after)")
        let scale = model.tensorTable["1.scale"]!
        #expect(trainer.parameterValues[scale.offset ..< scale.offset + 6].contains { $0 != 1 }, "its own parameters learn")
    }
}
