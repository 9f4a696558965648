import BatchwiseTestSupport
import Testing
@testable import Batchwise

/// The shape a model takes each sample of some data as: IDX images N × H × W are 1 × H × W,
/// NPY keeps its per-sample shape, CSV and synthetic data are flat, the built-in digits are
/// 1 × 8 × 8, and an explicit shape of the same size overrides any of them.
@Suite struct InputShapeTests {
    static func labels(_ n: Int) -> [UInt8] { DataFixture.idx(shape: [UInt32(n)], values: (0..<n).map { UInt8($0 % 2) }) }

    static func load(_ features: [UInt8], _ name: String) throws -> Dataset {
        let dir = try DataFixture.temporaryDirectory()
        let data = try DataFixture.write(features, to: name, in: dir)
        let labels = try DataFixture.write(labels(2), to: "labels.idx", in: dir)
        return try DataFile.load(path: data, labels: labels, classification: true)
    }

    @Test func idxImagesHaveOneChannel() throws {
        let images = try Self.load(DataFixture.idx(shape: [2, 3, 4], values: Array(0..<24)), "images.idx")
        #expect(images.sampleShape == [1, 3, 4])
        #expect(try images.inputShape() == [1, 3, 4])
        let rows = try Self.load(DataFixture.idx(shape: [2, 5], values: Array(0..<10)), "rows.idx")
        #expect(try rows.inputShape() == [5])
        let colour = try Self.load(DataFixture.idx(shape: [2, 3, 2, 2], values: Array(0..<24)), "colour.idx")
        #expect(try colour.inputShape() == [3, 2, 2])
    }

    @Test func npyKeepsEachSamplesShape() throws {
        let values = DataFixture.float32((0..<24).map(Float.init))
        let signals = try Self.load(DataFixture.npy(descr: "<f4", shape: [2, 3, 4], payload: values), "signals.npy")
        #expect(try signals.inputShape() == [3, 4])
        let images = try Self.load(DataFixture.npy(descr: "<f4", shape: [2, 2, 3, 2], payload: values), "images.npy")
        #expect(try images.inputShape() == [2, 3, 2])
        // The shape survives the split, scaling and subsets.
        let (train, _) = try images.split(testFraction: 0.5, seed: 1)
        #expect(train.sampleShape == [2, 3, 2])
        let scaled = try FeatureScaling(kind: .standard, fittedOn: images).apply(to: images.scaled(by: 2))
        #expect(scaled.sampleShape == [2, 3, 2])
    }

    @Test func flatDataAndExplicitShapes() throws {
        let flat = Dataset.synthetic(samples: 4, features: 12, classes: 2)
        #expect(flat.sampleShape == nil)
        #expect(try flat.inputShape() == [12])
        #expect(try flat.inputShape(given: [3, 4]) == [3, 4])
        #expect(try flat.inputShape(given: [1, 2, 6]) == [1, 2, 6])
        #expect(try Dataset.digits().inputShape() == [1, 8, 8])
        #expect(try Dataset.digits().inputShape(given: [64]) == [64])
        let wrongSize = try #require(throws: ConfigurationError.self) { try flat.inputShape(given: [1, 28, 28]) }
        #expect(wrongSize.message.contains("1×28×28 holds 784 values per sample but synthetic has 12 features per sample"))
        #expect(wrongSize.text.pieces.contains(.parameter(name: "inputShape", value: nil)))
        let digits = try #require(throws: ConfigurationError.self) { try Dataset.digits().inputShape(given: [1, 28, 28]) }
        #expect(digits.message.contains("digits has 64 features per sample (1×8×8)"))
        #expect(throws: ConfigurationError.self) { try flat.inputShape(given: [0, 12]) }
        #expect(throws: ConfigurationError.self) { try flat.inputShape(given: []) }
    }

    /// The shapes feed a spec as the rules say: conv2d on images, conv1d on flat data
    /// (1 × L), conv2d on flat data only through an explicit shape or a reshape.
    @Test func theRulesFeedSpecs() throws {
        let digits = Dataset.digits()
        let cnn = try Sequential(spec: "conv2d(4,3,padding=1) relu maxpool2d(2) flatten dense(10)", input: try digits.inputShape())
        #expect(cnn.layerOutputShapes[2] == [4, 4, 4])
        let flat = Dataset.synthetic(samples: 4, features: 40, classes: 3)
        let signal = try Sequential(spec: "conv1d(5,5,stride=2,padding=1) relu flatten dense(3)", input: try flat.inputShape())
        #expect(signal.layerOutputShapes[0] == [5, 19])
        let refused = try #require(throws: ConfigurationError.self) {
            try Sequential(spec: "conv2d(2,3) flatten dense(3)", input: try flat.inputShape())
        }
        #expect(refused.message.contains("layer 1, conv2d(2,3), cannot take input 40"))
        #expect(try Sequential(spec: "conv2d(2,3) flatten dense(3)", input: try flat.inputShape(given: [1, 5, 8])).layerOutputShapes[0] == [2, 3, 6])
    }
}
