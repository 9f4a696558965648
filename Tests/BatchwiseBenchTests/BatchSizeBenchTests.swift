import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Batchwise
@testable import BatchwiseBench
@testable import BatchwiseReporting
import BatchwiseTestSupport

/// The batch-size sweep: steps, samples and epochs to a target from epoch records (crossing at
/// an epoch boundary), the median noise scale, the JSON columns and the SVG panels, the flag
/// checks, and a small real sweep. Timings are never asserted.
@Suite struct BatchSizeBenchTests {
    // MARK: Fixtures

    /// Epoch records with these validation accuracies (and losses 1 − accuracy), `stepsPerEpoch`
    /// optimizer steps each, 0.5 s of training each, and these noise-scale estimates.
    static func records(accuracies: [Double?], stepsPerEpoch: Int, noise: [Double?]? = nil) -> [EpochRecord] {
        accuracies.enumerated().map { i, accuracy in
            EpochRecord(epoch: i + 1, step: (i + 1) * stepsPerEpoch, learningRate: 0.05, batchSize: 32, trainLoss: 1,
                        validationLoss: accuracy.map { 1 - $0 }, validationAccuracy: accuracy, samplesPerSecond: 0,
                        wallSeconds: Double(i + 1) * 0.5, noiseScale: noise?[i])
        }
    }

    static func run(_ batchSize: Int, accuracies: [Double?], noise: Double? = nil, samples: Int = 1000,
                    threads: Int = 2) -> BatchSizeRun {
        let steps = (samples + batchSize - 1) / batchSize
        return BatchSizeRun(batchSize: batchSize, learningRate: 0.05 * Double(batchSize) / 32, threads: threads,
                            target: .validationAccuracy(0.95), trainingSamples: samples,
                            records: records(accuracies: accuracies, stepsPerEpoch: steps,
                                             noise: accuracies.map { _ in noise }),
                            wallSeconds: Double(accuracies.count))
    }

    static func setup(threads: Int = 2) -> BatchSizeSetup {
        BatchSizeSetup(task: "digits", trainingSamples: 1000, validationSamples: 250, widths: [64, 128, 10], threads: threads,
                       seed: 1, target: .validationAccuracy(0.95), learningRateRule: "0.05 × B/32 (linear scaling)",
                       maxEpochs: 4, machine: "2 core(s), 2 PU(s)", date: "2026-11-25T00:00:00Z")
    }

    /// Batch sizes 16, 32, 64 (never reached), 128, given out of order.
    static func report(threads: Int = 2) -> BatchSizeReport {
        let noise: (Double) -> Double? = { threads >= 2 ? $0 : nil }
        return BatchSizeReport(setup: setup(threads: threads), runs: [
            run(128, accuracies: [0.5, 0.8, 0.9, 0.96], noise: noise(40), threads: threads),
            run(16, accuracies: [0.96], noise: noise(20), threads: threads),
            run(64, accuracies: [0.6, 0.7, 0.8, 0.9], noise: noise(30), threads: threads),
            run(32, accuracies: [0.9, 0.97], noise: noise(25), threads: threads),
        ])
    }

    // MARK: Arithmetic

    @Test func stepsSamplesAndEpochsAreThoseOfTheFirstEpochThatMetTheTarget() {
        // 1,438 samples at batch 64: ⌈1438/64⌉ = 23 steps an epoch.
        let records = Self.records(accuracies: [0.90, 0.94, 0.96, 0.93, 0.97], stepsPerEpoch: 23, noise: [nil, 10, 20, 30, 40])
        let run = BatchSizeRun(batchSize: 64, learningRate: 0.1, threads: 2, target: .validationAccuracy(0.95),
                               trainingSamples: 1438, records: records, wallSeconds: 3)
        #expect(run.reached && !run.diverged)
        #expect(run.epochsToTarget == 3)
        #expect(run.stepsToTarget == 69)            // the step count at the end of epoch 3, not epoch 5's
        #expect(run.samplesToTarget == 3 * 1438)
        #expect(run.epochsRun == 5 && run.stepsRun == 115)
        #expect(run.trainingSeconds == 2.5)
        #expect(run.samplesPerSecond == 5 * 1438 / 2.5)
        #expect(run.finalValidationAccuracy == 0.97)
        #expect(run.noiseScale == 40)               // the estimate as of the last epoch
        #expect(run.wallSeconds == 3)
    }

