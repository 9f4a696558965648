import Batchwise
import Foundation
import Testing
import BatchwiseTestSupport

/// End-to-end runs of the training tool people run for hours: checkpoints, resume in a second
/// process, the non-finite stop, metrics and plot files, eval and predict.
extension CLITests {
    func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("batchwise-cli-\(UUID().uuidString)").path
    }

    @Test func stopMidEpochAndResumeInAnotherProcessGivesBitIdenticalWeights() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = ["train", "--epochs", "2", "--optimizer", "adamw", "--lr-schedule", "cosine", "--warmup-steps", "5",
                   "--batch-size", "32,64@2", "--threads", "2", "--quiet"]
        let straight = try batchwise(run)
        #expect(straight.status == 0, "\(straight.stderr)")
        // Epoch 1 has 45 steps: stop at step 20, in the middle of it.
        let first = try batchwise(run + ["--checkpoint-dir", dir, "--max-steps", "20", "--checkpoint-every", "7"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("paused: 20 steps done"))
        let second = try batchwise(["train", "--resume", dir, "--quiet"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("resumed: from \(dir) at epoch 1, step 20"))
        #expect(try weightsDigest(second) == weightsDigest(straight))
        // The epoch lines agree too, down to the printed losses.
        let epochLines = { (r: Run) in r.stdoutLines.filter { $0.hasPrefix("epoch 2/2") }.map { $0.components(separatedBy: "  ").prefix(4) } }
        #expect(epochLines(second) == epochLines(straight))
    }

    @Test func aHugeLearningRateStopsWithTheNonFiniteErrorAndTheLastCheckpointStillLoads() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let csv = try temporaryCSV((0..<200).map { i in "\(Double(i % 17) / 17),\(Double(i % 5)),\(Double(i % 7) * 3)" }.joined(separator: "\n"))
        defer { try? FileManager.default.removeItem(atPath: csv) }
        let line = try expectCleanFailure(["train", "--data", csv, "--loss", "mse", "--layers", "2,16,1", "--lr", "3",
                                           "--epochs", "30", "--checkpoint-dir", dir, "--checkpoint-every", "2", "--quiet"],
                                          mentioning: ["NaN or infinite", "step", "learning rate", "--lr"])
        #expect(!line.isEmpty)
        // The checkpoint written before the blow-up is intact and loads.
        let eval = try batchwise(["eval", "--checkpoint", dir, "--data", csv])
        #expect(eval.status == 0, "\(eval.stderr)")
        #expect(eval.stdout.contains("loss: "))
        // --on-nonfinite skip carries on, but this run skips most of its batches: an error at
        // its end (a few skipped batches are fine: CLINonFiniteTests).
        try expectCleanFailure(["train", "--data", csv, "--loss", "mse", "--layers", "2,16,1", "--lr", "3",
                                "--epochs", "30", "--on-nonfinite", "skip", "--quiet"],
                               mentioning: ["batches had a NaN or infinite loss and were skipped", "--lr"])
    }

    @Test func damagedAndMismatchedCheckpointsAreClearErrors() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try batchwise(["train", "--epochs", "1", "--checkpoint-dir", dir, "--quiet"]).status == 0)
        let file = dir + "/checkpoint.bwck"
        let good = try Data(contentsOf: URL(fileURLWithPath: file))
        try expectCleanFailure(["train", "--resume", dir, "--layers", "64,32,10"], mentioning: ["--layers", "cannot be changed"])
        var flipped = good
        flipped[good.count / 2] ^= 0x01
        try flipped.write(to: URL(fileURLWithPath: file))
        try expectCleanFailure(["train", "--resume", dir], mentioning: [file, "damaged or truncated"])
        try good.prefix(good.count - 1000).write(to: URL(fileURLWithPath: file))
        try expectCleanFailure(["eval", "--checkpoint", dir, "--data", "x.csv"], mentioning: [file, "damaged or truncated"])
        var newer = good
        newer[8] = 3  // one past the format this build writes (2)
        try newer.write(to: URL(fileURLWithPath: file))
        try expectCleanFailure(["train", "--resume", dir], mentioning: ["newer Batchwise"])
        try expectCleanFailure(["train", "--resume", dir + "/nowhere"], mentioning: ["no such checkpoint directory"])
    }

    @Test func resumingWithOtherDataOrTooFewEpochsIsRefused() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try batchwise(["train", "--epochs", "2", "--max-steps", "5", "--checkpoint-dir", dir, "--quiet"]).status == 0)
        let csv = try temporaryCSV((0..<60).map { i in (0..<64).map { _ in "0.5" }.joined(separator: ",") + ",\(i % 10)" }.joined(separator: "\n"))
        defer { try? FileManager.default.removeItem(atPath: csv) }
        try expectCleanFailure(["train", "--resume", dir, "--data", csv], mentioning: ["built-in digits", "without --data"])
        try expectCleanFailure(["train", "--resume", dir, "--epochs", "0"], mentioning: ["--epochs 0"])
        // A grain larger than any batch is one microshard per batch, not an overflow.
        let oneMicroshard = try batchwise(["train", "--reproducible", "--grain", "9223372036854775807", "--epochs", "1", "--quiet"])
        #expect(oneMicroshard.reason == .exit && oneMicroshard.status == 0, "\(oneMicroshard.stderr)")
        let huge = try batchwise(["train", "--resume", dir, "--checkpoint-every", "9223372036854775807", "--quiet"])
        #expect(huge.reason == .exit && huge.status == 0, "\(huge.stderr)")
    }

    @Test func metricsAndPlotFilesAreWritten() throws {
        let dir = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try batchwise(["train", "--epochs", "3", "--metrics", dir + "/m.jsonl", "--plot", dir + "/loss.svg", "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = try String(contentsOfFile: dir + "/m.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3)
        for (i, line) in lines.enumerated() {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["epoch"] as? Int == i + 1)
            for key in ["step", "learning_rate", "batch_size", "train_loss", "validation_loss", "validation_accuracy", "samples_per_second", "wall_seconds"] {
                #expect(object[key] != nil, "\(key) in \(line)")
            }
        }
        let svg = try String(contentsOfFile: dir + "/loss.svg", encoding: .utf8)
        #expect(svg.hasPrefix("<?xml") || svg.hasPrefix("<svg"))
        #expect(svg.contains("loss-train") && svg.contains("loss-validation"))
        try expectCleanFailure(["train", "--epochs", "1", "--metrics", "/nonexistent-dir/m.jsonl"], mentioning: ["/nonexistent-dir/m.jsonl"])
    }

    @Test func evalAndPredictUseTheCheckpointedModel() throws {
        let dir = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A learnable CSV task: the class is which of 3 features is largest.
        var random = SeededGenerator(seed: 3)
        let rows = (0..<300).map { _ -> [Double] in (0..<3).map { _ in Double.random(in: 0...1, using: &random) } }
        let labelled = rows.map { r in r.map { String($0) }.joined(separator: ",") + ",\(r.firstIndex(of: r.max()!)!)" }
        let train = dir + "/train.csv", features = dir + "/x.csv", out = dir + "/pred.csv"
        try ("a,b,c,class\n" + labelled.joined(separator: "\n")).write(toFile: train, atomically: true, encoding: .utf8)
        try rows.prefix(10).map { $0.map { String($0) }.joined(separator: ",") }.joined(separator: "\n")
            .write(toFile: features, atomically: true, encoding: .utf8)
        #expect(try batchwise(["train", "--data", train, "--epochs", "40", "--normalize", "standard", "--checkpoint-dir", dir, "--quiet"]).status == 0)
        let eval = try batchwise(["eval", "--checkpoint", dir, "--data", train])
        #expect(eval.status == 0, "\(eval.stderr)")
        #expect(eval.stdout.contains("confusion matrix"))
        let accuracy = try #require(eval.stdoutLines.first { $0.hasPrefix("accuracy: ") })
        #expect(Double(accuracy.dropFirst(10).prefix { $0 != "%" })! > 90)
        let predict = try batchwise(["predict", "--checkpoint", dir, "--data", features, "--output", out])
        #expect(predict.status == 0, "\(predict.stderr)")
        let predictions = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        #expect(predictions.first == "prediction,p0,p1,p2")
        #expect(predictions.count == 11)
        let agree = zip(predictions.dropFirst(), rows).filter { line, r in Int(line.prefix { $0 != "," }) == r.firstIndex(of: r.max()!) }.count
        #expect(agree >= 8)
        try expectCleanFailure(["predict", "--checkpoint", dir, "--data", train + ".missing", "--output", out], mentioning: ["no such file"])
        try expectCleanFailure(["eval", "--checkpoint", dir, "--data", features], mentioning: ["label"])
    }
}

