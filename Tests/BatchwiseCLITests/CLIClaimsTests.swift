import BatchwiseTestSupport
import Foundation
import Testing

/// README claims, each held by a test that fails when the claim breaks: eval and predict
/// re-apply the stored scaling, the noise scale (finite and ∞), predict's probabilities and
/// regression outputs, --timing, --patience, --last-batch drop, --lr-scaling; and eval's
/// advice speaks of the checkpoint's model, not of train flags it does not have.
extension CLITests {
    /// `rows` seeded samples: a ∈ [0, 1), b ∈ [0, 1000) — features three orders of magnitude
    /// apart — and the class (a + b/1000 > 1).
    func scaledCSV(_ rows: Int, seed: UInt64, header: Bool = true) -> (labelled: String, features: String, labels: [Int]) {
        var random = SeededGenerator(seed: seed)
        var labelled = header ? ["a,b,class"] : [], features: [String] = [], labels: [Int] = []
        for _ in 0..<rows {
            let a = Double.random(in: 0..<1, using: &random), b = Double.random(in: 0..<1000, using: &random)
            let label = a + b / 1000 > 1 ? 1 : 0
            labelled.append("\(a),\(b),\(label)")
            features.append("\(a),\(b)")
            labels.append(label)
        }
        return (labelled.joined(separator: "\n"), features.joined(separator: "\n"), labels)
    }

    /// The number after `prefix` in the first line that contains it.
    func number(after prefix: String, in text: String) -> Double? {
        guard let range = text.range(of: prefix) else { return nil }
        return Double(text[range.upperBound...].prefix { "0123456789.-e".contains($0) })
    }

    @Test(arguments: [["--normalize", "standard"], ["--normalize", "minmax"], ["--scale", "1000"]])
    func evalAndPredictReapplyTheStoredScaling(_ scaling: [String]) throws {
        let dir = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let train = scaledCSV(300, seed: 11), test = scaledCSV(60, seed: 12)
        try train.labelled.write(toFile: dir + "/train.csv", atomically: true, encoding: .utf8)
        try test.labelled.write(toFile: dir + "/test.csv", atomically: true, encoding: .utf8)
        try test.features.write(toFile: dir + "/x.csv", atomically: true, encoding: .utf8)
        let run = try batchwise(["train", "--data", dir + "/train.csv", "--test", dir + "/test.csv", "--epochs", "15",
                                 "--checkpoint-dir", dir + "/ck", "--quiet"] + scaling)
        #expect(run.status == 0, "\(run.stderr)")
        let done = try #require(run.stdoutLines.first { $0.hasPrefix("done: ") }.map(String.init))
        let trainedLoss = try #require(number(after: "test loss ", in: done))
        if scaling[0] == "--normalize" {
            #expect(try #require(number(after: "test accuracy ", in: done)) > 85, "the scaled task is learnt: \(done)")
        }
        // eval scales test.csv as training did: the same loss, to the printed digits.
        let eval = try batchwise(["eval", "--checkpoint", dir + "/ck", "--data", dir + "/test.csv"])
        #expect(eval.status == 0, "\(eval.stderr)")
        #expect(number(after: "loss: ", in: eval.stdout) == trainedLoss, "\(eval.stdout) vs \(done)")
        // predict too: the cross-entropy of its probabilities is that loss.
        let predict = try batchwise(["predict", "--checkpoint", dir + "/ck", "--data", dir + "/x.csv", "--output", dir + "/p.csv"])
        #expect(predict.status == 0, "\(predict.stderr)")
        let rows = try String(contentsOfFile: dir + "/p.csv", encoding: .utf8).split(separator: "\n").dropFirst()
        #expect(rows.count == 60)
        let crossEntropy = zip(rows, test.labels).map { row, label in
            -log(Double(row.split(separator: ",")[1 + label])!)
        }.reduce(0, +) / 60
        #expect(abs(crossEntropy - trainedLoss) < 1e-3, "predict's probabilities give loss \(crossEntropy), training \(trainedLoss)")
    }