    @Test func theCrossingIsTheFirstEpochAtOrPastTheTarget() {
        func epoch(of target: BatchSizeTarget, _ accuracies: [Double?]) -> Int? {
            BatchSizeRun(batchSize: 8, learningRate: 0.1, threads: 2, target: target, trainingSamples: 100,
                         records: Self.records(accuracies: accuracies, stepsPerEpoch: 13), wallSeconds: 1).epochsToTarget
        }
        #expect(epoch(of: .validationAccuracy(0.95), [0.9, 0.95, 0.99]) == 2)   // equal counts
        #expect(epoch(of: .validationAccuracy(0.95), [0.96, 0.5]) == 1)         // a later drop does not undo it
        #expect(epoch(of: .validationAccuracy(0.95), [nil, 0.96]) == 2)         // not evaluated: not reached
        #expect(epoch(of: .validationLoss(0.25), [0.5, 0.7, 0.75, 0.8]) == 3)   // loss 1 − accuracy ≤ 0.25
        #expect(epoch(of: .validationAccuracy(0.95), [0.5, 0.9]) == nil)
        // A NaN loss never meets a loss target.
        var nan = Self.records(accuracies: [0.5], stepsPerEpoch: 1)
        nan[0].validationLoss = .nan
        #expect(!BatchSizeTarget.validationLoss(1).isReached(by: nan[0]))
    }

    @Test func aRunThatNeverMetTheTargetHasNoFiguresToIt() {
        let never = Self.run(64, accuracies: [0.5, 0.6, 0.7])
        #expect(!never.reached)
        #expect(never.stepsToTarget == nil && never.samplesToTarget == nil && never.epochsToTarget == nil)
        #expect(never.epochsRun == 3 && never.stepsRun == 3 * 16)
        let none = BatchSizeRun(batchSize: 64, learningRate: 1, threads: 2, target: .validationLoss(0.1), trainingSamples: 100,
                                records: [], wallSeconds: 0.1, diverged: true)
        #expect(none.diverged && none.samplesPerSecond == nil && none.finalValidationLoss == nil && none.epochsRun == 0)
    }

    @Test func theMedianNoiseScaleCountsOnlyPositiveFiniteEstimates() {
        #expect(Self.report().medianNoiseScale == 27.5)                        // 20, 25, 30, 40
        #expect(BatchSizeReport.median([30, 10, 20]) == 20)
        #expect(BatchSizeReport.median([10, -5, .infinity, .nan, 30]) == 20)
        #expect(BatchSizeReport.median([-1, 0]) == nil)
        #expect(Self.report(threads: 1).medianNoiseScale == nil)
    }

    @Test func theLearningRateScalesLinearlyFromTheBaseBatchSize() throws {
        let linear = try BatchSizeSweep(batchSizes: [64, 16], widths: [4, 3], target: .validationAccuracy(0.9),
                                        learningRate: 0.05, baseBatchSize: 32)
        #expect(linear.batchSizes == [16, 64])
        #expect(linear.learningRate(batchSize: 32) == 0.05)
        #expect(abs(linear.learningRate(batchSize: 64) - 0.1) < 1e-7)
        #expect(abs(linear.learningRate(batchSize: 16) - 0.025) < 1e-7)
        let fixed = try BatchSizeSweep(batchSizes: [16], widths: [4, 3], target: .validationAccuracy(0.9), learningRate: 0.05, baseBatchSize: nil)
        #expect(fixed.learningRate(batchSize: 1024) == 0.05)
        let configuration = try linear.configuration(batchSize: 64, threads: 2)
        let momentum = OptimizerChoice.sgd(try SGD(momentum: 0.9))
        #expect(configuration.batchSizes.maxBatchSize == 64 && configuration.optimizer == momentum)
    }

    // MARK: Output

