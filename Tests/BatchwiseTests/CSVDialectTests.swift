import Foundation
import Testing
@testable import Batchwise

/// CSV files as people have them: written by pandas' `to_csv` (with and without its index),
/// separated by semicolons or tabs, quoted as RFC 4180 says, with class names for labels.
/// Each file here is the text pandas (or a spreadsheet) writes for the frame in the comment.
@Suite struct CSVDialectTests {
    private func read(_ text: String, _ loader: CSVLoader = CSVLoader()) throws -> (dataset: Dataset, report: CSVReport) {
        try loader.read(Data(text.utf8), name: "mem.csv")
    }

    private func readError(_ text: String, _ loader: CSVLoader = CSVLoader(),
                           sourceLocation: SourceLocation = #_sourceLocation) throws -> DataError {
        try #require(throws: DataError.self, sourceLocation: sourceLocation) { _ = try loader.read(Data(text.utf8), name: "mem.csv") }
    }

    // MARK: pandas

    /// `pd.DataFrame([[0.5, 1.5, 0], [2.5, 0.25, 1], [1.75, 3.0, 1]]).to_csv(path)`: the
    /// unnamed index gets an empty header cell and the columns are named 0, 1, 2.
    static let pandasWithIndex = ",0,1,2\n0,0.5,1.5,0\n1,2.5,0.25,1\n2,1.75,3.0,1\n"

    @Test func pandasHeaderWithAnUnnamedIndexIsAHeaderAndTheIndexIsWarnedAbout() throws {
        let (d, r) = try read(Self.pandasWithIndex)
        #expect(r.header)
        #expect(r.headerReason?.contains("unnamed index") == true)
        #expect(d.count == 3)
        #expect(d.featureWidth == 3, "the index is a feature until it is dropped")
        #expect(d.targets == [0, 1, 1])
        let warning = try #require(r.warnings.first).description
        #expect(warning.contains("pandas") && warning.contains("`drop: 0`"), "\(warning)")
    }

    @Test func droppingThePandasIndexLeavesTheFeaturesAndNoWarning() throws {
        let (d, r) = try read(Self.pandasWithIndex, CSVLoader(drop: [.index(0)]))
        #expect(d.featureWidth == 2)
        #expect(d.features == [0.5, 1.5, 2.5, 0.25, 1.75, 3.0])
        #expect(r.warnings.isEmpty)
        #expect(r.droppedColumns == [0])
        #expect(r.summary.description.contains("dropped column 0"))
    }

    /// `df.to_csv(path, index=False)` of the same frame: the header is a row of numbers.
    @Test func pandasColumnNumbersWithoutIndexAreAHeaderBecauseTheyDoNotFitTheData() throws {
        let (d, r) = try read("0,1,2\n0.5,1.5,0\n2.5,0.25,1\n1.75,3.0,1\n")
        #expect(r.header)
        #expect(r.headerReason?.contains("pandas' column numbers") == true)
        #expect(d.count == 3)
        #expect(d.features == [0.5, 1.5, 2.5, 0.25, 1.75, 3.0])
        #expect(r.warnings.isEmpty)
    }

    @Test func aFirstRowOfZeroOneTwoThatFitsTheDataIsASample() throws {
        let (d, r) = try read("0,1,2\n3,4,1\n0,0,0\n5,5,2\n")
        #expect(!r.header)
        #expect(r.headerReason?.contains("is a sample") == true)
        #expect(d.count == 4)
        #expect(d.features.prefix(2) == [0, 1], "row 1 stays the first sample")
        #expect(d.targets == [2, 1, 0, 2])
        // Told otherwise, it is a header.
        #expect(try read("0,1,2\n3,4,1\n0,0,0\n5,5,2\n", CSVLoader(header: true)).dataset.count == 3)
    }