extension CLITests {
    @Test func trainsOnGzippedIDXImagesAndNPYData() throws {
        let dir = try DataFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // 8×8 "images" whose class (0 or 1) is which half of the image is bright.
        let n = 120
        var pixels: [UInt8] = [], labels: [UInt8] = []
        for i in 0..<n {
            let label = UInt8(i % 2)
            for p in 0..<64 { pixels.append((p < 32) == (label == 0) ? UInt8(200 + (i * 7 + p) % 50) : UInt8((i + p) % 40)) }
            labels.append(label)
        }
        let images = try DataFixture.write(DataFixture.gzip(DataFixture.idx(shape: [UInt32(n), 8, 8], values: pixels)), to: "train-images-idx3-ubyte.gz", in: dir)
        let imageLabels = try DataFixture.write(DataFixture.idx(shape: [UInt32(n)], values: labels), to: "train-labels-idx1-ubyte", in: dir)
        let idx = try batchwise(["train", "--data", images, "--labels", imageLabels, "--scale", "255", "--epochs", "5", "--quiet"])
        #expect(idx.status == 0, "\(idx.stderr)")
        #expect(idx.stdout.contains("64 features"))
        #expect(idx.stdout.contains("val acc 100.00%"))

        let features = try DataFixture.write(DataFixture.gzip(DataFixture.npy(descr: "<f4", shape: [n, 64], payload: DataFixture.float32(pixels.map { Float($0) / 255 }))), to: "x.npy.gz", in: dir)
        let targets = try DataFixture.write(DataFixture.npy(descr: "|u1", shape: [n], payload: labels), to: "y.npy", in: dir)
        let npy = try batchwise(["train", "--data", features, "--labels", targets, "--epochs", "5", "--quiet"])
        #expect(npy.status == 0, "\(npy.stderr)")
        #expect(npy.stdout.contains("val acc 100.00%"))
        try expectCleanFailure(["train", "--data", features, "--epochs", "1"], mentioning: ["--labels"])
    }
}