    @Test func theJSONIsAnArrayWithEveryColumnAndNullsForWhatNeverHappened() throws {
        let report = Self.report()
        let objects = try #require(try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as? [[String: Any]])
        #expect(objects.count == 4)
        let columns = Set(BatchSizeReport.jsonColumns)
        for required in ["batch_size", "steps_to_target", "samples_to_target", "epochs_to_target", "seconds_to_target", "samples_per_second",
                         "tradeoff_steps_min", "tradeoff_samples_min", "tradeoff_critical_batch_size", "median_noise_scale",
                         "final_validation_loss", "final_validation_accuracy", "noise_scale", "reached"] {
            #expect(columns.contains(required))
        }
        for object in objects { #expect(Set(object.keys) == columns) }
        #expect(objects.map { $0["batch_size"] as? Int } == [16, 32, 64, 128])
        #expect(objects.map { $0["steps_to_target"] as? Int } == [63, 64, nil, 32])    // ⌈1000/B⌉ × epochs
        #expect(objects[2]["steps_to_target"] is NSNull && objects[2]["samples_to_target"] is NSNull)
        #expect(objects.map { $0["reached"] as? Bool } == [true, true, false, true])
        #expect(objects[1]["samples_to_target"] as? Int == 2000 && objects[1]["epochs_to_target"] as? Int == 2)
        #expect(objects[3]["noise_scale"] as? Double == 40)
        // Training time to the target: the epoch record's at the crossing (0.5 s per epoch).
        #expect(objects.map { $0["seconds_to_target"] as? Double } == [0.5, 1.0, nil, 2.0])
        #expect(objects.allSatisfy { $0["batch_sizes"] is NSNull && $0["median_noise_scale"] as? Double == 27.5 })
        let unmeasured = try #require(try JSONSerialization.jsonObject(with: Data(Self.report(threads: 1).json().utf8)) as? [[String: Any]])
        #expect(unmeasured.allSatisfy { $0["noise_scale"] is NSNull })
        #expect(try JSONDecoder().decode([BatchSizeRun].self, from: Data(report.json().utf8)) == report.runs)
    }

    @Test func theSVGHasBothPanelsWithTheCurvesAndTheNoiseScaleLine() throws {
        let svg = try SVGElements(BatchSizePlot(report: Self.report()).svg())
        #expect(svg.all.first?.name == "svg")
        for panel in ["steps", "samples"] {
            #expect(svg.element(id: "\(panel)-panel") != nil)
            // 64 never met the target: the curve breaks there, and 64 is marked along the top.
            #expect(try svg.subpaths("\(panel)-measured").map(\.count) == [2, 1])
            #expect(try svg.subpaths("\(panel)-ideal").map(\.count) == [4])
            #expect(svg.all.filter { $0.attributes["class"] == "not-reached" && $0.parents.contains("\(panel)-panel") }.count == 1)
            #expect(svg.tickLabels("x-tick", panel: panel) == ["16", "32", "64", "128"])
            // The median noise scale, 27.5, is a vertical line between the ticks of 16 and 32.
            let line = try #require(svg.element(id: "\(panel)-noise-scale"))
            let x = try #require(Double(line.attributes["x1"] ?? ""))
            #expect(line.attributes["x1"] == line.attributes["x2"])
            let measured = try svg.subpaths("\(panel)-measured")[0]
            #expect(x > measured[0].0 && x < measured[1].0)
        }
        // Perfect scaling: steps ∝ 1/B is a straight line on log-log axes through the first point;
        // samples are flat.
        let ideal = try svg.subpaths("steps-ideal")[0], measured = try svg.subpaths("steps-measured")[0]
        #expect(ideal[0] == measured[0])
        let slope = { (a: (Double, Double), b: (Double, Double)) in (b.1 - a.1) / (b.0 - a.0) }
        #expect(abs(slope(ideal[0], ideal[1]) - slope(ideal[2], ideal[3])) < 0.05)
        #expect(Set(try svg.subpaths("samples-ideal")[0].map(\.1)).count == 1)
        let caption = svg.all.filter { $0.parents.contains("caption") }.map(\.text).joined(separator: " ")
        #expect(caption.contains("critical batch size") && caption.contains("halves the steps") && caption.contains("buys little"))
        // Without a measured noise scale there is no line, and the caption says so.
        let unmeasured = try SVGElements(BatchSizePlot(report: Self.report(threads: 1)).svg())
        #expect(unmeasured.element(id: "steps-noise-scale") == nil)
        #expect(unmeasured.all.filter { $0.parents.contains("caption") }.contains { $0.text.contains("not measured") })
    }

    @Test func batchSizeAxesAreTickedAtPowersOfTwo() throws {
        let axis = try #require(PlotAxis(powersOfTwoCovering: [16, 1024, 57]))
        #expect(axis.labels == ["16", "32", "64", "128", "256", "512", "1024"])
        #expect(axis.logarithmic && axis.lower == 16 && axis.upper == 1024)
        let wide = try #require(PlotAxis(powersOfTwoCovering: [1, 65536]))
        #expect(wide.ticks.count <= 9 && wide.lower == 1 && wide.upper >= 65536 && wide.labels.first == "1")
        let between = try #require(PlotAxis(powersOfTwoCovering: [20, 40]))
        #expect(between.lower == 16 && between.upper == 64)
        #expect(PlotAxis(powersOfTwoCovering: [0, -3, .nan]) == nil)
    }

    @Test func theTableShowsEveryBatchSizeAndWhatWasNotMeasured() {
        let table = Self.report().table()
        #expect(table.contains("steps") && table.contains("samples/s") && table.contains("noise scale"))
        #expect(table.contains("never") && table.contains("27.5") && table.contains("once per epoch"))
        let single = Self.report(threads: 1).table()
        #expect(single.contains("not measured with 1 thread"))
    }

    // MARK: Flags

    @Test func targetsAndSweepSettingsAreChecked() throws {
        #expect(try BatchSizeTarget(loss: nil, accuracy: nil) == .validationAccuracy(0.95))
        #expect(try BatchSizeTarget(loss: 0.1, accuracy: nil) == .validationLoss(0.1))
        #expect(try BatchSizeTarget(loss: nil, accuracy: 1) == .validationAccuracy(1))
        for (loss, accuracy) in [(0.1, 0.9), (0, nil), (-1, nil), (.nan, nil), (nil, 0), (nil, 1.01), (nil, .infinity)] as [(Double?, Double?)] {
            #expect(throws: ConfigurationError.self) { try BatchSizeTarget(loss: loss, accuracy: accuracy) }
        }
        #expect(try BatchSizeSweep.parseBatchSizes("16, 32,64") == [16, 32, 64])
        for text in ["16,,32", "sixteen", "16;32", ""] {
            #expect(throws: ConfigurationError.self) { try BatchSizeSweep.parseBatchSizes(text) }
        }
        let target = BatchSizeTarget.validationAccuracy(0.9)
        let bad: [() throws -> BatchSizeSweep] = [
            { try BatchSizeSweep(batchSizes: [], widths: [4, 2], target: target) },
            { try BatchSizeSweep(batchSizes: [0, 16], widths: [4, 2], target: target) },
            { try BatchSizeSweep(batchSizes: [16, 16], widths: [4, 2], target: target) },
            { try BatchSizeSweep(batchSizes: [16], widths: [4], target: target) },
            { try BatchSizeSweep(batchSizes: [16], widths: [4, 2], target: target, maxEpochs: 0) },
            { try BatchSizeSweep(batchSizes: [16], widths: [4, 2], target: target, learningRate: 0) },
            { try BatchSizeSweep(batchSizes: [16], widths: [4, 2], target: target, baseBatchSize: 0) },
        ]
        for make in bad { #expect(throws: ConfigurationError.self) { try make() } }
        let sweep = try BatchSizeSweep(batchSizes: [16, 4096], widths: [4, 2], target: target)
        #expect(throws: ConfigurationError.self) { try sweep.check(trainingSamples: 1438, validationSamples: 359) }
        #expect(throws: ConfigurationError.self) { try sweep.check(trainingSamples: 5000, validationSamples: 0) }
    }

    // MARK: A real sweep

    @Test func aRealSweepStopsAtTheTargetAndCountsWholeEpochsOfSteps() throws {
        let all = Dataset.synthetic(samples: 500, features: 8, classes: 3, seed: 3)
        let (train, validation) = try all.split(testFraction: 0.2, seed: 1)
        let sweep = try BatchSizeSweep(batchSizes: [10, 64], widths: [8, 16, 3], target: .validationAccuracy(0.6), maxEpochs: 30,
                                       learningRate: 0.05, baseBatchSize: 32, seed: 1)
        let plan = try PlacementPlan(topology: Fixture.topology, workers: 2, placement: .compact, oversubscribe: true)
        var seen: [Int] = []
        let report = try sweep.run(task: "synthetic", train: train, validation: validation, topology: Fixture.topology, plan: plan) {
            seen.append($0.batchSize)
        }
        #expect(seen == [10, 64])
        for run in report.runs {
            #expect(run.reached, "batch \(run.batchSize) reached 60% within 30 epochs")
            let epochs = try #require(run.epochsToTarget)
            let perEpoch = (train.count + run.batchSize - 1) / run.batchSize
            #expect(run.stepsToTarget == epochs * perEpoch)
            #expect(run.samplesToTarget == epochs * train.count)
            #expect(run.epochsRun == epochs)                          // stopped at the target
            #expect((run.finalValidationAccuracy ?? 0) >= 0.6)
            #expect(run.noiseScale != nil)                           // two workers: measured
        }
    }

    /// `checkEvery`: the crossing is the first check (every 3 steps, or an epoch's end) whose
    /// validation met the target — retraining to that step meets it, to the check before does
    /// not — and no later than the epoch-end crossing; the checks change no weight.
    @Test func checksBetweenEpochEndsFindTheFirstStepThatMetTheTarget() throws {
        let all = Dataset.synthetic(samples: 500, features: 8, classes: 3, seed: 3)
        let (train, validation) = try all.split(testFraction: 0.2, seed: 1)
        let target = BatchSizeTarget.validationAccuracy(0.8)
        var sweep = try BatchSizeSweep(batchSizes: [10, 64], widths: [8, 16, 3], target: target, maxEpochs: 40,
                                       learningRate: 0.05, baseBatchSize: 32, seed: 1)
        let plan = try PlacementPlan(topology: Fixture.topology, workers: 2, placement: .compact, oversubscribe: true)
        let byEpoch = try sweep.run(task: "synthetic", train: train, validation: validation, topology: Fixture.topology, plan: plan)
        sweep.checkEvery = 3
        let byStep = try sweep.run(task: "synthetic", train: train, validation: validation, topology: Fixture.topology, plan: plan)
        #expect(byStep.setup.checkEvery == 3 && byStep.table().contains("every 3 step(s)"))
        for (coarse, fine) in zip(byEpoch.runs, byStep.runs) {
            let b = fine.batchSize, perEpoch = (train.count + b - 1) / b
            let steps = try #require(fine.stepsToTarget, "batch \(b) reached 80%")
            let epoch = try #require(fine.epochsToTarget)
            #expect(steps <= (coarse.stepsToTarget ?? .max), "batch \(b): \(steps) steps against \(coarse.stepsToTarget ?? -1) at epoch ends")
            let inEpoch = steps - (epoch - 1) * perEpoch
            #expect(inEpoch >= 1 && inEpoch <= perEpoch)
            #expect(steps % 3 == 0 || inEpoch == perEpoch, "batch \(b): step \(steps) is neither a check nor an epoch end")
            #expect(fine.samplesToTarget == (epoch - 1) * train.count + min(inEpoch * b, train.count))
            #expect((fine.secondsToTarget ?? .infinity) <= fine.trainingSeconds + 1e-12)
            #expect((fine.finalValidationAccuracy ?? 0) >= 0.8, "the figures of the check that met the target")
            // Retrain to the crossing and to the check before it.
            func accuracy(afterSteps n: Int) throws -> Double {
                let session = try TrainingSession(configuration: try sweep.configuration(batchSize: b, threads: 2), topology: Fixture.topology,
                                                  plan: plan, train: train, validation: validation)
                session.maxSteps = n
                try session.run()
                return try #require(try session.trainer.evaluate(on: validation).accuracy)
            }
            #expect(try accuracy(afterSteps: steps) >= 0.8)
            let previous = inEpoch == perEpoch ? (steps / 3) * 3 : steps - 3
            if previous > 0 { #expect(try accuracy(afterSteps: previous) < 0.8, "batch \(b): the check at step \(previous) met it already") }
        }
        // A target never met: the checks leave the run as it was.
        var never = try BatchSizeSweep(batchSizes: [10], widths: [8, 16, 3], target: .validationLoss(1e-9), maxEpochs: 3,
                                       learningRate: 0.05, baseBatchSize: 32, seed: 1)
        let plain = try never.run(task: "synthetic", train: train, validation: validation, topology: Fixture.topology, plan: plan)
        never.checkEvery = 4
        let checked = try never.run(task: "synthetic", train: train, validation: validation, topology: Fixture.topology, plan: plan)
        #expect(!checked.runs[0].reached && checked.runs[0].stepsRun == plain.runs[0].stepsRun)
        #expect(checked.runs[0].finalValidationLoss == plain.runs[0].finalValidationLoss)
        never.checkEvery = 0
        #expect(throws: ConfigurationError.self) { try never.check(trainingSamples: 400, validationSamples: 100) }
    }
}
