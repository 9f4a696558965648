import Testing
@testable import Batchwise
import BatchwiseTestSupport

/// The replicated pair (two workers, each updating its own copy of the parameters, one barrier
/// per step) must give the same bits as the reduce-scatter: the same weights, optimizer state,
/// losses and noise scale, with both replicas identical.
@Suite struct PairAllReduceTests {
    static func trainer(_ model: MLP, workers: Int = 2, optimizer: any Optimizer, strategy: AllReduceStrategy,
                        microsharding: Microsharding? = nil) throws -> Trainer<MLP> {
        let plan = try PlacementPlan(topology: Fixture.topology, workers: workers, placement: .compact, oversubscribe: true)
        return try Trainer(model: model, optimizer: optimizer, topology: Fixture.topology, plan: plan, maxBatchSize: 64,
                           seed: 9, microsharding: microsharding, allReduce: strategy)
    }

    struct Run: Equatable {
        var weights: [UInt32]
        var state: [UInt32]
        var losses: [Double]
        var skipped: Int
        var noise: GradientNoiseScale
    }

    /// Trains three epochs of 50 samples in batches of `batchSize` (16: the last one short).
    func train(_ model: MLP, _ optimizer: any Optimizer, _ strategy: AllReduceStrategy, data: Dataset,
               learningRate: Float = 0.05, batchSize: Int = 16) throws -> (Run, Trainer<MLP>) {
        let t = try Self.trainer(model, optimizer: optimizer, strategy: strategy)
        let scheduler = try EpochScheduler(sampleCount: data.count, seed: 3, batchSizes: try BatchSizeSchedule(constant: batchSize))
        var losses: [Double] = [], skipped = 0
        for epoch in 0..<3 {
            let plan = scheduler.plan(epoch: epoch)
            let r = try t.trainSteps(plan, on: data, steps: 0..<plan.steps,
                                     learningRates: Array(repeating: learningRate, count: plan.steps), onNonFinite: .skip)
            losses.append(r.lossSum)
            skipped += r.skipped
        }
        return (Run(weights: t.parameters.array.map(\.bitPattern), state: t.optimizerState.array.map(\.bitPattern),
                    losses: losses, skipped: skipped, noise: t.noiseScale), t)
    }

    @Test(arguments: [0, 1, 2])
    func pairGivesTheBitsOfTheReduceScatter(optimizerIndex: Int) throws {
        let optimizers: [any Optimizer] = [try SGD(momentum: 0.9, nesterov: true, weightDecay: 0.001), try Adam(), try Adam(weightDecay: 0.01, decoupledWeightDecay: true)]
        let model = try MLP(widths: [10, 40, 30, 3], activation: .relu, loss: .crossEntropy)
        let data = Fixture.data(for: model, samples: 50)
        let (scatter, scatterTrainer) = try train(model, optimizers[optimizerIndex], .reduceScatter, data: data)
        let (pair, trainer) = try train(model, optimizers[optimizerIndex], .replicatedPair, data: data)
        #expect(trainer.strategy == .replicatedPair)
        #expect(pair == scatter)
        #expect(pair.noise.steps > 0 && pair.noise.trace != nil, "two workers measure the noise scale")
        // Worker 1's replica is the same bits as the trainer's own copy.
        #expect(trainer.workerParameters[1].array.map(\.bitPattern) == pair.weights)
        #expect(trainer.workerState[1].array.map(\.bitPattern) == pair.state)
        // averagedGradient on a pair trainer takes the reduce-scatter path: same bits too.
        let indices = (0..<21).map { Int32($0 * 2) }
        let g = try trainer.averagedGradient(of: data, indices: indices)
        let h = try scatterTrainer.averagedGradient(of: data, indices: indices)
        #expect(g.gradient.map(\.bitPattern) == h.gradient.map(\.bitPattern) && g.meanLoss == h.meanLoss)
    }

    @Test func pairWithBatchesOfOneLeavesOneWorkerIdleAndStillMatches() throws {
        // Batch 1: worker 1's shard is empty every step; its partial sum stays zero.
        let model = try MLP(widths: [5, 9, 3], activation: .tanh, loss: .crossEntropy)
        let data = Fixture.data(for: model, samples: 50)
        let (scatter, _) = try train(model, try SGD(momentum: 0.9), .reduceScatter, data: data, batchSize: 1)
        let (pair, _) = try train(model, try SGD(momentum: 0.9), .replicatedPair, data: data, batchSize: 1)
        #expect(pair == scatter)
    }