    /// Reading a file with its index back and writing it again names the index `Unnamed: 0`.
    @Test func unnamedZeroColumnIsWarnedAboutAndCanBeDroppedByName() throws {
        let text = "Unnamed: 0,width,height,label\n7,0.5,1.5,0\n3,2.5,0.25,1\n"
        let r = try read(text).report
        #expect(r.warnings.count == 1)
        #expect(r.warnings.first?.description.contains("'Unnamed: 0' (column 0)") == true)
        let dropped = try read(text, CSVLoader(drop: [.name("Unnamed: 0")]))
        #expect(dropped.dataset.featureWidth == 2 && dropped.report.warnings.isEmpty)
    }

    @Test func aFirstColumnCountingFromZeroIsWarnedAboutWithoutAHeader() throws {
        let r = try read("0,0.5,0\n1,0.25,1\n2,0.75,0\n3,0.5,1\n").report
        #expect(r.warnings.first?.description.contains("counts 0, 1, 2") == true)
    }

    // MARK: Class names

    /// `df.to_csv(path, index=False)` of iris-like rows with the species as text.
    @Test func classNamesAreSortedAndNumberedInThatOrder() throws {
        let (d, r) = try read("sepal,petal,species\n5.1,1.4,setosa\n7.0,4.7,versicolor\n6.3,6.0,virginica\n4.9,1.4,setosa\n")
        #expect(d.classNames == ["setosa", "versicolor", "virginica"])
        #expect(r.classNames == d.classNames)
        #expect(d.classCount == 3)
        #expect(d.targets == [0, 1, 2, 0])
        #expect(r.summary.description.contains("label 'species' (column 2), 3 classes named setosa, versicolor, virginica"))
    }

    @Test func aHeaderlessFileWithClassNamesKeepsItsFirstRow() throws {
        // UCI's iris.data: no header, the class as text in the last column.
        let (d, r) = try read("5.1,3.5,Iris-setosa\n7.0,3.2,Iris-versicolor\n4.9,3.0,Iris-setosa\n")
        #expect(!r.header)
        #expect(d.count == 3)
        #expect(d.classNames == ["Iris-setosa", "Iris-versicolor"])
        #expect(d.targets == [0, 1, 0])
    }

    @Test func knownClassNamesMapLabelsAndRefuseAnUnseenOne() throws {
        let loader = CSVLoader(classNames: ["cat", "dog", "owl"])
        #expect(try read("x,y\n1,owl\n2,cat\n", loader).dataset.targets == [2, 0])
        let e = try readError("x,y\n1,owl\n2,ghost\n", loader)
        #expect(e.line == 3 && e.column == 2)
        #expect(e.message.contains("'ghost' is not one of the 3 classes of the training data (cat, dog, owl)"))
    }

    @Test func labelsMixingNamesAndNumbersAreRefused() throws {
        let e = try readError("x,y\n1,0\n2,1\n3,O\n")
        #expect(e.line == 4)
        #expect(e.message.contains("mixes class names ('O' here) and numbers ('0' on line 2)"))
    }

    // MARK: Delimiters

    /// `df.to_csv(path, sep=";", index=False)`, as spreadsheets in many locales write it.
    @Test func semicolonsAreDetected() throws {
        let (d, r) = try read("a;b;label\n0.5;1.5;0\n2.5;0.25;1\n")
        #expect(r.delimiter == UInt8(ascii: ";") && r.delimiterDetected)
        #expect(d.features == [0.5, 1.5, 2.5, 0.25])
        #expect(r.summary.description.contains("';'-separated (detected; set it with `delimiter`)"))
    }

    /// `df.to_csv(path, sep="\t", index=False)`.
    @Test func tabsAreDetected() throws {
        let (d, r) = try read("a\tb\tlabel\n0.5\t1.5\tcat\n2.5\t0.25\tdog\n")
        #expect(r.delimiterName == "tab")
        #expect(d.classNames == ["cat", "dog"])
    }

