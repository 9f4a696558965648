import Foundation
import Testing
import Batchwise

/// `CSVLoader` and `Dataset`: what a good file turns into, and that every bad file is refused
/// with a `DataError` that points at the line and column a person has to fix.
@Suite struct CSVLoaderTests {
    // MARK: Helpers

    private func parse(_ text: String, _ loader: CSVLoader = CSVLoader(), name: String = "mem.csv") throws -> Dataset {
        try loader.parse(Data(text.utf8), name: name)
    }

    private func parseError(_ text: String, _ loader: CSVLoader = CSVLoader(), name: String = "mem.csv",
                            sourceLocation: SourceLocation = #_sourceLocation) throws -> DataError {
        try #require(throws: DataError.self, sourceLocation: sourceLocation) {
            _ = try loader.parse(Data(text.utf8), name: name)
        }
    }

    /// Parses `text` expecting a `DataError` that names `line` and `column` (nil: none) and
    /// whose message contains every one of `fragments`.
    private func expectParseError(_ text: String, _ loader: CSVLoader = CSVLoader(), line: Int?, column: Int?,
                                  mentioning fragments: [String] = [],
                                  sourceLocation: SourceLocation = #_sourceLocation) throws {
        let e = try parseError(text, loader, sourceLocation: sourceLocation)
        #expect(e.line == line, sourceLocation: sourceLocation)
        #expect(e.column == column, sourceLocation: sourceLocation)
        for fragment in fragments { #expect(e.message.contains(fragment), sourceLocation: sourceLocation) }
    }

    /// A file in the temporary directory with a name no other test uses; removed by the caller.
    private func temporaryFile(_ text: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("batchwise-csv-\(UUID().uuidString).csv")
        try Data(text.utf8).write(to: url)
        return url
    }

    // MARK: Good files

    @Test func headerIsDetectedAndLabelIsTheLastColumn() throws {
        let d = try parse("x1,x2,label\n0.5,1,2\n-3,4e1,0\n")
        #expect(d.count == 2)
        #expect(d.featureWidth == 2)
        #expect(d.targetWidth == 1)
        #expect(d.features == [0.5, 1, -3, 40])
        #expect(d.targets == [2, 0])
        #expect(d.classCount == 3)
        #expect(d.name == "mem.csv")
    }

    @Test func fileWithoutHeaderKeepsItsFirstRowAsASample() throws {
        let d = try parse("1,2,0\n3,4,1\n5,6,1")
        #expect(d.count == 3)
        #expect(d.features == [1, 2, 3, 4, 5, 6])
        #expect(d.targets == [0, 1, 1])
    }

    @Test func labelByNameInTheMiddle() throws {
        let d = try parse("a,label,b\n1,2,3\n4,0,6\n", CSVLoader(label: .name("label")))
        #expect(d.featureWidth == 2)
        #expect(d.features == [1, 3, 4, 6])
        #expect(d.targets == [2, 0])
    }

    @Test func labelByIndex() throws {
        let d = try parse("1,10,20\n0,30,40\n", CSVLoader(label: .index(0)))
        #expect(d.features == [10, 20, 30, 40])
        #expect(d.targets == [1, 0])
        #expect(d.classCount == 2)
    }

    @Test func labelColumnParsing() {
        #expect(CSVLoader.LabelColumn(parsing: "3") == .index(3))
        #expect(CSVLoader.LabelColumn(parsing: "species") == .name("species"))
    }

    // Swift's String treats "\r\n" as one Character, so CRLF files need their own care.
    @Test func crlfLineEnds() throws {
        let d = try parse("a,b,y\r\n1,2,0\r\n3,4,1\r\n")
        #expect(d.count == 2)
        #expect(d.features == [1, 2, 3, 4])
        #expect(d.targets == [0, 1])
    }

    @Test func crlfErrorsCountLines() throws {
        let e = try parseError("1,2,0\r\n3,4,0\r\n5,x,1\r\n")
        #expect(e.line == 3)
        #expect(e.column == 2)
        #expect(e.message == "'x' is not a number")
    }

    @Test func spacesAndTabsAroundCellsAndBlankLines() throws {
        let d = try parse(" a , b ,\ty \n 1 , 2 ,\t0 \n\n   \n3,\t4 , 1\n")
        #expect(d.count == 2)
        #expect(d.features == [1, 2, 3, 4])
        #expect(d.targets == [0, 1])
    }

    @Test func quotedHeaderNames() throws {
        let d = try parse("\"width\",\"height\",\"class\"\n1,2,1\n3,4,0\n", CSVLoader(label: .name("class")))
        #expect(d.count == 2)
        #expect(d.targets == [1, 0])
        #expect(d.features == [1, 2, 3, 4])
    }

    @Test func headerCanBeForcedOnOrOff() throws {
        // Forced header: an all-numeric first row is dropped.
        let withHeader = try parse("7,8,9\n1,2,0\n", CSVLoader(header: true))
        #expect(withHeader.count == 1)
        #expect(withHeader.features == [1, 2])
        // Forced no header: a non-numeric first row is a bad sample at line 1.
        try expectParseError("a,b,y\n1,2,0\n", CSVLoader(header: false), line: 1, column: 1, mentioning: ["'a' is not a number"])
    }

    @Test func regressionAllowsNonIntegerAndNegativeTargets() throws {
        let d = try parse("x,y\n1,0.25\n2,-3.5\n", CSVLoader(classification: false))
        #expect(d.targets == [0.25, -3.5])
        #expect(d.classCount == nil)
    }

    @Test func classCountIsLargestLabelPlusOne() throws {
        // Labels 0 and 3 only: classes 1 and 2 are absent but still counted.
        let d = try parse("1,0\n2,3\n3,0\n")
        #expect(d.classCount == 4)
    }

    @Test func loadReadsATemporaryFile() throws {
        let url = try temporaryFile("f1,f2,target\n0,1,1\n1,0,0\n")
        defer { try? FileManager.default.removeItem(at: url) }
        let d = try CSVLoader().load(path: url.path)
        #expect(d.count == 2)
        #expect(d.name == url.path)
        #expect(d.targets == [1, 0])
    }

    // MARK: Bad files

    @Test func raggedRowNamesTheLineAndBothCounts() throws {
        let e = try parseError("a,b,y\n1,2,0\n3,4\n5,6,1\n")
        #expect(e.file == "mem.csv")
        #expect(e.line == 3)
        #expect(e.column == nil)
        #expect(e.message.contains("2 cells"))
        #expect(e.message.contains("has 3"))
        #expect(e.description.hasPrefix("mem.csv:3: "))
    }

    @Test func longRowIsRaggedToo() throws {
        let e = try parseError("1,2,0\n3,4,5,1\n")
        #expect(e.line == 2)
        #expect(e.message.contains("4 cells"))
    }

    @Test func nonNumericCellNamesLineColumnAndValue() throws {
        let e = try parseError("1,2,0\n3,x7,1\n")
        #expect(e.line == 2)
        #expect(e.column == 2)
        #expect(e.message.contains("'x7' is not a number"))
        #expect(e.description == "mem.csv:2:2: 'x7' is not a number")
    }

    @Test func lineNumbersCountBlankLines() throws {
        try expectParseError("1,2,0\n\n\n3,oops,1\n", line: 4, column: 2)
    }

    @Test func emptyCell() throws {
        try expectParseError("a,b,y\n1,2,0\n3,,1\n", line: 3, column: 2, mentioning: ["empty"])
    }

    @Test(arguments: ["nan", "NaN", "-nan"])
    func notANumberCellIsRefused(_ cell: String) throws {
        try expectParseError("a,b,y\n1,2,0\n3,\(cell),1\n", line: 3, column: 2, mentioning: ["'\(cell)'", "not a finite number"])
    }

    @Test(arguments: ["inf", "-inf", "Infinity", "1e39"])
    func infiniteCellIsRefused(_ cell: String) throws {
        try expectParseError("1,2,0\n\(cell),4,1\n", line: 2, column: 1, mentioning: ["not a finite number"])
    }

    @Test func nanInTheLabelColumnIsRefusedUnderRegressionToo() throws {
        try expectParseError("x,y\n1,0.5\n2,nan\n", CSVLoader(classification: false), line: 3, column: 2, mentioning: ["not a finite number"])
    }

    @Test func negativeLabel() throws {
        try expectParseError("a,b,y\n1,2,0\n3,4,-1\n", line: 3, column: 3, mentioning: ["label '-1'", "not a class number"])
    }

    @Test func nonIntegerLabelUnderClassification() throws {
        try expectParseError("1,2,0\n3,4,1.5\n", line: 2, column: 3, mentioning: ["label '1.5'", "mse"])
    }

    @Test func nonIntegerLabelByIndexPointsAtThatColumn() throws {
        try expectParseError("0,2,3\n0.5,4,5\n", CSVLoader(label: .index(0)), line: 2, column: 1, mentioning: ["label '0.5'"])
    }

    @Test(arguments: ["", "\n", "\n  \n\t\n"])
    func emptyFile(_ text: String) throws {
        try expectParseError(text, line: nil, column: nil, mentioning: ["empty"])
    }

    @Test func emptyFileWithCRLFBlankLines() throws {
        let e = try parseError("\r\n \r\n")
        #expect(e.message.contains("empty"))
    }

    @Test func headerOnlyFile() throws {
        let e = try parseError("a,b,y\n")
        #expect(e.message.contains("no data rows"))
    }

    @Test func singleColumnFileHasNoFeatures() throws {
        let e = try parseError("1\n2\n")
        #expect(e.line == 1)
        #expect(e.message.contains("at least one feature"))
    }

    @Test func missingFile() throws {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("batchwise-missing-\(UUID().uuidString).csv").path
        let e = try #require(throws: DataError.self) { _ = try CSVLoader().load(path: path) }
        #expect(e.file == path)
        #expect(e.line == nil)
        #expect(e.message.contains("no such file"))
    }

    @Test func directoryIsNotAFile() throws {
        let path = FileManager.default.temporaryDirectory.path
        let e = try #require(throws: DataError.self) { _ = try CSVLoader().load(path: path) }
        #expect(e.file == path)
        #expect(e.message.contains("cannot be read"))
    }

    @Test func badRowInAFileOnDiskNamesThePath() throws {
        let url = try temporaryFile("1,2,0\n3,4,0\n5,?,1\n")
        defer { try? FileManager.default.removeItem(at: url) }
        let e = try #require(throws: DataError.self) { _ = try CSVLoader().load(path: url.path) }
        #expect(e.file == url.path)
        #expect(e.line == 3)
        #expect(e.column == 2)
        #expect(e.description.hasPrefix(url.path + ":3:2: "))
    }

    @Test func labelNameNotInHeader() throws {
        let e = try parseError("a,b,c\n1,2,3\n", CSVLoader(label: .name("y")))
        #expect(e.line == 1)
        #expect(e.message.contains("'y'"))
        #expect(e.message.contains("a, b, c"))
    }

    @Test func labelNameWithoutHeader() throws {
        let e = try parseError("1,2,3\n4,5,6\n", CSVLoader(label: .name("y")))
        #expect(e.message.contains("no header"))
    }

    @Test(arguments: [3, 10, -1])
    func labelIndexOutOfRange(_ index: Int) throws {
        let e = try parseError("1,2,0\n3,4,1\n", CSVLoader(label: .index(index)))
        #expect(e.message.contains("label column \(index) does not exist"))
        #expect(e.message.contains("0…2"))
    }

    @Test func notUTF8() throws {
        let e = try #require(throws: DataError.self) {
            _ = try CSVLoader().parse(Data([0x31, 0x2C, 0xFF, 0xFE, 0x0A]), name: "bin.csv")
        }
        #expect(e.file == "bin.csv")
        #expect(e.message.contains("UTF-8"))
    }

    // MARK: Dataset

    /// 100 samples whose single feature is the sample's own index, so a split can be traced.
    private func indexedDataset(count: Int = 100) -> Dataset {
        Dataset(name: "idx", features: (0..<count).map(Float.init), targets: (0..<count).map { Float($0 % 3) },
                featureWidth: 1, targetWidth: 1, classCount: 3)
    }

    @Test func splitIsDeterministicDisjointAndCoversEverySample() throws {
        let d = indexedDataset()
        let (train, test) = try d.split(testFraction: 0.2, seed: 7)
        #expect(test.count == 20)
        #expect(train.count == 80)
        let trainIDs = Set(train.features.map(Int.init)), testIDs = Set(test.features.map(Int.init))
        #expect(trainIDs.count == 80 && testIDs.count == 20, "no sample appears twice")
        #expect(trainIDs.isDisjoint(with: testIDs))
        #expect(trainIDs.union(testIDs) == Set(0..<100))
        // Targets travel with their features.
        for (f, t) in zip(train.features + test.features, train.targets + test.targets) {
            #expect(Float(Int(f) % 3) == t)
        }
        #expect(train.classCount == 3 && test.classCount == 3)

        let again = try d.split(testFraction: 0.2, seed: 7)
        #expect(again.train.features == train.features)
        #expect(again.test.features == test.features)

        let other = try d.split(testFraction: 0.2, seed: 8)
        #expect(other.test.features != test.features, "another seed gives another split")
    }

    @Test func splitRoundsTheTestCount() throws {
        let (train, test) = try indexedDataset(count: 10).split(testFraction: 0.25, seed: 1)
        #expect(test.count == 3) // 2.5 rounds away from zero
        #expect(train.count == 7)
    }

    @Test(arguments: [0.0, 1.0, -0.1, 1.5, Double.nan, Double.infinity])
    func splitRefusesFractionsOutsideZeroToOne(_ fraction: Double) {
        #expect(throws: ConfigurationError.self) { _ = try indexedDataset().split(testFraction: fraction, seed: 1) }
    }

    @Test func splitRefusesTooFewSamples() throws {
        let e = try #require(throws: ConfigurationError.self) {
            _ = try indexedDataset(count: 2).split(testFraction: 0.1, seed: 1)
        }
        #expect(e.message.contains("too few"))
    }

    @Test func digitsDataset() {
        let d = Dataset.digits()
        #expect(d.count == 1797)
        #expect(d.featureWidth == 64)
        #expect(d.targetWidth == 1)
        #expect(d.features.count == 1797 * 64)
        #expect(d.targets.count == 1797)
        #expect(d.classCount == 10)
        #expect(d.features.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(d.features.contains(0) && d.features.contains(1), "pixels span the whole 0…16 range")
        #expect(d.targets.allSatisfy { $0 == $0.rounded() })
        #expect(Set(d.targets.map(Int.init)) == Set(0...9))
    }
}

extension CSVLoaderTests {
    @Test func emptyCellInTheFirstRowIsAnErrorNotAHeader() throws {
        try expectParseError("1,,0\n3,4,1\n", line: 1, column: 2, mentioning: ["empty"])
    }
}