extension CLITests {
    @Test func reproducibleRunsAgreeAcrossThreadCountsAndTheDefaultModeSaysItDoesNot() throws {
        let run = ["train", "--epochs", "2", "--batch-size", "50", "--reproducible", "--grain", "16", "--quiet"]
        let one = try batchwise(run + ["--threads", "1"])
        let three = try batchwise(run + ["--threads", "3", "--oversubscribe", "--placement", "scatter"])
        #expect(one.status == 0 && three.status == 0, "\(one.stderr)\(three.stderr)")
        #expect(try weightsDigest(one) == weightsDigest(three))
        #expect(one.stdout.contains("reproducible: microshards of 16 samples"))
        // The default cut, four microshards per batch, agrees across thread counts too.
        let standard = ["train", "--epochs", "2", "--batch-size", "50", "--reproducible", "--quiet"]
        let standardOne = try batchwise(standard + ["--threads", "1"])
        #expect(try weightsDigest(standardOne) == weightsDigest(try batchwise(standard + ["--threads", "2"])))
        // The README's claim: without --grain each batch is cut into 4 microshards (of 13 here).
        #expect(standardOne.stdout.contains("reproducible: 4 microshards per batch"), "\(standardOne.stdout)")
        #expect(Microsharding.standard.grain(forBatch: 50) == 13)
        try expectCleanFailure(["train", "--grain", "8"], mentioning: ["--grain", "--reproducible"])

        // A default-mode run resumed on another thread count carries on, and says it is no
        // longer bit-identical to an uninterrupted run.
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try batchwise(["train", "--epochs", "2", "--threads", "2", "--max-steps", "10", "--checkpoint-dir", dir, "--quiet"]).status == 0)
        let resumed = try batchwise(["train", "--resume", dir, "--threads", "1", "--quiet"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("will not be bit-identical"))
    }
}
