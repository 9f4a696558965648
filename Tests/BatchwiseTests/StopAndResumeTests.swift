import Foundation
import Testing
@testable import Batchwise
import BatchwiseTestSupport

/// Stopping a run on request between two steps, the stored training-data digest, and the
/// checkpoint directory's lock — in process (the CLI tests send real signals to a child).
@Suite(.serialized) struct StopAndResumeTests {
    typealias Base = CheckpointTests

    /// A request already made when a job starts ends it after its first step, on every
    /// worker: the job reports one step, and the weights are those of that one step.
    @Test(arguments: [1, 2, 3]) func aStopEndsTheJobAfterTheStepInFlight(workers: Int) throws {
        let c = try Base.configuration()
        let plan = try PlacementPlan(topology: Fixture.topology, workers: workers, placement: .compact, oversubscribe: true)
        let scheduler = try EpochScheduler(sampleCount: Base.data.train.count, seed: 17, batchSizes: c.batchSizes)
        let epoch = scheduler.plan(epoch: 1)
        func trainer() throws -> Trainer<MLP> {
            try Trainer(model: try c.makeModel(), optimizer: c.optimizer.optimizer, topology: Fixture.topology, plan: plan,
                        maxBatchSize: scheduler.maxBatchSize, seed: 17)
        }
        let rates = [Float](repeating: 0.01, count: epoch.steps)
        let oneStep = try trainer()
        _ = try oneStep.trainSteps(epoch, on: Base.data.train, steps: 0..<1, learningRates: [0.01])
        let stopped = try trainer()
        let stop = StopRequest()
        stop.request(reason: 15)
        let report = try stopped.trainSteps(epoch, on: Base.data.train, steps: 0..<epoch.steps, learningRates: rates, stop: stop)
        #expect(report.steps == 1)
        #expect(stopped.step == 1)
        #expect(stopped.weightsDigest() == oneStep.weightsDigest())
        #expect(stop.reason == 15)
    }

    /// A stop requested at step 11 (mid-epoch 1) returns `.stopped` with a checkpoint at that
    /// exact step, and the resumed run ends bit-identical to an uninterrupted one.
    @Test func aStoppedSessionCheckpointsAtItsStepAndResumesBitIdentically() throws {
        let c = try Base.configuration()
        let straight = try Base.session(c)
        try straight.run()
        let first = try Base.session(c)
        let stop = StopRequest()
        first.stopRequest = stop
        first.jobEnds = [11]
        var saved: [Checkpoint] = []
        var events = TrainingSession.Events()
        events.progress = { _ in if first.state.scheduleStep == 11 { stop.request(reason: 2) } }
        events.checkpoint = { saved.append($0.checkpoint()) }
        #expect(try first.run(events) == .stopped(atStep: 11, reason: 2))
        #expect(saved.count == 1)
        let checkpoint = try #require(saved.last)
        #expect(checkpoint.state.epoch == 1 && checkpoint.state.stepInEpoch == 11 && checkpoint.state.scheduleStep == 11)
        let second = try Base.session(c, resume: try Checkpoint.decode(try checkpoint.encoded(), name: "memory"))
        #expect(try second.run() == .completed)
        #expect(second.trainer.weightsDigest() == straight.trainer.weightsDigest())
    }

    /// A stop requested just as an epoch ends does not write that epoch's checkpoint twice.
    @Test func aStopAtAnEpochsEndWritesOneCheckpoint() throws {
        let s = try Base.session(try Base.configuration())
        let stop = StopRequest()
        s.stopRequest = stop
        var steps: [Int] = []
        var events = TrainingSession.Events()
        events.epochEnd = { _ in stop.request() }
        events.checkpoint = { steps.append($0.state.scheduleStep) }
        #expect(try s.run(events) == .stopped(atStep: 17, reason: 1))
        #expect(steps == [17])
    }

    /// The checkpoint stores a digest of the training values: other data of the same size is
    /// refused; a checkpoint without one (written before it was stored) is accepted.
    @Test func resumingOnOtherDataOfTheSameSizeIsRefused() throws {
        let c = try Base.configuration()
        let s = try Base.session(c)
        s.maxSteps = 3
        var saved: Checkpoint?
        var events = TrainingSession.Events()
        events.checkpoint = { saved = $0.checkpoint() }
        try s.run(events)
        var checkpoint = try #require(saved)
        #expect(checkpoint.state.trainingDigest?.count == 64)
        let other = try Dataset.digits().subset(500..<1000).split(testFraction: 0.2, seed: 3)
        #expect(other.train.count == Base.data.train.count)
        let plan = try PlacementPlan(topology: Fixture.topology, workers: 2, placement: .compact, oversubscribe: true)
        let error = #expect(throws: ConfigurationError.self) {
            try TrainingSession(configuration: c, topology: Fixture.topology, plan: plan, train: other.train,
                                validation: other.test, resume: checkpoint)
        }
        #expect(error?.description.contains("other values") == true, "\(String(describing: error))")
        // As an older checkpoint decodes: no digest field at all.
        checkpoint.state.trainingDigest = nil
        let older = try Checkpoint.decode(try checkpoint.encoded(), name: "memory")
        #expect(older.state.trainingDigest == nil)
        let resumed = try TrainingSession(configuration: c, topology: Fixture.topology, plan: plan, train: other.train,
                                          validation: other.test, resume: older)
        #expect(resumed.state.trainingDigest == TrainingSession.digest(of: other.train))
    }

    @Test func checkpointEveryIsStoredAndOlderCheckpointsHaveNone() throws {
        var c = try Base.configuration()
        c.checkpointEvery = 5
        let s = try Base.session(c)
        #expect(s.checkpointEvery == 5)
        let bytes = try s.checkpoint().encoded()
        #expect(try Checkpoint.decode(bytes, name: "memory").configuration.checkpointEvery == 5)
        c.checkpointEvery = nil
        let none = try Base.session(c).checkpoint()
        #expect(try Checkpoint.decode(try none.encoded(), name: "memory").configuration.checkpointEvery == nil)
    }

    /// One run per directory: a second claim fails naming the holder's process id; the lock
    /// goes with the claim; stale temporary checkpoint files are removed, nothing else.
    @Test func aCheckpointDirectoryIsClaimedByOneRun() throws {
        let dir = NSTemporaryDirectory() + "batchwise-claim-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let stale = dir + "/.checkpoint.bwck.tmp-999999-3", kept = dir + "/notes.txt"
        for file in [stale, kept] { #expect(FileManager.default.createFile(atPath: file, contents: Data("x".utf8))) }
        var first: CheckpointDirectory? = try CheckpointDirectory(claiming: dir)
        #expect(first?.isLocked == true)
        #expect(first?.removedTemporaryFiles == [stale])
        #expect(!FileManager.default.fileExists(atPath: stale) && FileManager.default.fileExists(atPath: kept))
        let error = #expect(throws: DataError.self) { try CheckpointDirectory(claiming: dir) }
        #expect(error?.description.contains("in use by another run (batchwise process \(getpid()))") == true, "\(String(describing: error))")
        first = nil
        #expect(try CheckpointDirectory(claiming: dir).isLocked)
    }
}