    @Test func aGivenDelimiterIsUsedAndSaysSo() throws {
        let (d, r) = try read("a|b|label\n0.5|1.5|0\n", CSVLoader(delimiter: UInt8(ascii: "|")))
        #expect(d.features == [0.5, 1.5])
        #expect(!r.delimiterDetected)
        #expect(try CSVLoader.delimiter(parsing: "tab") == 9)
        #expect(try CSVLoader.delimiter(parsing: ";") == UInt8(ascii: ";"))
        #expect(throws: ConfigurationError.self) { _ = try CSVLoader.delimiter(parsing: ".") }
        #expect(throws: ConfigurationError.self) { _ = try CSVLoader.delimiter(parsing: ",;") }
    }

    @Test func aCellHoldingAnotherDelimiterSuggestsIt() throws {
        // A semicolon file whose first rows look comma-separated (decimal commas).
        let e = try readError("a,b\n1;2,0\n", CSVLoader(delimiter: UInt8(ascii: ",")))
        #expect(e.message == "'1;2' is not a number")
        let detected = try readError("x;y;label\n1,5;2,5;0\n")
        #expect(detected.message.contains("decimal commas are not read; write 1.5"), "\(detected.message)")
    }

    // MARK: RFC 4180

    /// pandas quotes a cell that holds the delimiter, a quote (doubled) or a line break, and
    /// writes CRLF line ends on Windows (`lineterminator="\r\n"`).
    @Test func quotedCellsWithDelimitersQuotesAndLineBreaks() throws {
        let text = "\"width, cm\",\"the \"\"height\"\"\",kind\r\n1.5,2,\"tall, \"\"thin\"\"\"\r\n3,4,\"short\r\nand wide\"\r\n5,6,\"tall, \"\"thin\"\"\"\r\n"
        let (d, r) = try read(text)
        #expect(r.columnNames == ["width, cm", "the \"height\"", "kind"])
        #expect(d.count == 3)
        #expect(d.features == [1.5, 2, 3, 4, 5, 6])
        #expect(d.classNames == ["short\r\nand wide", "tall, \"thin\""])
        #expect(d.targets == [1, 0, 1])
    }

    @Test func linesAreCountedThroughQuotedLineBreaks() throws {
        let e = try readError("a,b,kind\n1,2,\"two\nlines\"\n3,x,one\n")
        #expect(e.line == 4 && e.column == 2)
    }

    @Test func quotedNumbersAreNumbers() throws {
        // `to_csv(quoting=csv.QUOTE_ALL)`.
        let (d, _) = try read("\"a\",\"b\",\"y\"\n\"1.5\",\"2\",\"0\"\n\"3\",\"4\",\"1\"\n")
        #expect(d.features == [1.5, 2, 3, 4])
        #expect(d.classNames == nil)
    }

    @Test func anUnclosedQuoteIsLocated() throws {
        let e = try readError("a,b,y\n1,2,0\n3,\"4,1\n5,6,0\n")
        #expect(e.line == 3 && e.column == 2)
        #expect(e.message.contains("never closes"))
    }

    @Test func textAfterAClosingQuoteIsLocated() throws {
        let e = try readError("a,b,y\n1,\"2\"x,0\n")
        #expect(e.line == 2 && e.column == 2)
        #expect(e.message.contains("follows the closing quote"))
    }

    @Test func aByteOrderMarkIsSkipped() throws {
        // Excel's "CSV UTF-8" starts with one.
        let (d, r) = try read("\u{FEFF}a,b,y\n1,2,0\n")
        #expect(r.columnNames == ["a", "b", "y"])
        #expect(d.count == 1)
    }

    // MARK: Columns

