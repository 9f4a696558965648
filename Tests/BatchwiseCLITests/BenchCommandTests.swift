import Foundation
import Testing
import BatchwiseBench
import BatchwiseTestSupport

// `batchwise bench scaling` and `batchwise bench batch-size` run as the built executable; the
// reports, tables and plots themselves are tested in BatchwiseBenchTests.

// MARK: bench scaling, end to end

extension CLITests {
    @Test func runsScalingBenchEndToEnd() throws {
        let stem = FileManager.default.temporaryDirectory.appendingPathComponent("batchwise-scaling-\(UUID().uuidString)").path
        let json = stem + ".json", svg = stem + ".svg"
        defer {
            try? FileManager.default.removeItem(atPath: json)
            try? FileManager.default.removeItem(atPath: svg)
        }
        let run = try batchwise(["bench", "scaling", "--layers", "16,32,4", "--batch-size", "16", "--steps", "2",
                                 "--warmup-steps", "1", "--threads", "1,2", "--oversubscribe", "--json", json, "--svg", svg])
        #expect(run.reason == .exit && run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stdout.contains("machine: ") && run.stdout.contains("BLAS "))
        #expect(run.stdout.contains("threads") && run.stdout.contains("samples/s") && run.stdout.contains("of peak"))
        #expect(run.stdoutLines.contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix("2 ") })
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [[String: Any]])
        #expect(rows.map { $0["threads"] as? Int } == [1, 2])
        #expect(rows.allSatisfy { Set($0.keys) == Set(BenchFixture.scalingJSONColumns) })
        #expect(rows.allSatisfy { ($0["step_seconds"] as? [Double])?.count == 2 })
        // automatic: the replicated pair at 2 threads on this small model, reduce-scatter at 1.
        #expect(rows.map { $0["all_reduce"] as? String } == ["reduce-scatter", "replicated-pair"])
        #expect(run.stdout.contains("all-reduce: 1→reduce-scatter  2→replicated-pair"))
        let plot = try SVGElements(String(contentsOfFile: svg, encoding: .utf8))
        #expect(try plot.subpaths("speedup-measured").map(\.count) == [2])
        #expect(try plot.subpaths("efficiency-ideal").map(\.count) == [2])
    }

    @Test func badScalingBenchFlagsGiveOneClearError() throws {
        let tiny = ["bench", "scaling", "--layers", "4,8,2", "--batch-size", "4", "--steps", "1"]
        _ = try expectCleanFailure(tiny + ["--threads", "1,x"], mentioning: ["--threads", "1,x"])
        _ = try expectCleanFailure(tiny + ["--threads", "0"], mentioning: ["at least 1"])
        _ = try expectCleanFailure(tiny + ["--threads", "1,4096"], mentioning: ["4096"])
        _ = try expectCleanFailure(tiny + ["--threads", "1,100"], mentioning: ["--oversubscribe"])
        _ = try expectCleanFailure(tiny + ["--steps", "0"], mentioning: ["--steps"])
        _ = try expectCleanFailure(tiny + ["--warmup-steps=-1"], mentioning: ["--warmup-steps"])
        _ = try expectCleanFailure(tiny + ["--placement", "0"], mentioning: ["compact or scatter"])
        _ = try expectCleanFailure(tiny + ["--layers", "4"], mentioning: ["--layers"])
        _ = try expectCleanFailure(tiny + ["--all-reduce", "ring"], mentioning: ["--all-reduce", "ring"])
        _ = try expectCleanFailure(tiny + ["--threads", "1,2", "--all-reduce", "replicated-pair"], mentioning: ["exactly 2 threads", "--threads 2"])
        let missing = "/nonexistent-\(UUID().uuidString)/scaling.json"
        _ = try expectCleanFailure(tiny + ["--json", missing], mentioning: [missing, "No such file"])
        _ = try expectCleanFailure(tiny + ["--svg", FileManager.default.temporaryDirectory.path], mentioning: ["directory"])
    }
}

// MARK: bench batch-size, end to end

