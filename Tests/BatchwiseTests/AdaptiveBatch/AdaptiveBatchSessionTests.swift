import Foundation
import Testing
@testable import Batchwise
import BatchwiseTestSupport

/// `--batch-size auto` in a training session: it changes the batch mid-epoch, stays
/// bit-identical across thread counts under reproducible mode, resumes exactly from a
/// checkpoint taken mid-epoch, and keeps every sample of each epoch exactly once.
@Suite(.serialized) struct AdaptiveBatchSessionTests {
    static let data = try! Dataset.digits().subset(0..<600).split(testFraction: 0.2, seed: 3)

    static func configuration(reproducible: Bool = true, epochs: Int = 3, lastBatch: LastBatchPolicy = .keep,
                              shape: LearningRateSchedule.Shape = .cosine(floor: 0.001)) throws -> TrainingConfiguration {
        var c = try TrainingConfiguration(
            layers: [64, 24, 10], activation: .tanh, loss: .crossEntropy, optimizer: .sgd(try SGD(momentum: 0.9)),
            learningRate: try LearningRateSchedule(base: 0.02, shape: shape, warmupSteps: 4),
            batchSizes: try BatchSizeSchedule(constant: 4), lastBatch: lastBatch, epochs: epochs, seed: 5, threads: 0,
            microsharding: reproducible ? .standard : nil)
        c.adaptiveBatch = try AdaptiveBatchSize(minimum: 4, maximum: 48, adaptEvery: 6, scaling: .adascale)
        return c
    }

    static func session(_ c: TrainingConfiguration, workers: Int = 2, resume: Checkpoint? = nil) throws -> TrainingSession {
        let plan = try PlacementPlan(topology: Fixture.topology, workers: workers, placement: .compact, oversubscribe: true)
        return try TrainingSession(configuration: c, topology: Fixture.topology, plan: plan,
                                   train: data.train, validation: data.test, resume: resume)
    }

    /// The same weights, decisions and batch sizes at 1, 2 and 3 threads, and the batch does
    /// change during the run (else the test would prove nothing).
    @Test func reproducibleAutoIsBitIdenticalAcrossThreadCounts() throws {
        var digests: [String] = []
        var histories: [[AdaptiveBatchState.Change]] = []
        for workers in [1, 2, 3] {
            let s = try Self.session(try Self.configuration(), workers: workers)
            #expect(try s.run() == .completed)
            digests.append(s.trainer.weightsDigest())
            histories.append(s.state.adaptive!.changes)
        }
        #expect(Set(digests).count == 1)
        #expect(histories.allSatisfy { $0 == histories[0] })
        #expect(Set(histories[0].map(\.decision.batchSize)).count >= 2)
        // A change mid-epoch, not only at an epoch's start.
        #expect(histories[0].contains { $0.epochs != $0.epochs.rounded() })
    }

    /// Paused mid-epoch after a change of batch size, checkpointed, resumed: the weights and
    /// the state of the uninterrupted run.
    @Test(arguments: [false, true]) func resumingAnAutoRunMidEpochGivesTheUninterruptedWeights(secondEpoch: Bool) throws {
        let c = try Self.configuration()
        let straight = try Self.session(c)
        try straight.run()
        // Just after the first change of batch, or half-way through the second epoch.
        let changes = try #require(straight.state.adaptive?.changes)
        #expect(changes.count >= 2)
        let pauseAt = secondEpoch ? (straight.state.history[0].step + straight.state.history[1].step) / 2 : changes[0].step + 3
        let first = try Self.session(c)
        first.maxSteps = pauseAt
        var saved: Checkpoint?
        var events = TrainingSession.Events()
        events.checkpoint = { saved = $0.checkpoint() }
        #expect(try first.run(events) == .paused(atStep: pauseAt))
        let checkpoint = try Checkpoint.decode(try #require(saved).encoded(), name: "memory")
        #expect(checkpoint.state.adaptive == first.state.adaptive)
        #expect(checkpoint.state.stepInEpoch > 0)
        let second = try Self.session(c, workers: 3, resume: checkpoint)
        #expect(try second.run() == .completed)
        #expect(second.trainer.weightsDigest() == straight.trainer.weightsDigest())
        #expect(second.state.adaptive?.changes == straight.state.adaptive?.changes)
        #expect(second.state.history.map(\.batchSize) == straight.state.history.map(\.batchSize))
    }

    /// Every epoch sees each training sample once, whatever the batch changes (keep), or all
    /// but fewer than one batch (drop); the epoch's records carry the gain and efficiency.
    @Test(arguments: [LastBatchPolicy.keep, .drop]) func everySampleOncePerEpoch(policy: LastBatchPolicy) throws {
        let s = try Self.session(try Self.configuration(reproducible: false, epochs: 2, lastBatch: policy))
        var samples: [Int] = []
        var events = TrainingSession.Events()
        events.epochEnd = { _ in samples.append(s.lastEpochSamples) }
        try s.run(events)
        let n = Self.data.train.count
        if policy == .keep { #expect(samples == [n, n]) } else { #expect(samples.allSatisfy { $0 <= n && $0 > n - 48 }) }
        #expect(s.state.history.allSatisfy { $0.gain != nil && $0.efficiency != nil })
        // The throughput model measured every batch size it trained at.
        let tried = Set(s.state.adaptive!.changes.map(\.decision.batchSize))
        #expect(tried.isSubset(of: Set(s.state.adaptive!.throughput.observations.map(\.batchSize))))
    }

    /// With one thread and no microshards the noise cannot be measured: refused, with advice.
    @Test func autoNeedsTheNoiseMeasured() throws {
        #expect(throws: ConfigurationError.self) { try Self.session(try Self.configuration(reproducible: false), workers: 1) }
        var c = try Self.configuration()
        c.batchSizes = try BatchSizeSchedule(constant: 9)
        #expect(throws: ConfigurationError.self) { try Self.session(c) }
    }

    /// On the scale-invariant clock at gain 1 and factor 1 (the base batch), every shape gives
    /// `rate(step:…)`'s value.
    @Test func theScaleInvariantClockAtTheBaseBatchIsTheStepClock() throws {
        let shapes: [LearningRateSchedule.Shape] = [.constant, .step(gamma: 0.5, epochs: [2, 3]), .cosine(floor: 0.01)]
        for shape in shapes {
            let schedule = try LearningRateSchedule(base: 0.1, shape: shape, warmupSteps: 5)
            for t in 0..<40 {
                let stepped = schedule.rate(step: t, epoch: t / 10 + 1, epochs: 4, stepInEpoch: t % 10, stepsInEpoch: 10, batchSize: 32)
                let invariant = schedule.rate(scaleInvariantStep: Double(t), stepsPerEpoch: 10, epochs: 4, factor: 1)
                #expect(abs(stepped - invariant) <= 1e-7 * stepped, "\(shape) at step \(t)")
            }
        }
    }
}