    @Test func dropByNameAndIndex() throws {
        let (d, r) = try read("id,a,b,y\nu1,1,2,0\nu2,3,4,1\n", CSVLoader(drop: [.name("id"), .index(2)]))
        #expect(d.features == [1, 3])
        #expect(r.droppedColumns == [0, 2])
        #expect(try readError("a,b,y\n1,2,0\n", CSVLoader(drop: [.index(2)])).message.contains("the label column"))
        #expect(try readError("a,b,y\n1,2,0\n", CSVLoader(drop: [.name("c")])).message.contains("no column named 'c'"))
        #expect(try readError("a,b,y\n1,2,0\n", CSVLoader(drop: [.index(0), .index(1)])).message.contains("no feature column"))
        #expect(CSVLoader.Column.list(parsing: "id, 0,Unnamed: 0") == [.name("id"), .index(0), .name("Unnamed: 0")])
    }

    @Test func aNegativeLabelColumnSaysColumnsCountFromZero() throws {
        let e = try readError("1,2,0\n", CSVLoader(label: .index(-1)))
        #expect(e.message.contains("numbered from 0"))
    }

    @Test func predictionDataMayKeepItsNamedLabels() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("batchwise-dialect-\(UUID().uuidString).csv")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data("5.1,3.5,Iris-setosa\n7.0,3.2,Iris-versicolor\n4.9,3.0,Iris-setosa\n".utf8).write(to: dir)
        let d = try DataFile.loadFeatures(path: dir.path, featureWidth: 2)
        #expect(d.count == 3)
        #expect(d.features == [5.1, 3.5, 7.0, 3.2, 4.9, 3.0])
    }
}

/// The task checks and target scaling behind `--classes` and `--normalize-targets`.
@Suite struct ClassLabelSurveyTests {
    private func labels(_ values: [Float]) -> Dataset {
        Dataset(name: "t", features: values.map { _ in 0 }, targets: values, featureWidth: 1, targetWidth: 1,
                classCount: Int(values.max()!) + 1)
    }

    @Test func contiguousClassesFromZeroRaiseNoDoubt() throws {
        let survey = try #require(ClassLabelSurvey(labels([0, 1, 2, 2, 1, 0])))
        #expect(survey.doubts(outputWidth: 3).isEmpty)
        #expect(survey.doubts(outputWidth: nil).isEmpty)
    }

    @Test func labelsNotStartingAtZero() throws {
        let doubt = try #require(ClassLabelSurvey(labels([1, 2, 3, 1]))?.doubts(outputWidth: nil).first).description
        #expect(doubt.contains("class 0 never occurs") && doubt.contains("`loss: mse`") && doubt.contains("`classCount: 4`"))
    }

    @Test func labelsWithGaps() throws {
        let doubt = try #require(ClassLabelSurvey(labels([0, 5, 9, 0]))?.doubts(outputWidth: nil).first).description
        #expect(doubt.contains("only 3 of those 10 numbers occur"))
    }

    @Test func manyDistinctValuesLookLikeARegressionTarget() throws {
        let values = (0..<60).map { Float($0 % 30) }
        let doubt = try #require(ClassLabelSurvey(labels(values))?.doubts(outputWidth: nil).first).description
        #expect(doubt.contains("30 different values over 60 samples") && doubt.contains("`normalizeTargets`"))
    }

    @Test func anOutputWiderThanTheClasses() throws {
        let doubts = try #require(ClassLabelSurvey(labels([0, 1, 1, 0]))).doubts(outputWidth: 5)
        #expect(doubts.count == 1)
        #expect(doubts[0].description.contains("the output layer has 5 classes but the labels have only 2"))
    }

    @Test func declaringClassesWidensOrRefuses() throws {
        let d = try labels([0, 1]).declaringClasses(4)
        #expect(d.classCount == 4)
        #expect(throws: ConfigurationError.self) { _ = try labels([0, 3]).declaringClasses(3) }
    }