    @Test func theNoiseScaleIsOnTheEpochLineAndInTheMetrics() throws {
        let dir = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let finite = try batchwise(["train", "--epochs", "1", "--threads", "2", "--metrics", dir + "/m.jsonl", "--quiet"])
        #expect(finite.status == 0, "\(finite.stderr)")
        let line = try #require(finite.stdoutLines.first { $0.hasPrefix("epoch 1/1") }.map(String.init))
        let shown = try #require(number(after: "noise scale ", in: line), "\(line)")
        let metrics = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/m.jsonl"))) as? [String: Any])
        let logged = try #require(metrics["noise_scale"] as? Double, "noise_scale is a number: \(metrics)")
        #expect(shown > 0 && logged > 0)
        #expect(abs(shown - logged) <= 0.01 * logged, "the line (\(shown)) shows the logged value (\(logged))")

        // All features 0 and balanced labels, one batch of everything: the full-batch gradient
        // is exactly 0 (every sample's is ±0.5 on the output bias), while each thread's half is
        // not, so the estimate of |G|² is never above 0 and B_simple = tr(Σ)/|G|² is ∞.
        let csv = dir + "/zero.csv"
        try (0..<40).map { "0,0,0,0,\($0 % 2)" }.joined(separator: "\n").write(toFile: csv, atomically: true, encoding: .utf8)
        let infinite = try batchwise(["train", "--data", csv, "--layers", "4,8,2", "--batch-size", "40", "--validation-split", "0",
                                      "--threads", "2", "--epochs", "3", "--metrics", dir + "/zero.jsonl", "--quiet"])
        #expect(infinite.status == 0, "\(infinite.stderr)")
        #expect(infinite.stdoutLines.filter { $0.contains("noise scale ∞ (gradient below noise)") }.count == 3, "\(infinite.stdout)")
        for line in try String(contentsOfFile: dir + "/zero.jsonl", encoding: .utf8).split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["noise_scale"] is NSNull, "an infinite noise scale is null in JSON: \(line)")
        }
        // One thread has no second source to compare with: not measured, and said so.
        let single = try batchwise(["train", "--epochs", "1", "--threads", "1", "--quiet"])
        #expect(single.stdout.contains("noise scale: needs two or more threads"))
        #expect(!single.stdoutLines.contains { $0.hasPrefix("epoch 1/1") && $0.contains("noise scale") })
    }

    @Test func predictedProbabilitiesSumToOneAndNameTheMostLikelyClass() throws {
        let dir = try trainedFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try batchwise(["predict", "--checkpoint", dir + "/ck", "--data", dir + "/x.csv", "--output", dir + "/p.csv"])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = try String(contentsOfFile: dir + "/p.csv", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 4)
        for row in lines.dropFirst() {
            let cells = row.split(separator: ",")
            let p = cells.dropFirst().map { Double($0)! }
            #expect(p.count == 10 && p.allSatisfy { $0 >= 0 && $0 <= 1 })
            #expect(abs(p.reduce(0, +) - 1) < 1e-5, "\(row)")
            #expect(Int(cells[0]) == p.indices.max { p[$0] < p[$1] })
        }
    }

    @Test func regressionPredictWritesTheFittedValues() throws {
        let dir = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // y = 2a − b + 0.5 on seeded a, b ∈ [0, 1).
        var random = SeededGenerator(seed: 5)
        let samples = (0..<300).map { _ in (Double.random(in: 0..<1, using: &random), Double.random(in: 0..<1, using: &random)) }
        func y(_ s: (Double, Double)) -> Double { 2 * s.0 - s.1 + 0.5 }
        try samples.map { "\($0.0),\($0.1),\(y($0))" }.joined(separator: "\n").write(toFile: dir + "/train.csv", atomically: true, encoding: .utf8)
        try samples.prefix(20).map { "\($0.0),\($0.1)" }.joined(separator: "\n").write(toFile: dir + "/x.csv", atomically: true, encoding: .utf8)
        let run = try batchwise(["train", "--data", dir + "/train.csv", "--loss", "mse", "--epochs", "30", "--checkpoint-dir", dir + "/ck", "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        let predict = try batchwise(["predict", "--checkpoint", dir + "/ck", "--data", dir + "/x.csv", "--output", dir + "/p.csv"])
        #expect(predict.status == 0, "\(predict.stderr)")
        let lines = try String(contentsOfFile: dir + "/p.csv", encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "y0")
        let predicted = lines.dropFirst().map { Double($0)! }
        #expect(predicted.count == 20)
        let error = zip(predicted, samples.prefix(20)).map { abs($0 - y($1)) }.reduce(0, +) / 20
        #expect(error < 0.1, "mean absolute error \(error) of \(predicted)")
    }

    @Test func timingSplitsEachEpochIntoComputeBarrierAndAllReduce() throws {
        let run = try batchwise(["train", "--epochs", "2", "--threads", "2", "--timing", "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdoutLines.contains { $0.hasPrefix("all-reduce: ") })
        let shares = run.stdoutLines.filter { $0.hasPrefix("epoch ") }.compactMap {
            try? /\[compute (\d+)%, barrier (\d+)%, all-reduce (\d+)%\]/.firstMatch(in: String($0))
        }
        #expect(shares.count == 2, "\(run.stdout)")
        for s in shares {
            let total = Int(s.1)! + Int(s.2)! + Int(s.3)!
            #expect((98...102).contains(total), "the shares of one epoch add up to 100% (rounded): \(s.0)")
        }
        let plain = try batchwise(["train", "--epochs", "1", "--threads", "2", "--quiet"])
        #expect(!plain.stdout.contains("[compute ") && !plain.stdout.contains("all-reduce: "))
    }

    @Test func patienceStopsEarlyAndKeepsTheBestEpochsWeights() throws {
        let dir = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // The test set has the training features with every label flipped: the better the model
        // learns, the worse its test loss, so the test loss soon stops improving.
        let train = scaledCSV(200, seed: 21, header: false)
        try train.labelled.write(toFile: dir + "/train.csv", atomically: true, encoding: .utf8)
        try zip(train.features.split(separator: "\n"), train.labels).map { "\($0),\(1 - $1)" }.joined(separator: "\n")
            .write(toFile: dir + "/flipped.csv", atomically: true, encoding: .utf8)
        let run = try batchwise(["train", "--data", dir + "/train.csv", "--test", dir + "/flipped.csv", "--normalize", "standard",
                                 "--patience", "2", "--epochs", "40", "--checkpoint-dir", dir + "/ck", "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        let stop = try #require(run.stdoutLines.first { $0.hasPrefix("early stop: no test improvement for 2 epochs") }.map(String.init), "\(run.stdout)")
        let match = try #require(stop.firstMatch(of: /epoch (\d+)/))
        let best = try #require(Int(match.1))
        let epochs = run.stdoutLines.filter { $0.hasPrefix("epoch ") }
        #expect(epochs.count == best + 2, "stopped 2 epochs after the best")
        let bestLoss = try #require(number(after: "test loss ", in: String(epochs[best - 1])))
        let done = try #require(run.stdoutLines.first { $0.hasPrefix("done: ") }.map(String.init))
        #expect(number(after: "test loss ", in: done) == bestLoss, "the run ends with epoch \(best)'s weights: \(done)")
        let eval = try batchwise(["eval", "--checkpoint", dir + "/ck", "--data", dir + "/flipped.csv"])
        #expect(number(after: "loss: ", in: eval.stdout) == bestLoss, "and so does its checkpoint")
    }

    @Test func lastBatchDropLeavesOutTheShortBatch() throws {
        // The digits' 1438 training samples in batches of 100: 14 full ones and 38 left over.
        let keep = try batchwise(["train", "--epochs", "1", "--batch-size", "100", "--quiet"])
        let drop = try batchwise(["train", "--epochs", "1", "--batch-size", "100", "--last-batch", "drop", "--quiet"])
        #expect(keep.status == 0 && drop.status == 0, "\(keep.stderr)\(drop.stderr)")
        #expect(keep.stdout.contains("done: 1 epoch(s), 15 steps"), "\(keep.stdout)")
        #expect(drop.stdout.contains("done: 1 epoch(s), 14 steps"), "\(drop.stdout)")
        try expectCleanFailure(["train", "--last-batch", "sometimes"], mentioning: ["--last-batch", "keep or drop"])
    }

    @Test func linearLearningRateScalingFollowsTheBatchSize() throws {
        let dir = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try batchwise(["train", "--epochs", "2", "--batch-size", "32,64@2", "--lr", "0.05", "--lr-scaling", "linear",
                                 "--base-batch-size", "16", "--metrics", dir + "/m.jsonl", "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("×batch/16"))
        let rates = try String(contentsOfFile: dir + "/m.jsonl", encoding: .utf8).split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])["learning_rate"] as? Double
        }
        // 0.05 × 32/16 in epoch 1, 0.05 × 64/16 in epoch 2.
        #expect(rates.count == 2)
        #expect(abs((rates[0] ?? 0) - 0.1) < 1e-6 && abs((rates[1] ?? 0) - 0.2) < 1e-6, "\(rates)")
        let unscaled = try batchwise(["train", "--epochs", "1", "--batch-size", "64", "--lr-scaling", "none", "--metrics", dir + "/n.jsonl", "--quiet"])
        #expect(unscaled.status == 0, "\(unscaled.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/n.jsonl"))) as? [String: Any]
        #expect(abs((object?["learning_rate"] as? Double ?? 0) - 0.05) < 1e-6)
    }

    @Test func evalAdviceIsAboutTheDataNotTrainFlags() throws {
        let dir = try trainedFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let narrow = dir + "/narrow.csv", fractional = dir + "/fractional.csv", wide = dir + "/classes.csv"
        try "1,2,0\n3,4,1\n".write(toFile: narrow, atomically: true, encoding: .utf8)
        try (0..<2).map { _ in Array(repeating: "1", count: 64).joined(separator: ",") + ",0.5" }.joined(separator: "\n")
            .write(toFile: fractional, atomically: true, encoding: .utf8)
        try (0..<2).map { _ in Array(repeating: "1", count: 64).joined(separator: ",") + ",12" }.joined(separator: "\n")
            .write(toFile: wide, atomically: true, encoding: .utf8)
        let eval = ["eval", "--checkpoint", dir + "/ck", "--data"]
        let width = try expectCleanFailure(eval + [narrow], mentioning: ["2 features", "the model in \(dir)/ck", "takes 64", "columns it was trained on"])
        #expect(!width.contains("--layers"), "eval has no --layers: \(width)")
        let classes = try expectCleanFailure(eval + [wide], mentioning: ["labels up to 12", "classes 0…9"])
        #expect(!classes.contains("--layers"), "\(classes)")
        // eval has no --loss: the advice says whose flag it is.
        try expectCleanFailure(eval + [fractional], mentioning: ["label '0.5'", "--loss mse (of batchwise train)"])
        let predict = try expectCleanFailure(["predict", "--checkpoint", dir + "/ck", "--data", narrow, "--output", dir + "/p.csv"],
                                             mentioning: ["3 features", "takes 64"])
        #expect(!predict.contains("--layers"), "\(predict)")
    }
}
