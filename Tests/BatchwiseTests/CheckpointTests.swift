import Foundation
import Testing
@testable import Batchwise
import BatchwiseTestSupport

@Suite(.serialized) struct CheckpointTests {
    static func configuration(epochs: Int = 2, optimizer: OptimizerChoice? = nil) throws -> TrainingConfiguration {
        try TrainingConfiguration(
            layers: [64, 24, 10], activation: .tanh, loss: .crossEntropy,
            optimizer: optimizer ?? .adam(try Adam(weightDecay: 0.01, decoupledWeightDecay: true)),
            learningRate: try LearningRateSchedule(base: 0.01, shape: .cosine(floor: 0.001), warmupSteps: 7),
            batchSizes: try BatchSizeSchedule(parsing: "24,40@2"), epochs: epochs, seed: 17, threads: 2)
    }

    static let data = try! Dataset.digits().subset(0..<500).split(testFraction: 0.2, seed: 3)

    static func session(_ c: TrainingConfiguration, resume: Checkpoint? = nil) throws -> TrainingSession {
        let plan = try PlacementPlan(topology: Fixture.topology, workers: 2, placement: .compact, oversubscribe: true)
        return try TrainingSession(configuration: c, topology: Fixture.topology, plan: plan,
                                   train: data.train, validation: data.test, resume: resume)
    }

    func temporaryDirectory() -> String {
        NSTemporaryDirectory() + "batchwise-ckpt-\(UUID().uuidString)"
    }

    @Test func resumingMidEpochGivesBitIdenticalWeights() throws {
        let c = try Self.configuration()
        let straight = try Self.session(c)
        #expect(try straight.run() == .completed)

        // 400 samples at batch 24 is 17 steps in epoch 1: stop at step 11, mid-epoch.
        let first = try Self.session(c)
        first.maxSteps = 11
        var saved: Checkpoint?
        var events = TrainingSession.Events()
        events.checkpoint = { saved = $0.checkpoint() }
        #expect(try first.run(events) == .paused(atStep: 11))
        let checkpoint = try #require(saved)
        #expect(checkpoint.state.epoch == 1 && checkpoint.state.stepInEpoch == 11)

        // Through the file format, as a second process would see it.
        let reloaded = try Checkpoint.decode(try checkpoint.encoded(), name: "memory")
        #expect(reloaded == checkpoint)
        let second = try Self.session(c, resume: reloaded)
        #expect(try second.run() == .completed)
        #expect(second.trainer.weightsDigest() == straight.trainer.weightsDigest())
        #expect(second.state.history.map(\.trainLoss) == straight.state.history.map(\.trainLoss))
        #expect(second.state.optimizerSteps == straight.state.optimizerSteps)
    }

    @Test func epochRecordsFollowTheSchedules() throws {
        let s = try Self.session(try Self.configuration(epochs: 3))
        try s.run()
        #expect(s.state.history.map(\.batchSize) == [24, 40, 40])
        #expect(s.state.history.map(\.step) == [17, 27, 37])
        // The last step of epoch 3 is at cosine progress 9/10 of the run.
        let expected = 0.001 + 0.009 * (1 + cos(Double.pi * (2 + 9.0 / 10) / 3)) / 2
        #expect(abs(s.state.history[2].learningRate - expected) < 1e-7)
    }

