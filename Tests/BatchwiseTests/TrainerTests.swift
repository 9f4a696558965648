import Foundation
import Testing
@testable import Batchwise
import BatchwiseTestSupport

@Suite(.serialized) struct TrainerTests {
    @Test(arguments: [1, 2, 3])
    func sameSeedAndThreadsGiveBitIdenticalWeights(workers: Int) throws {
        let model = try MLP(widths: [64, 32, 10], activation: .relu, loss: .crossEntropy)
        let data = Dataset.digits().subset(0..<500)
        func run() throws -> String {
            let trainer = try Fixture.trainer(model, workers: workers, optimizer: try SGD(momentum: 0.9, nesterov: true, weightDecay: 1e-4),
                                              maxBatchSize: 48, seed: 99)
            try trainer.fit(train: data, test: nil, epochs: 2, batchSize: 48, learningRate: 0.05, seed: 99)
            return trainer.weightsDigest()
        }
        let first = try run(), second = try run()
        #expect(first == second)
        #expect(first.count == 64)
    }

    @Test func everySampleIsVisitedOncePerEpoch() throws {
        let model = try MLP(widths: [64, 16, 10])
        let data = Dataset.digits().subset(0..<203)
        let trainer = try Fixture.trainer(model, workers: 2, maxBatchSize: 50)
        let report = try trainer.trainEpoch(on: data, epoch: 1, batchSize: 50, learningRate: 0.01, seed: 1)
        #expect(report.samples == 203)
        #expect(report.steps == 5, "four batches of 50 and a last one of 3")
        #expect(trainer.step == 5)
    }

    /// A dropped trainer's workers leave their loops and Dispatch can reuse their threads:
    /// the process does not gain two threads per trainer (a leak that used to end in a hang
    /// once Dispatch's pool of about 255 threads was used up).
    @Test func droppingATrainerGivesItsWorkerThreadsBack() throws {
        func threads() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? 0 }
        _ = try Fixture.trainer(try MLP(widths: [4, 3, 2]), workers: 2, maxBatchSize: 8)
        let before = threads()
        for _ in 0..<40 {
            let trainer = try Fixture.trainer(try MLP(widths: [4, 3, 2]), workers: 2, maxBatchSize: 8)
            trainer.pool.run { _ in }
        }
        #expect(threads() - before < 20, "threads grew from \(before) to \(threads())")
    }

    @Test func plansAndIndicesOutsideTheDataAreErrors() throws {
        let data = Dataset.digits().subset(0..<50)
        let trainer = try Fixture.trainer(try MLP(widths: [64, 8, 10]), workers: 2, maxBatchSize: 10)
        let plan = try EpochScheduler(sampleCount: 200, seed: 1, batchSizes: try BatchSizeSchedule(constant: 10)).plan(epoch: 1)
        #expect(throws: ConfigurationError.self) {
            try trainer.trainSteps(plan, on: data, steps: 0..<1, learningRates: [0.1])
        }
        #expect(throws: ConfigurationError.self) { try trainer.averagedGradient(of: data, indices: [0, 50]) }
    }

    @Test func everyStepOfAJobGetsItsWallTime() throws {
        let data = Dataset.digits().subset(0..<200)
        let trainer = try Fixture.trainer(try MLP(widths: [64, 16, 10]), workers: 2, maxBatchSize: 30)
        let plan = try EpochScheduler(sampleCount: 200, seed: 1, batchSizes: try BatchSizeSchedule(constant: 30)).plan(epoch: 1)
        let report = try trainer.trainSteps(plan, on: data, steps: 2..<6, learningRates: [0.01, 0.01, 0.01, 0.01])
        #expect(report.stepSeconds.count == 4)
        #expect(report.stepSeconds.allSatisfy { $0 > 0 })
        #expect(report.stepSeconds.reduce(0, +) <= report.seconds)
    }

    @Test func lastShortBatchIsAveragedOverItsOwnCount() throws {
        // Plain SGD with lr 1: the parameter change of a step is exactly −(mean gradient).
        let model = try MLP(widths: [9, 5, 4], activation: .sigmoid, loss: .crossEntropy)
        let data = Fixture.data(for: model, samples: 7, seed: 8)
        let trainer = try Fixture.trainer(model, workers: 3, maxBatchSize: 5)
        let order = EpochPermutation.indices(count: 7, seed: 2, epoch: 1)
        let before = trainer.parameterValues
        _ = try trainer.trainEpoch(on: data, epoch: 1, batchSize: 5, learningRate: 1, seed: 2)
        // Replay: first batch of 5, then the tail of 2, each as its own mean.
        let replay = try Fixture.trainer(model, workers: 1, maxBatchSize: 5)
        try replay.setParameters(before)
        for batch in [Array(order[0..<5]), Array(order[5..<7])] {
            let g = try replay.averagedGradient(of: data, indices: batch).gradient
            try replay.setParameters(zip(replay.parameterValues, g).map { $0 - $1 })
        }
        #expect(Fixture.relativeError(trainer.parameterValues, replay.parameterValues) < 1e-5)
    }

    @Test func learnsTheDigits() throws {
        let (train, test) = try Dataset.digits().split(testFraction: 0.2, seed: 1)
        let model = try MLP(widths: [64, 64, 10])
        let trainer = try Fixture.trainer(model, workers: 2, optimizer: try SGD(momentum: 0.9), maxBatchSize: 32, seed: 1)
        let summaries = try trainer.fit(train: train, test: test, epochs: 5, batchSize: 32, learningRate: 0.05, seed: 1)
        #expect(summaries.count == 5)
        #expect(summaries.last!.report.trainLoss < summaries.first!.report.trainLoss)
        #expect(summaries.last!.test!.accuracy! > 0.9)
    }

    @Test func aHugeLearningRateStopsWithAClearError() throws {
        // Regression with MSE and lr 10: each step multiplies the error, until it overflows.
        let model = try MLP(widths: [8, 16, 2], activation: .tanh, loss: .mse)
        let trainer = try Fixture.trainer(model, workers: 2, optimizer: try SGD(momentum: 0.9), maxBatchSize: 32)
        let data = Fixture.data(for: model, samples: 320)
        let error = #expect(throws: TrainingError.self) {
            try trainer.fit(train: data, test: nil, epochs: 50, batchSize: 32, learningRate: 10, seed: 1)
        }
        #expect(error?.message.contains("learning rate") == true)
        #expect(trainer.step < 50 * 10, "training stopped early")
    }

    @Test func mismatchedDataIsAConfigurationError() throws {
        let trainer = try Fixture.trainer(try MLP(widths: [10, 4, 3]), workers: 1)
        #expect(throws: ConfigurationError.self) { try trainer.evaluate(on: Dataset.digits()) }
        let tooManyClasses = Dataset.synthetic(samples: 10, features: 10, classes: 5)
        #expect(throws: ConfigurationError.self) { try trainer.evaluate(on: tooManyClasses) }
    }
}