extension CLITests {
    @Test func runsBatchSizeBenchEndToEnd() throws {
        let stem = FileManager.default.temporaryDirectory.appendingPathComponent("batchwise-batch-size-\(UUID().uuidString)").path
        let json = stem + ".json", svg = stem + ".svg"
        defer {
            try? FileManager.default.removeItem(atPath: json)
            try? FileManager.default.removeItem(atPath: svg)
        }
        let run = try batchwise(["bench", "batch-size", "--batch-sizes", "64,256", "--max-epochs", "3", "--target-accuracy", "0.5",
                                 "--threads", "2", "--oversubscribe", "--json", json, "--svg", svg])
        #expect(run.reason == .exit && run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stdout.contains("digits: 1438 training, 359 validation samples"))
        #expect(run.stdout.contains("batch 64: ") && run.stdout.contains("noise scale") && run.stdout.contains("wrote \(svg)"))
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [[String: Any]])
        #expect(rows.map { $0["batch_size"] as? Int } == [64, 256])
        #expect(rows.allSatisfy { Set($0.keys) == Set(BatchSizeReport.jsonColumns) })
        for row in rows {
            let batch = try #require(row["batch_size"] as? Int)
            if let epochs = row["epochs_to_target"] as? Int {
                #expect(row["steps_to_target"] as? Int == epochs * ((1438 + batch - 1) / batch))
                #expect(row["samples_to_target"] as? Int == epochs * 1438)
            }
            #expect(row["noise_scale"] as? Double != nil)
        }
        let plot = try SVGElements(String(contentsOfFile: svg, encoding: .utf8))
        #expect(plot.element(id: "steps-panel") != nil && plot.element(id: "samples-panel") != nil)
    }

    /// `--auto` adds the auto run as its own row: `batch_size` "auto" with the sizes it went
    /// through (in the auto range, starting at the base batch), training time to the target,
    /// left out of the trade-off fit; the plot marks it.
    @Test func batchSizeBenchAutoAddsTheAutoRow() throws {
        let stem = FileManager.default.temporaryDirectory.appendingPathComponent("batchwise-auto-\(UUID().uuidString)").path
        let json = stem + ".json", svg = stem + ".svg"
        defer {
            try? FileManager.default.removeItem(atPath: json)
            try? FileManager.default.removeItem(atPath: svg)
        }
        let run = try batchwise(["bench", "batch-size", "--batch-sizes", "32,128", "--max-epochs", "4", "--target-accuracy", "0.9",
                                 "--threads", "2", "--auto", "--json", json, "--svg", svg])
        #expect(run.reason == .exit && run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stdout.contains("batch auto ("))
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [[String: Any]])
        #expect(rows.count == 3)
        let auto = try #require(rows.last)
        #expect(auto["batch_size"] as? String == "auto")
        let sizes = try #require(auto["batch_sizes"] as? [Int])
        #expect(sizes.first == 32 && sizes.allSatisfy { (32...359).contains($0) })
        #expect(abs((auto["learning_rate"] as? Double ?? 0) - 0.05) < 1e-7)
        #expect(auto["reached"] as? Bool == true && (auto["seconds_to_target"] as? Double ?? 0) > 0)
        #expect(rows.dropLast().allSatisfy { $0["batch_sizes"] is NSNull })
        _ = try expectCleanFailure(["bench", "batch-size", "--max-epochs", "1", "--auto", "--threads", "1"], mentioning: ["--auto", "--threads 2"])
    }

    @Test func batchSizeBenchChecksTheTargetEveryNStepsWithAuto() throws {
        let stem = FileManager.default.temporaryDirectory.appendingPathComponent("batchwise-check-every-\(UUID().uuidString)").path
        let json = stem + ".json"
        defer { try? FileManager.default.removeItem(atPath: json) }
        let run = try batchwise(["bench", "batch-size", "--batch-sizes", "32", "--max-epochs", "4", "--target-accuracy", "0.9",
                                 "--threads", "2", "--auto", "--check-every", "5", "--json", json])
        #expect(run.reason == .exit && run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stdout.contains("evaluated every 5 step(s) and at each epoch's end"))
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [[String: Any]])
        #expect(rows.count == 2)
        let fixed = try #require(rows.first), auto = try #require(rows.last)
        let steps = try #require(fixed["steps_to_target"] as? Int), epoch = try #require(fixed["epochs_to_target"] as? Int)
        // 45 steps an epoch at 32: a check every 5 steps lands on every epoch's end too.
        #expect(steps % 5 == 0 && steps <= epoch * 45 && steps > (epoch - 1) * 45)
        #expect(fixed["samples_to_target"] as? Int == (epoch - 1) * 1438 + min((steps - (epoch - 1) * 45) * 32, 1438))
        #expect(auto["reached"] as? Bool == true && (auto["steps_to_target"] as? Int).map { $0 >= 1 } == true)
    }

    @Test func batchSizeBenchWithOneThreadSaysTheNoiseScaleIsNotMeasured() throws {
        let stem = FileManager.default.temporaryDirectory.appendingPathComponent("batchwise-batch-size-\(UUID().uuidString)").path
        let json = stem + ".json"
        defer { try? FileManager.default.removeItem(atPath: json) }
        let run = try batchwise(["bench", "batch-size", "--synthetic", "300", "--layers", "6,8,3", "--batch-sizes", "8,32",
                                 "--max-epochs", "2", "--target-loss", "0.0001", "--threads", "1", "--json", json])
        #expect(run.reason == .exit && run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stdout.contains("not measured with 1 thread") && run.stdout.contains("never"))
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [[String: Any]])
        #expect(rows.allSatisfy { $0["noise_scale"] is NSNull && $0["steps_to_target"] is NSNull && $0["reached"] as? Bool == false })
        #expect(rows.map { $0["epochs_run"] as? Int } == [2, 2])
    }

    @Test func badBatchSizeBenchFlagsGiveOneClearError() throws {
        let tiny = ["bench", "batch-size", "--max-epochs", "1"]
        _ = try expectCleanFailure(tiny + ["--batch-sizes", "16,x"], mentioning: ["--batch-sizes", "16,x"])
        _ = try expectCleanFailure(tiny + ["--batch-sizes", "0,16"], mentioning: ["--batch-sizes", "at least 1"])
        _ = try expectCleanFailure(tiny + ["--batch-sizes", "16,16"], mentioning: ["twice"])
        _ = try expectCleanFailure(tiny + ["--batch-sizes", "16,4096"], mentioning: ["4096", "1438 training samples"])
        _ = try expectCleanFailure(tiny + ["--target-accuracy", "1.5"], mentioning: ["--target-accuracy", "1.5"])
        _ = try expectCleanFailure(tiny + ["--target-loss", "0"], mentioning: ["--target-loss"])
        _ = try expectCleanFailure(tiny + ["--target-loss", "0.1", "--target-accuracy", "0.9"], mentioning: ["not both"])
        _ = try expectCleanFailure(["bench", "batch-size", "--max-epochs", "0"], mentioning: ["--max-epochs"])
        _ = try expectCleanFailure(tiny + ["--lr-scaling", "cubic"], mentioning: ["--lr-scaling", "cubic"])
        _ = try expectCleanFailure(tiny + ["--lr-scaling", "none", "--base-batch-size", "64"], mentioning: ["--base-batch-size"])
        _ = try expectCleanFailure(tiny + ["--base-batch-size", "0"], mentioning: ["--base-batch-size"])
        _ = try expectCleanFailure(tiny + ["--check-every", "0"], mentioning: ["--check-every", "at least 1"])
        _ = try expectCleanFailure(tiny + ["--check-every", "ten"], mentioning: ["--check-every", "ten"])
        _ = try expectCleanFailure(tiny + ["--lr", "-1"], mentioning: ["--lr"])
        _ = try expectCleanFailure(tiny + ["--synthetic", "100"], mentioning: ["--synthetic", "--layers"])
        _ = try expectCleanFailure(tiny + ["--layers", "32,10"], mentioning: ["--layers", "64 features"])
        _ = try expectCleanFailure(tiny + ["--threads", "0"], mentioning: ["--threads"])
        let missing = "/nonexistent-\(UUID().uuidString)/batch-size.json"
        _ = try expectCleanFailure(tiny + ["--json", missing], mentioning: [missing, "No such file"])
        _ = try expectCleanFailure(tiny + ["--svg", FileManager.default.temporaryDirectory.path], mentioning: ["directory"])
    }
}