    @Test func writeAndLoadThroughADirectory() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let s = try Self.session(try Self.configuration())
        s.maxSteps = 5
        try s.run()
        let c = s.checkpoint()
        try c.write(to: dir)
        #expect(try Checkpoint.load(from: dir) == c)
    }

    @Test func aCrashBeforeTheRenameLeavesThePreviousCheckpoint() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let s = try Self.session(try Self.configuration())
        s.maxSteps = 3
        try s.run()
        let old = s.checkpoint()
        try old.write(to: dir)
        s.maxSteps = 9
        try s.run()
        // The writer dies after writing the new file but before renaming it; and a torn write
        // (half the bytes) of a third one sits beside it too.
        let temporary = try s.checkpoint().writeTemporary(in: dir)
        let bytes = try s.checkpoint().encoded()
        FileManager.default.createFile(atPath: dir + "/.checkpoint.bwck.tmp-1", contents: Data(bytes.prefix(bytes.count / 2)))
        #expect(FileManager.default.fileExists(atPath: temporary))
        #expect(try Checkpoint.load(from: dir) == old)
        try Checkpoint.commit(temporary: temporary, in: dir)
        #expect(try Checkpoint.load(from: dir).state.scheduleStep == 9)
    }

    @Test func damagedCheckpointsAreClearErrors() throws {
        let s = try Self.session(try Self.configuration())
        s.maxSteps = 2
        try s.run()
        let bytes = try s.checkpoint().encoded()
        func error(_ b: [UInt8]) -> String {
            do { _ = try Checkpoint.decode(b, name: "c.bwck"); return "loaded" } catch { return error.message }
        }
        var flipped = bytes
        flipped[bytes.count / 2] ^= 0x10
        #expect(error(flipped).contains("damaged or truncated"))
        #expect(error(Array(bytes.prefix(bytes.count - 100))).contains("damaged or truncated"))
        #expect(error(Array(bytes.prefix(10))).contains("not a Batchwise checkpoint"))
        #expect(error([UInt8](repeating: 7, count: 200)).contains("not a Batchwise checkpoint"))
        var newer = bytes
        newer[8] = 9
        #expect(error(newer).contains("newer Batchwise"))
        #expect(error([]).contains("not a Batchwise checkpoint"))
    }

    @Test func aHeaderFromAnotherVersionNamesTheFieldThatDoesNotFit() throws {
        let s = try Self.session(try Self.configuration())
        s.maxSteps = 2
        try s.run()
        var bytes = try s.checkpoint().encoded()
        // Rename one field of the JSON header (same length), then fix the checksum.
        let json = Array("\"epochSums\"".utf8), renamed = Array("\"epochSumX\"".utf8)
        let at = try #require((0...(bytes.count - json.count)).first { Array(bytes[$0..<($0 + json.count)]) == json })
        bytes.replaceSubrange(at..<(at + json.count), with: renamed)
        var hash = SHA256()
        hash.update(Array(bytes.dropLast(32)))
        bytes.replaceSubrange((bytes.count - 32)..., with: hash.finalizeBytes())
        do {
            _ = try Checkpoint.decode(bytes, name: "c.bwck")
            Issue.record("a header missing a field loaded")
        } catch {
            #expect(error.message.contains("field 'state.epochSums' is missing"), "\(error.message)")
        }
    }

    @Test func aCheckpointForAnotherModelIsRefused() throws {
        let s = try Self.session(try Self.configuration())
        s.maxSteps = 2
        try s.run()
        var other = try Self.configuration()
        other.layers = [64, 30, 10]
        #expect(throws: ConfigurationError.self) { try Self.session(other, resume: s.checkpoint()) }
    }

    @Test func missingCheckpointIsAClearError() {
        #expect(throws: DataError.self) { try Checkpoint.load(from: "/nonexistent-batchwise-dir") }
        let dir = temporaryDirectory()
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: DataError.self) { try Checkpoint.load(from: dir) }
    }
}

@Suite(.serialized) struct TrainingSessionTests {
    @Test func earlyStoppingKeepsTheBestWeights() throws {
        // Validation labels are noise, so validation loss rises as the model fits the training set.
        let (train, _) = try Dataset.digits().subset(0..<300).split(testFraction: 0.2, seed: 1)
        var noise = RandomStream(seed: 9, purpose: .synthetic)
        let validation = Dataset(name: "noise", features: train.features.prefix(100 * 64).map { $0 },
                                 targets: (0..<100).map { _ in Float(noise.next(below: 10)) },
                                 featureWidth: 64, targetWidth: 1, classCount: 10)
        var c = try CheckpointTests.configuration(epochs: 60, optimizer: .sgd(try SGD(momentum: 0.9)))
        c.learningRate = try LearningRateSchedule(base: 0.1)
        c.patience = 3
        let plan = try PlacementPlan(topology: Fixture.topology, workers: 2, placement: .compact, oversubscribe: true)
        let s = try TrainingSession(configuration: c, topology: Fixture.topology, plan: plan, train: train, validation: validation)
        let outcome = try s.run()
        guard case .stoppedEarly(let best) = outcome else { Issue.record("expected early stopping, got \(outcome)"); return }
        #expect(s.state.history.count == best + 3)
        #expect(try s.trainer.evaluate(on: validation).loss == s.state.bestValidationLoss)
    }

    @Test func nonFiniteBatchesAreSkippedAndCounted() throws {
        var c = try CheckpointTests.configuration(epochs: 2, optimizer: .sgd(try SGD(momentum: 0.9)))
        c.layers = [8, 16, 2]
        c.loss = .mse
        c.learningRate = try LearningRateSchedule(base: 50)
        c.onNonFinite = .skip
        let data = Dataset.synthetic(samples: 200, features: 8, outputs: 2, seed: 2)
        let plan = try PlacementPlan(topology: Fixture.topology, workers: 2, placement: .compact, oversubscribe: true)
        let s = try TrainingSession(configuration: c, topology: Fixture.topology, plan: plan, train: data, validation: nil)
        #expect(try s.run() == .completed)
        #expect(s.state.skippedTotal > 0)
        #expect(s.state.optimizerSteps + s.state.skippedTotal == s.state.scheduleStep)
        c.onNonFinite = .stop
        let stopping = try TrainingSession(configuration: c, topology: Fixture.topology, plan: plan, train: data, validation: nil)
        #expect(throws: TrainingError.self) { try stopping.run() }
    }
}