    @Test func pairSkipsAndStopsOnNonFiniteBatchesLikeTheReduceScatter() throws {
        // Two samples with a NaN feature: the batches holding them are skipped (or stop the
        // job), the others are taken, so skipped and taken steps alternate within jobs.
        let model = try MLP(widths: [8, 16, 2], activation: .relu, loss: .mse)
        let clean = Fixture.data(for: model, samples: 50)
        var features = clean.features
        for sample in [5, 37] { features[sample * 8 + 3] = .nan }
        let poisoned = Dataset(name: "poisoned", features: features, targets: clean.targets, featureWidth: 8, targetWidth: 2, classCount: nil)
        let scheduler = try EpochScheduler(sampleCount: 50, seed: 3, batchSizes: try BatchSizeSchedule(constant: 8))
        func run(_ strategy: AllReduceStrategy) throws -> (weights: [UInt32], state: [UInt32], skipped: [Int], losses: [Double]) {
            let t = try Self.trainer(model, optimizer: try SGD(momentum: 0.9), strategy: strategy)
            var skipped: [Int] = [], losses: [Double] = []
            for epoch in 0..<3 {
                let plan = scheduler.plan(epoch: epoch)
                let r = try t.trainSteps(plan, on: poisoned, steps: 0..<plan.steps,
                                         learningRates: Array(repeating: 0.05, count: plan.steps), onNonFinite: .skip)
                skipped.append(r.skipped)
                losses.append(r.lossSum)
            }
            // Stop: the first poisoned batch ends the job with an error; a clean job follows.
            let plan = scheduler.plan(epoch: 3)
            #expect(throws: TrainingError.self) {
                try t.trainSteps(plan, on: poisoned, steps: 0..<plan.steps, learningRates: Array(repeating: 0.05, count: plan.steps))
            }
            let r = try t.trainSteps(plan, on: clean, steps: 0..<plan.steps, learningRates: Array(repeating: 0.05, count: plan.steps))
            losses.append(r.lossSum)
            return (t.parameters.array.map(\.bitPattern), t.optimizerState.array.map(\.bitPattern), skipped, losses)
        }
        let scatter = try run(.reduceScatter)
        let pair = try run(.replicatedPair)
        let steps = scheduler.plan(epoch: 0).steps
        #expect(scatter.skipped.allSatisfy { $0 >= 1 && $0 < steps - 1 }, "skipped per epoch: \(scatter.skipped) of \(steps)")
        #expect(pair.skipped == scatter.skipped)
        #expect(pair.losses == scatter.losses)
        #expect(pair.weights == scatter.weights)
        #expect(pair.state == scatter.state)
    }

    @Test func pairFollowsParametersSetBetweenJobs() throws {
        // A new job starts from the trainer's parameters, whoever set them: worker 1 must
        // refresh its replica (checkpoint resume and setParameters depend on it).
        let model = try MLP(widths: [6, 12, 3], activation: .tanh, loss: .crossEntropy)
        let data = Fixture.data(for: model, samples: 40)
        let a = try Self.trainer(model, optimizer: try SGD(momentum: 0.5), strategy: .replicatedPair)
        let b = try Self.trainer(model, optimizer: try SGD(momentum: 0.5), strategy: .reduceScatter)
        _ = try a.trainEpoch(on: data, epoch: 0, batchSize: 8, learningRate: 0.1, seed: 1)
        let fresh = (0..<model.parameterCount).map { Float($0 % 7) * 0.01 - 0.03 }
        try a.setParameters(fresh)
        try b.setParameters(fresh)
        // New momentum too: worker 1 must take both from the trainer at the next job.
        let momentum = (0..<model.parameterCount).map { Float($0 % 5) * 0.02 - 0.04 }
        a.optimizerState.assign(momentum)
        b.optimizerState.assign(momentum)
        _ = try a.trainEpoch(on: data, epoch: 1, batchSize: 8, learningRate: 0.1, seed: 1)
        _ = try b.trainEpoch(on: data, epoch: 1, batchSize: 8, learningRate: 0.1, seed: 1)
        #expect(a.parameters.array.map(\.bitPattern) == b.parameters.array.map(\.bitPattern))
    }

    @Test func automaticPicksThePairOnlyWhereItApplies() throws {
        let small = try MLP(widths: [10, 20, 3])
        let sgd = try SGD()
        #expect(try Self.trainer(small, optimizer: sgd, strategy: .automatic).strategy == .replicatedPair)
        #expect(try Self.trainer(small, workers: 1, optimizer: sgd, strategy: .automatic).strategy == .reduceScatter)
        #expect(try Self.trainer(small, workers: 3, optimizer: sgd, strategy: .automatic).strategy == .reduceScatter)
        #expect(try Self.trainer(small, optimizer: sgd, strategy: .automatic, microsharding: .perBatch(4)).strategy == .reduceScatter)
        let large = try MLP(widths: [512, 256, 10])
        #expect(large.parameterCount > PairAllReduce.parameterLimit)
        #expect(try Self.trainer(large, optimizer: sgd, strategy: .automatic).strategy == .reduceScatter)
        #expect(try Self.trainer(large, optimizer: sgd, strategy: .replicatedPair).strategy == .replicatedPair)
        #expect(throws: ConfigurationError.self) { try Self.trainer(small, workers: 3, optimizer: sgd, strategy: .replicatedPair) }
        #expect(throws: ConfigurationError.self) {
            try Self.trainer(small, optimizer: sgd, strategy: .replicatedPair, microsharding: .perBatch(4))
        }
    }
}