// MARK: Both benches on users' own models and data

extension CLITests {
    /// A CSV of `rows` samples, 4 features and a class label (0, 1 or 2) last, separable by
    /// the first feature; removed by the caller.
    static func benchCSV(rows: Int, seed: Int) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("batchwise-bench-\(UUID().uuidString).csv").path
        var text = "a,b,c,d,class\n"
        for i in 0..<rows {
            let x = Double((i * 37 + seed * 11) % 97) / 97
            let cells = [x, Double((i * 13) % 7) / 7, Double((i * 5 + seed) % 11) / 11, 0.5]
            text += cells.map { String(format: "%.4f", $0) }.joined(separator: ",") + ",\(x < 0.33 ? 0 : x < 0.66 ? 1 : 2)\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func scalingBenchTimesAConvolutionModelAndAUsersCSV() throws {
        let json = FileManager.default.temporaryDirectory.appendingPathComponent("batchwise-scaling-\(UUID().uuidString).json").path
        let csv = try Self.benchCSV(rows: 48, seed: 1)
        defer {
            try? FileManager.default.removeItem(atPath: json)
            try? FileManager.default.removeItem(atPath: csv)
        }
        let common = ["--batch-size", "8", "--steps", "2", "--warmup-steps", "1", "--threads", "1,2", "--oversubscribe", "--json", json]
        let conv = try batchwise(["bench", "scaling", "--model", "conv1d(3,3) relu flatten dense(2)", "--input-shape", "1,10"] + common)
        #expect(conv.reason == .exit && conv.status == 0, "stderr: \(conv.stderr)")
        #expect(conv.stdout.contains("model: conv1d(3,3) relu flatten dense(2) on 1×10") && conv.stdout.contains("synthetic data"))
        var rows = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [[String: Any]])
        #expect(rows.map { $0["threads"] as? Int } == [1, 2])
        #expect(rows.allSatisfy { Set($0.keys) == Set(BenchFixture.scalingJSONColumns) })
        // 6 × 24 outputs × patch 3 for the convolution, 6 × (24·2 + 2) for the dense layer.
        let flops: Double = 6 * 24 * 3 + 6 * 50
        #expect(rows.allSatisfy { $0["flops_per_sample"] as? Double == flops && $0["layers"] as? [Int] == [] })
        let data = try batchwise(["bench", "scaling", "--data", csv, "--model", "dense(8) relu dense(3)"] + common)
        #expect(data.reason == .exit && data.status == 0, "stderr: \(data.stderr)")
        #expect(data.stdout.contains("csv: ") && data.stdout.contains("on 4"))
        rows = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [[String: Any]])
        let parameters: Int = 4 * 8 + 8 + 8 * 3 + 3
        #expect(rows.allSatisfy { ($0["data"] as? String)?.hasSuffix(".csv") == true && $0["parameters"] as? Int == parameters })
    }

    @Test func batchSizeBenchSweepsAConvolutionModelAndFitsTheTradeoff() throws {
        let stem = FileManager.default.temporaryDirectory.appendingPathComponent("batchwise-batch-size-\(UUID().uuidString)").path
        let json = stem + ".json", svg = stem + ".svg"
        defer {
            try? FileManager.default.removeItem(atPath: json)
            try? FileManager.default.removeItem(atPath: svg)
        }
        let run = try batchwise(["bench", "batch-size", "--synthetic", "240", "--model", "conv1d(4,3) relu flatten dense(3)",
                                 "--input-shape", "1,8", "--batch-sizes", "8,16,64", "--max-epochs", "4", "--target-accuracy", "0.3",
                                 "--threads", "2", "--oversubscribe", "--json", json, "--svg", svg])
        #expect(run.reason == .exit && run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stdout.contains("synthetic 240: 192 training, 48 validation samples; conv1d(4,3) relu flatten dense(3) on 1×8"))
        #expect(run.stdout.contains("trade-off (S/S_min − 1)(E/E_min − 1) = 1"))
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [[String: Any]])
        #expect(rows.map { $0["batch_size"] as? Int } == [8, 16, 64])
        #expect(rows.allSatisfy { Set($0.keys) == Set(BatchSizeReport.jsonColumns) })
        for row in rows where row["reached"] as? Bool == true {
            let seconds = try #require(row["seconds_to_target"] as? Double)
            #expect(seconds > 0 && seconds <= (row["training_seconds"] as? Double ?? 0))
        }
        let plot = try SVGElements(String(contentsOfFile: svg, encoding: .utf8))
        #expect(plot.element(id: "tradeoff-panel") != nil && plot.element(id: "tradeoff-measured-points") != nil)
    }

    @Test func batchSizeBenchTrainsOnAUsersCSVWithItsTestFile() throws {
        let train = try Self.benchCSV(rows: 90, seed: 2), test = try Self.benchCSV(rows: 30, seed: 3)
        defer {
            try? FileManager.default.removeItem(atPath: train)
            try? FileManager.default.removeItem(atPath: test)
        }
        let run = try batchwise(["bench", "batch-size", "--data", train, "--test", test, "--layers", "4,8,3", "--normalize", "standard",
                                 "--batch-sizes", "16,32", "--max-epochs", "2", "--target-accuracy", "0.99", "--threads", "1"])
        #expect(run.reason == .exit && run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stdout.contains(": 90 training, 30 test samples; 4-8-3 relu"))
        #expect(run.stdout.contains("batch 16: ") && run.stdout.contains("batch 32: "))
    }

    @Test func badModelAndDataFlagsOfTheBenchesGiveOneClearError() throws {
        let csv = try Self.benchCSV(rows: 20, seed: 1)
        defer { try? FileManager.default.removeItem(atPath: csv) }
        let scaling = ["bench", "scaling", "--batch-size", "4", "--steps", "1", "--threads", "1"]
        _ = try expectCleanFailure(scaling + ["--model", "conv1d(3,3) flatten dense(2)"], mentioning: ["--input-shape"])
        _ = try expectCleanFailure(scaling + ["--model", "conv9d(3)", "--input-shape", "1,8"], mentioning: ["conv9d"])
        _ = try expectCleanFailure(scaling + ["--model", "conv1d(3,30) flatten dense(2)", "--input-shape", "1,8"], mentioning: ["layer 1", "1×8"])
        _ = try expectCleanFailure(scaling + ["--model", "dense(2)", "--layers", "4,2"], mentioning: ["--layers", "--model"])
        _ = try expectCleanFailure(scaling + ["--input-shape", "1,8"], mentioning: ["--input-shape", "--model"])
        _ = try expectCleanFailure(scaling + ["--data", csv, "--test", csv], mentioning: ["--test", "bench scaling"])
        _ = try expectCleanFailure(scaling + ["--data", csv, "--validation-split", "0.1"], mentioning: ["--validation-split"])
        _ = try expectCleanFailure(scaling + ["--data", csv, "--normalize", "cube"], mentioning: ["--normalize", "cube"])
        _ = try expectCleanFailure(scaling + ["--data", csv, "--layers", "5,8,3"], mentioning: ["--layers"])
        _ = try expectCleanFailure(scaling + ["--data", csv, "--batch-size", "64"], mentioning: ["--batch-size 64", "20"])
        let missing = "/nonexistent-\(UUID().uuidString).csv"
        _ = try expectCleanFailure(scaling + ["--data", missing], mentioning: [missing])
        _ = try expectCleanFailure(scaling + ["--scale", "255"], mentioning: ["--data or --synthetic"])
        let sweep = ["bench", "batch-size", "--max-epochs", "1", "--batch-sizes", "8"]
        _ = try expectCleanFailure(sweep + ["--synthetic", "100", "--model", "conv1d(3,3) flatten dense(2)"], mentioning: ["--input-shape"])
        _ = try expectCleanFailure(sweep + ["--model", "conv2d(4,3) flatten dense(10)", "--input-shape", "1,4,4,"], mentioning: ["--input-shape"])
        _ = try expectCleanFailure(sweep + ["--model", "conv2d(4,3) flatten dense(3)"], mentioning: ["10"])
        _ = try expectCleanFailure(sweep + ["--data", csv, "--validation-split", "0"], mentioning: ["validation", "--test"])
        _ = try expectCleanFailure(sweep + ["--model-file", missing], mentioning: ["--model-file", missing])
    }
}
