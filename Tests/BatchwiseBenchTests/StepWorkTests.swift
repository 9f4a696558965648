import Testing
@testable import Batchwise
@testable import BatchwiseBench
import BatchwiseTestSupport

/// The useful work of a training step (DESIGN.md: a dense layer 6 × its parameters per sample;
/// a convolution 3 × 2 × output elements × input channels × kernel size) and the sgemm
/// products a step runs, for models of layers.
@Suite struct StepWorkTests {
    @Test func aConv1DModelCountsEachConvolutionByItsOutputsAndPatch() throws {
        let model = try BenchModel(spec: "conv1d(4,3,padding=1) relu conv1d(6,3,stride=2) relu flatten dense(5)", inputShape: [2, 16])
        let work = try model.work()
        // conv1: 4×16 outputs, patch 2·3; conv2: 6×7 outputs ((16 − 3)/2 + 1 = 7), patch 4·3;
        // dense: 42 → 5, 6 × (42·5 + 5).
        let expected: Int = 6 * 64 * 6 + 6 * 42 * 12 + 6 * (42 * 5 + 5)
        #expect(work.flopsPerSample == Double(expected))
        let parameters: Int = (4 * 2 * 3 + 4) + (6 * 4 * 3 + 6) + (42 * 5 + 5)
        #expect(work.parameters == parameters)
        let shapes = work.gemmShapes(shard: 10)
        #expect(shapes.map(\.description) == [
            "NN m=4 n=160 k=6", "NN m=6 n=70 k=12", "NT m=10 n=5 k=42",       // forward
            "TN m=5 n=42 k=10", "NN m=10 n=42 k=5",                           // dense ∂W, ∂X
            "NT m=6 n=12 k=70", "TN m=12 n=70 k=6",                           // conv2 ∂W, X̂'
            "NT m=4 n=6 k=160",                                               // conv1 ∂W only: the first layer
        ])
        // Run, per sample: the useful work less conv1's input gradient (2 · 64 · 6) and the
        // dense biases (6 · 5), which are no products.
        let uncounted: Double = 2 * 64 * 6 + 6 * 5
        #expect(shapes.reduce(0) { $0 + $1.flops } / 10 == work.flopsPerSample - uncounted)
    }

    @Test func aConv2DCountsTheSquareKernelAndPoolingCountsNothing() throws {
        let work = try BenchModel(spec: "conv2d(3,3,padding=1) relu maxpool2d(2) flatten dense(4)", inputShape: [1, 6, 6]).work()
        let expected: Int = 6 * (3 * 6 * 6) * (1 * 3 * 3) + 6 * (27 * 4 + 4)
        #expect(work.flopsPerSample == Double(expected))
        #expect(work.gemmShapes(shard: 2).first?.description == "NN m=3 n=72 k=9")
    }

    /// A convolution too large for one chunk (see `ConvolutionGeometry.chunkSamples`) runs its
    /// products once per chunk: the shapes list every call, and their work adds up to the shard's.
    @Test func aConvolutionRunsItsProductsOncePerChunk() throws {
        let work = try BenchModel(spec: "conv2d(2,3,padding=1) relu conv2d(2,3,padding=1) flatten dense(2)", inputShape: [1, 64, 64]).work()
        // (9 + 2) · 4096 floats a sample for the first, (18 + 2) · 4096 for the second: a sample a chunk.
        let shapes = work.gemmShapes(shard: 3).map(\.description)
        #expect(shapes.filter { $0 == "NN m=2 n=4096 k=9" }.count == 3)
        #expect(shapes.filter { $0 == "NN m=2 n=4096 k=18" }.count == 3)
        #expect(shapes.filter { $0 == "NT m=2 n=9 k=4096" }.count == 3)   // the first layer: ∂W only
        #expect(shapes.filter { $0 == "TN m=18 n=4096 k=2" }.count == 3)  // the second: X̂' too
        #expect(!shapes.contains { $0.contains("n=12288") })
        // A patch of 64 or more forms the weight gradient transposed: ∂Wᵀ [K × F].
        let wide = try BenchModel(spec: "conv2d(4,3,padding=1) flatten dense(2)", inputShape: [8, 8, 8]).work()
        #expect(wide.gemmShapes(shard: 2).map(\.description).contains("NT m=72 n=4 k=128"))
        let uncounted: Double = 2 * 2 * 4096 * 9 + 6 * 2
        #expect(work.gemmShapes(shard: 3).reduce(0) { $0 + $1.flops } / 3 == work.flopsPerSample - uncounted)
    }

    /// A stride-1 convolution over 32 or more channels runs the shifted products: per sample,
    /// one product a kernel tap over the wide rows (16 outputs on rows of 18 here), for forward
    /// and for the input gradient; its weight gradient stays one product a sample.
    @Test func aShiftedConvolutionRunsAProductPerTap() throws {
        let work = try BenchModel(spec: "conv2d(32,3,padding=1) conv2d(2,3,padding=1) flatten dense(2)", inputShape: [32, 16, 16]).work()
        let shapes = work.gemmShapes(shard: 2).map(\.description)
        #expect(shapes.filter { $0 == "NN m=32 n=288 k=32" }.count == 2 * 9)   // the first layer, 32 channels
        #expect(shapes.filter { $0 == "NN m=2 n=288 k=32" }.count == 2 * 9)    // the second, 32 channels too
        #expect(shapes.filter { $0 == "TN m=32 n=288 k=2" }.count == 2 * 9)    // the second's input gradient
        #expect(shapes.filter { $0 == "NT m=288 n=32 k=256" }.count == 2)      // ∂Wᵀ, one product a sample
        #expect(shapes.filter { $0 == "NT m=288 n=2 k=256" }.count == 2)
        #expect(!shapes.contains { $0.hasPrefix("TN m=288") })                 // no X̂' for col2im
        // Per sample: forward on the wide rows (288 positions for 256), ∂W on the 256 positions
        // (the first layer has no input gradient), the dense layer's three products of 2 × 512.
        let first: Double = 9 * (2 * 32 * 288 * 32) + 2 * 288 * 32 * 256
        let second: Double = 9 * (2 * 2 * 288 * 32) + 2 * 288 * 2 * 256 + 9 * (2 * 32 * 288 * 2)
        #expect(work.gemmShapes(shard: 2).reduce(0) { $0 + $1.flops } == 2 * (first + second + 3 * (2 * 2 * 512)))
        let useful: Double = 6 * 32 * 256 * 288 + 6 * 2 * 256 * 288 + 6 * (512 * 2 + 2)
        #expect(work.flopsPerSample == useful)
    }

    @Test func aResidualBlockCountsItsLayersAndAnMLPIsSixPerParameter() throws {
        let residual = try BenchModel(spec: "conv1d(2,3,padding=1) residual(conv1d(2,3,padding=1) relu) flatten dense(3)", inputShape: [1, 8]).work()
        let expected: Int = 6 * 16 * 3 + 6 * 16 * 6 + 6 * (16 * 3 + 3)
        #expect(residual.flopsPerSample == Double(expected))
        // The block's convolution is not the first layer: its input gradient is run.
        #expect(residual.gemmShapes(shard: 1).filter { $0.description == "TN m=6 n=8 k=2" }.count == 1)
        let mlp = try BenchModel(widths: [8, 16, 4]).work()
        let weights: Int = 8 * 16 + 16 + 16 * 4 + 4
        #expect(mlp.flopsPerSample == 6 * Double(weights))
        #expect(mlp.gemmShapes(shard: 4) == GemmShape.trainingStep(widths: [8, 16, 4], shard: 4))
    }

    @Test func aBenchModelIsTheModelPartOfATrainingConfiguration() throws {
        let cnn = try BenchModel(spec: "conv1d(4,3)  relu flatten dense(3)", inputShape: [1, 12])
        #expect(cnn.description == "conv1d(4,3) relu flatten dense(3) on 1×12" && cnn.inputWidth == 12)
        let sweep = try BatchSizeSweep(batchSizes: [8], model: cnn, target: .validationAccuracy(0.9))
        let configuration = try sweep.configuration(batchSize: 8, threads: 2)
        #expect(configuration.modelSpec == "conv1d(4,3) relu flatten dense(3)" && configuration.inputShape == [1, 12])
        #expect(try BenchModel(configuration: configuration) == cnn)
        #expect(throws: ConfigurationError.self) { try BenchModel(spec: "conv1d(4,30) flatten dense(3)", inputShape: [1, 12]) }
        #expect(throws: ConfigurationError.self) { try BenchModel(widths: [4]) }
    }

    @Test func theScalingBenchTimesAConvolutionModelOnTheCallersData() throws {
        let model = try BenchModel(spec: "conv1d(3,3) relu flatten dense(2)", inputShape: [1, 10])
        let bench = try ScalingBenchmark(model: model, batchSize: 8, threadCounts: [1, 2], timedSteps: 2, warmupSteps: 1,
                                         oversubscribe: true)
        let data = Dataset.synthetic(samples: 40, features: 10, classes: 2, seed: 4)
        let report = try bench.run(on: Fixture.topology, data: data, dataName: "forty.csv")
        #expect(report.rows.map(\.threads) == [1, 2])
        #expect(report.rows.allSatisfy { $0.model == model.description && $0.data == "forty.csv" && $0.stepSeconds.count == 2 })
        let expected: Int = 6 * 24 * 3 + 6 * (24 * 2 + 2)
        #expect(report.rows[0].flopsPerSample == Double(expected))
        #expect(report.table().contains("model: conv1d(3,3) relu flatten dense(2) on 1×10"))
        // Data the model cannot take, or fewer samples than a batch, are refused.
        #expect(throws: ConfigurationError.self) {
            try bench.run(on: Fixture.topology, data: Dataset.synthetic(samples: 40, features: 9, classes: 2, seed: 4))
        }
        #expect(throws: ConfigurationError.self) {
            try bench.run(on: Fixture.topology, data: Dataset.synthetic(samples: 6, features: 10, classes: 2, seed: 4))
        }
    }
}
