import Foundation
import Testing
import Batchwise
import BatchwiseTestSupport

/// `DataFile`, `DataFormat` and `Dataset.init(features:labels:classification:)`: a features file
/// and a labels file of any supported format (plain or gzip) become the dataset they describe,
/// and every mismatch between them is a `DataError` naming the file, sample and value.
@Suite struct DataFileTests {
    // MARK: Helpers

    /// Writes `files` (name → bytes) to a fresh directory and loads the first as features and
    /// the second, if any, as labels.
    private func load(_ features: (String, [UInt8]), labels: (String, [UInt8])? = nil, classification: Bool = true,
                      csv: CSVLoader = CSVLoader()) throws -> Dataset {
        let dir = try DataFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let featurePath = try DataFixture.write(features.1, to: features.0, in: dir)
        let labelPath = try labels.map { try DataFixture.write($0.1, to: $0.0, in: dir) }
        return try DataFile.load(path: featurePath, labels: labelPath, csv: csv, classification: classification)
    }

    private func loadError(_ features: (String, [UInt8]), labels: (String, [UInt8])? = nil, classification: Bool = true,
                           sourceLocation: SourceLocation = #_sourceLocation) throws -> DataError {
        try #require(throws: DataError.self, sourceLocation: sourceLocation) {
            _ = try load(features, labels: labels, classification: classification)
        }
    }

    /// Three 2 × 2 uint8 images and their labels, as MNIST ships them.
    private let images = DataFixture.idx(shape: [3, 2, 2], values: [0, 1, 2, 3, 10, 11, 12, 13, 255, 254, 253, 252])
    private let imageLabels = DataFixture.idx(shape: [3], values: [7, 0, 2])

    private func npyFloats(_ values: [Float], shape: [Int]) -> [UInt8] {
        DataFixture.npy(descr: "<f4", shape: shape, payload: DataFixture.float32(values))
    }

    private func npyInt64(_ values: [Int64]) -> [UInt8] {
        DataFixture.npy(descr: "<i8", shape: [values.count], payload: values.flatMap { DataFixture.littleEndian($0) })
    }

    // MARK: Formats

    @Test(arguments: [
        ("train.csv", DataFormat.csv), ("train.CSV.gz", .csv), ("x.idx", .idx), ("x.idx.gz", .idx),
        ("train-images-idx3-ubyte", .idx), ("t10k-labels.idx1-ubyte.gz", .idx), ("x.npy", .npy), ("dir/x.NPY.GZ", .npy),
    ])
    func formatFromTheFileName(_ name: String, _ format: DataFormat) {
        #expect(DataFormat(fileName: name) == format)
    }

    @Test func namesWithoutAKnownEndingSayNothing() {
        for name in ["data", "x.gz", "x.txt", "npy", "x.npy.bz2"] { #expect(DataFormat(fileName: name) == nil, "\(name)") }
    }

    @Test func formatFromTheMagicNumber() {
        #expect(DataFormat(magic: npyFloats([1], shape: [1])) == .npy)
        #expect(DataFormat(magic: images) == .idx)
        #expect(DataFormat(magic: DataFixture.idx(typeCode: 0x0E, shape: [1], payload: [])) == .idx)
        #expect(DataFormat(magic: Array("1,2,3\n".utf8)) == nil)
        #expect(DataFormat(magic: [0, 0, 0x0A, 1]) == nil)     // unknown type code
        #expect(DataFormat(magic: [0, 0, 0x08, 0]) == nil)     // zero dimensions
        #expect(DataFormat(magic: [0, 0, 0x08, 9]) == nil)     // more than 8
        #expect(DataFormat(magic: [0x93, 0x4E]) == nil)
    }

    // MARK: Good pairs

    @Test func idxImagesAndLabelsBecomeAClassificationDataset() throws {
        let d = try load(("train-images-idx3-ubyte", images), labels: ("train-labels-idx1-ubyte", imageLabels))
        #expect(d.count == 3)
        #expect(d.featureWidth == 4)
        #expect(d.features == [0, 1, 2, 3, 10, 11, 12, 13, 255, 254, 253, 252])
        #expect(d.targets == [7, 0, 2])
        #expect(d.targetWidth == 1)
        #expect(d.classCount == 8)
        #expect(d.name.hasSuffix("train-images-idx3-ubyte"))
    }

    @Test func gzipAndUnhelpfulNamesAreDetectedByContent() throws {
        let plain = try load(("images.idx", images), labels: ("labels.idx", imageLabels))
        let zipped = try load(("images.bin", DataFixture.gzip(images)), labels: ("labels", DataFixture.gzip(imageLabels)))
        #expect(zipped.features == plain.features)
        #expect(zipped.targets == plain.targets)
        #expect(zipped.classCount == plain.classCount)
    }

    @Test func npyFeaturesAreFlattenedAndIntegerLabelsAreClasses() throws {
        let d = try load(("x.npy", npyFloats([1, 2, 3, 4, 5, 6, 7, 8], shape: [2, 2, 2])), labels: ("y.npy.gz", DataFixture.gzip(npyInt64([1, 4]))))
        #expect(d.featureWidth == 4)
        #expect(d.features == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(d.targets == [1, 4])
        #expect(d.classCount == 5)
    }

    @Test func npyFeaturesWithIDXLabels() throws {
        let d = try load(("x.npy", npyFloats([0.5, -0.5, 1.5], shape: [3])), labels: ("y-ubyte", imageLabels))
        #expect(d.featureWidth == 1)
        #expect(d.targets == [7, 0, 2])
    }

    @Test func floatLabelsOfSeveralColumnsAreRegressionTargets() throws {
        let d = try load(("x.npy", npyFloats([1, 2, 3, 4], shape: [2, 2])),
                         labels: ("y.npy", npyFloats([0.5, -1, 2.25, 3, 4, 5], shape: [2, 3])), classification: false)
        #expect(d.targetWidth == 3)
        #expect(d.targets == [0.5, -1, 2.25, 3, 4, 5])
        #expect(d.classCount == nil)
    }

    @Test func gzipCompressedCSVIsRead() throws {
        let text = Array("a,b,label\n1,2,0\n3,4,1\n".utf8)
        let d = try load(("train.csv.gz", DataFixture.gzip(text)))
        #expect(d.features == [1, 2, 3, 4])
        #expect(d.targets == [0, 1])
        // CSVLoader.load reads it as well, and a text file without a known name is taken as CSV.
        let dir = try DataFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try CSVLoader().load(path: DataFixture.write(DataFixture.gzip(text), to: "t.csv.gz", in: dir)).count == 2)
        #expect(try load(("train.txt", text)).count == 2)
    }

    @Test func classificationFlagAppliesToCSV() throws {
        let d = try load(("train.csv", Array("1,2,0.5\n3,4,1.5\n".utf8)), classification: false)
        #expect(d.targets == [0.5, 1.5])
        #expect(d.classCount == nil)
    }

    // MARK: Bad pairs

    @Test func labelsFileWithACSVIsRefused() throws {
        let e = try loadError(("train.csv", Array("1,2,0\n".utf8)), labels: ("y.npy", npyInt64([0])))
        // The library names its parameter; `batchwise` says "--labels" (CLIFlagAdviceTests).
        #expect(e.message.contains("`labels` is for IDX and NPY"), "\(e.message)")
    }

    @Test func idxAndNpyNeedALabelsFile() throws {
        for features in [("x-ubyte", images), ("x.npy", npyFloats([1, 2], shape: [2]))] {
            let e = try loadError(features)
            #expect(e.message.contains("give the labels file with `labels`"), "\(e.message)")
            #expect(e.file.hasSuffix(features.0))
        }
    }

    @Test func csvLabelsFileIsRefused() throws {
        let e = try loadError(("x.idx", images), labels: ("y.csv", Array("7\n0\n2\n".utf8)))
        #expect(e.message.contains("must be IDX or NPY"), "\(e.message)")
    }

    @Test func labelCountMustMatchSampleCount() throws {
        let e = try loadError(("x.idx", images), labels: ("y.idx", DataFixture.idx(shape: [2], values: [1, 2])))
        #expect(e.file.hasSuffix("y.idx"))
        #expect(e.message.contains("2 labels but 3 samples"), "\(e.message)")
    }

    @Test func negativeLabelIsNamedByIndexAndValue() throws {
        let e = try loadError(("x.npy", npyFloats([1, 2, 3], shape: [3])), labels: ("y.npy", npyInt64([0, 2, -1])))
        #expect(e.message.contains("label 2 is -1.0"), "\(e.message)")
        #expect(e.message.contains("`loss: mse`"))
    }

    @Test func fractionalClassLabelIsRefused() throws {
        let e = try loadError(("x.npy", npyFloats([1, 2], shape: [2])), labels: ("y.npy", npyFloats([0, 0.5], shape: [2])))
        #expect(e.message.contains("label 1 is 0.5"), "\(e.message)")
    }

    @Test func classLabelsMustBeOnePerSample() throws {
        let e = try loadError(("x.npy", npyFloats([1, 2], shape: [2])), labels: ("y.npy", npyFloats([0, 1, 1, 0], shape: [2, 2])))
        #expect(e.message.contains("2 values per sample"), "\(e.message)")
    }

    @Test func nonFiniteFeatureIsNamedBySample() throws {
        let e = try loadError(("x.npy", npyFloats([1, 2, 3, .nan, 5, 6], shape: [3, 2])), labels: ("y.npy", npyInt64([0, 1, 0])))
        #expect(e.file.hasSuffix("x.npy"))
        #expect(e.message.contains("sample 1") && e.message.contains("nan"), "\(e.message)")
    }

    @Test func float64BeyondFloatRangeIsNotFinite() throws {
        let huge = DataFixture.npy(descr: "<f8", shape: [1], payload: DataFixture.littleEndian(Double(1e300).bitPattern))
        let e = try loadError(("x.npy", huge), labels: ("y.npy", npyInt64([0])))
        #expect(e.message.contains("sample 0"), "\(e.message)")
    }

    @Test func nonFiniteRegressionTargetIsRefused() throws {
        let e = try loadError(("x.npy", npyFloats([1, 2], shape: [2])), labels: ("y.npy", npyFloats([0, .infinity], shape: [2])),
                              classification: false)
        #expect(e.message.contains("sample 1") && e.message.contains("not a finite number"), "\(e.message)")
    }

    @Test func emptyArraysAreRefused() throws {
        let noSamples = try loadError(("x.npy", npyFloats([], shape: [0, 3])), labels: ("y.npy", npyInt64([])))
        #expect(noSamples.message.contains("no samples"), "\(noSamples.message)")
        let noFeatures = try loadError(("x.npy", npyFloats([], shape: [2, 0])), labels: ("y.npy", npyInt64([0, 1])))
        #expect(noFeatures.message.contains("no features"), "\(noFeatures.message)")
    }

    @Test func binaryFileOfNoKnownFormatIsRefused() throws {
        let e = try loadError(("data.bin", [0x50, 0x4B, 0x03, 0x04, 0, 0, 0, 0]))
        #expect(e.message.contains("neither CSV text nor IDX or NPY"), "\(e.message)")
    }

    @Test func missingFileIsNamed() throws {
        let e = try #require(throws: DataError.self) {
            _ = try DataFile.load(path: "/nonexistent/x.npy", labels: nil, classification: true)
        }
        #expect(e.file == "/nonexistent/x.npy")
        #expect(e.message.contains("no such file"))
    }

    @Test func gzipBombIsRefusedUnderTheCap() throws {
        let dir = try DataFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try DataFixture.write(DataFixture.gzip([UInt8](repeating: 0x31, count: 2_000_000)), to: "x.csv.gz", in: dir)
        let e = try #require(throws: DataError.self) {
            _ = try DataFile.load(path: path, labels: nil, classification: true, maximumBytes: 100_000)
        }
        #expect(e.message.contains("decompresses to more than 100000 bytes"), "\(e.message)")
    }
}