    /// t' = (t − μ)/σ on the training set; restoring the standardised targets gives them back.
    @Test func targetScalingStandardisesAndRestores() throws {
        let d = Dataset(name: "r", features: [0, 0, 0, 0], targets: [1000, 1010, 990, 1000], featureWidth: 1, targetWidth: 1, classCount: nil)
        let s = try TargetScaling(fittedOn: d)
        #expect(s.means == [1000])
        #expect(abs(s.deviations[0] - Float(50).squareRoot()) < 1e-3)
        let scaled = try s.apply(to: d)
        #expect(abs(scaled.targets.reduce(0, +)) < 1e-4)
        let back = s.restore(scaled.targets)
        #expect(zip(back, d.targets).allSatisfy { abs($0 - $1) < 1e-2 })
        #expect(throws: ConfigurationError.self) { _ = try TargetScaling(fittedOn: self.labels([0, 1])) }
    }
}

/// What the checkpoint keeps of the data's dialect and classes, and that checkpoints written
/// before it existed still load.
@Suite struct CheckpointDataFieldsTests {
    private func checkpoint(_ change: (inout TrainingConfiguration) -> Void = { _ in }) throws -> Checkpoint {
        var c = try TrainingConfiguration(layers: [2, 4, 3], optimizer: .sgd(try SGD()),
                                          learningRate: try LearningRateSchedule(base: 0.1, shape: .constant, warmupSteps: 0),
                                          batchSizes: try BatchSizeSchedule(parsing: "8"), epochs: 1, seed: 1, threads: 1)
        change(&c)
        let model = try c.makeModel()
        return Checkpoint(configuration: c, state: TrainingState(), parameters: Array(repeating: 0.5, count: model.parameterCount),
                          optimizerState: Array(repeating: 0, count: model.parameterCount))
    }

    @Test func classNamesTargetScalingAndTheDialectRoundTrip() throws {
        let regression = Dataset(name: "r", features: [0, 0], targets: [1, 3], featureWidth: 1, targetWidth: 1, classCount: nil)
        let scaling = try TargetScaling(fittedOn: regression)
        let original = try checkpoint {
            $0.classNames = ["cat", "dog", "owl"]
            $0.targetScaling = scaling
            $0.data.delimiter = ";"
            $0.data.header = false
            $0.data.drop = ["id", "0"]
            $0.data.classes = 3
            $0.data.normalizeTargets = true
        }
        let decoded = try Checkpoint.decode(try original.encoded(), name: "memory")
        #expect(decoded == original)
        #expect(decoded.configuration.classNames == ["cat", "dog", "owl"])
    }

    @Test func aCheckpointWithoutTheNewFieldsLoads() throws {
        // Unset optional fields are left out of the header, as in checkpoints written before them.
        let bytes = try checkpoint().encoded()
        let header = String(decoding: bytes, as: UTF8.self)
        for key in ["classNames", "targetScaling", "delimiter", "normalizeTargets", "\"drop\""] { #expect(!header.contains(key), "\(key)") }
        let decoded = try Checkpoint.decode(bytes, name: "old")
        #expect(decoded.configuration.classNames == nil && decoded.configuration.targetScaling == nil)
    }

    @Test func aCorruptFormatNumberIsDamageNotANewerFormat() throws {
        var bytes = try checkpoint().encoded()
        bytes.replaceSubrange(8..<12, with: [0x5A, 0x3C, 0x11, 0x7E])
        let e = try #require(throws: DataError.self) { _ = try Checkpoint.decode(bytes, name: "c.bwck") }
        #expect(e.message.contains("damaged") && !e.message.contains("newer"), "\(e.message)")
        bytes.replaceSubrange(8..<12, with: [0, 0, 0, 0])
        #expect(throws: DataError.self) { _ = try Checkpoint.decode(bytes, name: "c.bwck") }
        bytes.replaceSubrange(8..<12, with: [UInt8(Checkpoint.formatVersion + 1), 0, 0, 0])
        let newer = try #require(throws: DataError.self) { _ = try Checkpoint.decode(bytes, name: "c.bwck") }
        #expect(newer.message.contains("newer Batchwise"))
    }
}
