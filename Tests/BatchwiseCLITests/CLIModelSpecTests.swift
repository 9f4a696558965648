@testable import Batchwise
import Foundation
import Testing

/// `train --model SPEC` (and `--model-file`, `--input-shape`): the model table at start, bad
/// specs as one error line before training, checkpoints of format 2 that resume exactly
/// mid-epoch, `eval` and `predict` of a `Sequential`, and format-1 checkpoints still evaluated.
/// Models are tiny and runs one or two epochs of the built-in digits.
extension CLITests {
    static let tinyCNN = "conv2d(4,3,padding=1) relu maxpool2d(2) dropout(0.1) flatten layernorm dense(10)"

    @Test func aModelSpecTrainsAndPrintsItsTable() throws {
        let run = try batchwise(["train", "--model", Self.tinyCNN, "--epochs", "1", "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("model: \(Self.tinyCNN) on 1×8×8, cross-entropy, 818 parameters"))
        #expect(run.stdout.contains("conv2d(4,3,padding=1)") && run.stdout.contains("4×8×8"))
        #expect(run.stdout.contains("layernorm") && run.stdout.contains("total"))
        _ = try weightsDigest(run)
    }

    @Test func aModelFileWithCommentsAndLinesIsTheSameModelAsTheSpec() throws {
        let file = try temporaryCSV("# a tiny CNN\nconv2d(4,3,padding=1)  # 1x8x8 -> 4x8x8\nrelu\nmaxpool2d(2)\ndropout(0.1)\nflatten\nlayernorm\ndense(10)\n")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let fromFile = try batchwise(["train", "--model-file", file, "--epochs", "1", "--quiet"])
        let fromFlag = try batchwise(["train", "--model", Self.tinyCNN, "--epochs", "1", "--quiet"])
        #expect(fromFile.status == 0, "\(fromFile.stderr)")
        #expect(try weightsDigest(fromFile) == weightsDigest(fromFlag))
    }

    @Test func syntheticDataTakesItsShapeFromInputShapeAndItsClassesFromTheModel() throws {
        let run = try batchwise(["train", "--model", "conv1d(3,5,stride=2) relu flatten dense(7)", "--synthetic", "200",
                                 "--input-shape", "2,20", "--epochs", "1", "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("on 2×20"))
        // Flat CSV-like data of 64 features given a 2-D shape.
        let shaped = try batchwise(["train", "--model", "conv1d(2,3) flatten dense(10)", "--input-shape", "1,64", "--epochs", "1", "--quiet"])
        #expect(shaped.status == 0, "\(shaped.stderr)")
    }

    @Test(arguments: [
        ("conv2d(4,3) frob dense(10)", ["layer 2", "frob", "unknown layer"]),
        ("conv2d(4,x) flatten dense(10)", ["layer 1", "conv2d(4,x)", "kernel"]),
        ("conv2d(4,3", ["layer 1", "never closed"]),
        ("conv2d(4,9) flatten dense(10)", ["layer 1", "conv2d(4,9)", "1×8×8", "kernel"]),
        ("flatten dense(7)", ["dense(7)", "7", "10"]),
        ("residual(conv2d(4,3)) flatten dense(10)", ["layer 1", "residual", "1×8×8", "4×6×6"]),
        ("flatten dense(10) relu conv2d(3,3)", ["layer 4", "conv2d(3,3)", "10", "--input-shape 1,28,28"]),
        ("flatten maxpool2d(2) dense(10)", ["layer 2", "maxpool2d(2)", "64", "--input-shape 1,28,28"]),
        ("conv2d(4,3) relu", ["flat output"]),
        ("", ["no layers"]),
    ] as [(String, [String])])
    func aBadSpecFailsWithOneErrorLineNamingTheLayerAndShapes(_ spec: String, _ keywords: [String]) throws {
        try expectCleanFailure(["train", "--model", spec, "--epochs", "1"], mentioning: keywords)
    }

    @Test func badModelFlagCombinationsFailCleanly() throws {
        try expectCleanFailure(["train", "--model", "dense(10)", "--layers", "64,10"], mentioning: ["--layers", "--model"])
        try expectCleanFailure(["train", "--input-shape", "1,8,8"], mentioning: ["--input-shape", "--model"])
        try expectCleanFailure(["train", "--model", "dense(10)", "--input-shape", "1,7,8"], mentioning: ["--input-shape", "56", "64"])
        try expectCleanFailure(["train", "--model", "dense(10)", "--input-shape", "1,x"], mentioning: ["--input-shape"])
        try expectCleanFailure(["train", "--model", "dense(10)", "--synthetic", "100"], mentioning: ["--synthetic", "--input-shape"])
        try expectCleanFailure(["train", "--model-file", "/nonexistent/model.txt"], mentioning: ["--model-file", "/nonexistent/model.txt"])
    }

    @Test func aCNNStoppedMidEpochResumesToTheUninterruptedRunsWeights() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = ["train", "--model", Self.tinyCNN, "--epochs", "2", "--threads", "2", "--optimizer", "adam", "--quiet"]
        let straight = try batchwise(run)
        #expect(straight.status == 0, "\(straight.stderr)")
        let stopped = try batchwise(run + ["--checkpoint-dir", dir, "--max-steps", "30"])
        #expect(stopped.status == 0, "\(stopped.stderr)")
        let checkpoint = try Checkpoint.load(from: dir)
        #expect(checkpoint.state.epoch == 1 && checkpoint.state.stepInEpoch == 30)
        #expect(checkpoint.configuration.modelSpec == Self.tinyCNN && checkpoint.configuration.inputShape == [1, 8, 8])
        let resumed = try batchwise(run + ["--checkpoint-dir", dir, "--resume", dir])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("resumed: from \(dir) at epoch 1, step 30"))
        #expect(try weightsDigest(resumed) == weightsDigest(straight))
        // The model cannot change on resume.
        try expectCleanFailure(["train", "--model", "flatten dense(10)", "--epochs", "3", "--resume", dir],
                               mentioning: ["--model", "cannot be changed", Self.tinyCNN])
        try expectCleanFailure(["train", "--input-shape", "64", "--epochs", "3", "--resume", dir],
                               mentioning: ["--input-shape", "cannot be changed"])
        // A --model run was started without --layers, and the message says so.
        try expectCleanFailure(["train", "--layers", "64,10", "--epochs", "3", "--resume", dir],
                               mentioning: ["--layers 64,10", "no --layers"])
    }

    /// The digits as a CSV of raw pixels and labels, as `eval` and `predict` read data.
    private func digitsCSV() throws -> String {
        let digits = Dataset.digits()
        var text = ""
        for i in 0..<digits.count {
            let row = digits.features[(i * 64)..<((i + 1) * 64)]
            text += row.map { String($0) }.joined(separator: ",") + ",\(Int(digits.targets[i]))\n"
        }
        return try temporaryCSV(text)
    }

    @Test func evalAndPredictWorkForASequentialCheckpoint() throws {
        let dir = temporaryDirectory(), csv = try digitsCSV()
        let output = csv + ".predictions.csv"
        defer { for path in [dir, csv, output] { try? FileManager.default.removeItem(atPath: path) } }
        let trained = try batchwise(["train", "--model", Self.tinyCNN, "--epochs", "2", "--checkpoint-dir", dir, "--quiet"])
        #expect(trained.status == 0, "\(trained.stderr)")
        let eval = try batchwise(["eval", "--checkpoint", dir, "--data", csv])
        #expect(eval.status == 0, "\(eval.stderr)")
        #expect(eval.stdout.contains("model: \(Self.tinyCNN) on 1×8×8, cross-entropy, trained 2 epoch(s)"))
        #expect(eval.stdout.contains("accuracy: ") && eval.stdout.contains("confusion matrix"))
        let predict = try batchwise(["predict", "--checkpoint", dir, "--data", csv, "--output", output])
        #expect(predict.status == 0, "\(predict.stderr)")
        let lines = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == Dataset.digits().count + 1 && lines[0].hasPrefix("prediction,p0,"))
    }

    @Test func aFormatOneCheckpointOfAnMLPStillEvaluates() throws {
        let dir = temporaryDirectory(), csv = try digitsCSV()
        defer { for path in [dir, csv] { try? FileManager.default.removeItem(atPath: path) } }
        let trained = try batchwise(["train", "--layers", "64,16,10", "--epochs", "1", "--checkpoint-dir", dir, "--quiet"])
        #expect(trained.status == 0, "\(trained.stderr)")
        let before = try batchwise(["eval", "--checkpoint", dir, "--data", csv])
        #expect(before.status == 0, "\(before.stderr)")
        // An MLP's format-2 file is a format-1 file with another number: no spec, no tensor
        // table. Write it back as format 1 (its checksum recomputed), as a release before
        // format 2 wrote it.
        let path = dir + "/" + Checkpoint.fileName
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(!String(decoding: bytes.prefix(4096), as: UTF8.self).contains("modelSpec"))
        #expect(bytes[8] == 2)
        bytes[8] = 1
        bytes.removeLast(32)
        var hash = SHA256()
        hash.update(bytes)
        bytes += hash.finalizeBytes()
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let after = try batchwise(["eval", "--checkpoint", dir, "--data", csv])
        #expect(after.status == 0, "\(after.stderr)")
        #expect(after.stdout == before.stdout)
        #expect(after.stdout.contains("model: 64-16-10 relu, cross-entropy"))
    }
}
