import Foundation
import Testing
import Batchwise
import BatchwiseTestSupport

/// `IDXLoader`: big-endian IDX arrays of every type decode to the values written, plain or
/// gzip-compressed, and every malformed header or stream is a `DataError` that says what is
/// wrong (never a trap, never an allocation the file does not justify).
@Suite struct IDXLoaderTests {
    private let loader = IDXLoader()

    private func parseError(_ bytes: [UInt8], _ loader: IDXLoader = IDXLoader(),
                            sourceLocation: SourceLocation = #_sourceLocation) throws -> DataError {
        try #require(throws: DataError.self, sourceLocation: sourceLocation) {
            _ = try loader.parse(bytes, name: "mem.idx")
        }
    }

    // MARK: Good files

    @Test func uint8ImagesKeepTheirShapeAndRowMajorOrder() throws {
        let pixels: [UInt8] = Array(0..<12).map { UInt8($0 * 20) }
        let a = try loader.parse(DataFixture.idx(shape: [3, 2, 2], values: pixels), name: "mem.idx")
        #expect(a.shape == [3, 2, 2])
        #expect(a.elementType == .uint8)
        #expect(a.values == pixels.map(Float.init))
        #expect(a.file == "mem.idx")
    }

    /// Each IDX type code with values at its extremes, written big-endian.
    static let typed: [(UInt8, [UInt8], [Float])] = [
        (UInt8(0x09), [Int8.min, -1, 0, Int8.max].map { UInt8(bitPattern: $0) }, [Float(-128), -1, 0, 127]),
        (UInt8(0x0B), [Int16.min, -1, 300, Int16.max].flatMap { DataFixture.bigEndian($0) }, [-32768, -1, 300, 32767]),
        (UInt8(0x0C), [Int32.min, -1, 70000, Int32.max].flatMap { DataFixture.bigEndian($0) },
         [Float(Int32.min), -1, 70000, Float(Int32.max)]),
        (UInt8(0x0D), [Float(-1.5), 0, 0.25, 3.5e10].flatMap { DataFixture.bigEndian($0.bitPattern) }, [-1.5, 0, 0.25, 3.5e10]),
        (UInt8(0x0E), [-1.5, 0, 0.25, 3.5e10].flatMap { DataFixture.bigEndian(Double($0).bitPattern) }, [-1.5, 0, 0.25, 3.5e10]),
    ]

    @Test(arguments: typed)
    func everyTypeCodeDecodesBigEndianValues(_ code: UInt8, _ payload: [UInt8], _ expected: [Float]) throws {
        let a = try loader.parse(DataFixture.idx(typeCode: code, shape: [2, 2], payload: payload), name: "mem.idx")
        #expect(a.shape == [2, 2])
        #expect(a.values == expected)
    }

    @Test func gzipCompressedFileGivesTheSameArray() throws {
        let plain = DataFixture.idx(shape: [4, 3], values: Array(0..<12))
        let zipped = DataFixture.gzip(plain)
        #expect(zipped.prefix(2) == [0x1f, 0x8b])
        #expect(try loader.parse(zipped, name: "mem.idx") == loader.parse(plain, name: "mem.idx"))
        #expect(try loader.parse(Data(zipped), name: "mem.idx") == loader.parse(plain, name: "mem.idx"))
    }

    /// `cat a.gz b.gz` is one gzip file whose content is the concatenation, as gunzip reads it.
    @Test func multiMemberGzipDecompressesToTheConcatenation() throws {
        let plain = DataFixture.idx(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let zipped = DataFixture.gzip(Array(plain[..<7])) + DataFixture.gzip(Array(plain[7...]))
        #expect(try loader.parse(zipped, name: "mem.idx").values == [1, 2, 3, 4, 5, 6])
    }

    @Test func loadReadsPlainAndCompressedFiles() throws {
        let dir = try DataFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bytes = DataFixture.idx(shape: [2, 2], values: [9, 8, 7, 6])
        let plain = try DataFixture.write(bytes, to: "t10k-labels-idx1-ubyte", in: dir)
        let zipped = try DataFixture.write(DataFixture.gzip(bytes), to: "t10k-labels-idx1-ubyte.gz", in: dir)
        #expect(try loader.load(path: plain).values == [9, 8, 7, 6])
        #expect(try loader.load(path: zipped).values == [9, 8, 7, 6])
        let missing = try #require(throws: DataError.self) { _ = try loader.load(path: dir.path + "/nope-ubyte") }
        #expect(missing.message.contains("no such file"))
    }

    // MARK: Malformed headers

    /// (what is wrong, the bytes, words the message must contain)
    static let malformed: [(String, [UInt8], [String])] = [
        ("empty file", [], ["truncated", "4-byte magic"]),
        ("three bytes", [0, 0, 8], ["truncated"]),
        ("bad magic", [0x50, 0x4B, 3, 4, 0, 0, 0, 1, 0], ["not an IDX file", "0x50 0x4B"]),
        ("unknown type code", [0, 0, 0x0A, 1, 0, 0, 0, 1, 0], ["unknown IDX type code 0x0A"]),
        ("zero dimensions", [0, 0, 8, 0], ["zero dimensions"]),
        ("header cut inside the sizes", [0, 0, 8, 3, 0, 0, 0, 2, 0, 0], ["truncated", "16-byte header"]),
        ("dimension product overflows", DataFixture.idx(shape: [1 << 20, 1 << 20, 1 << 20, 1 << 20], values: [1, 2]),
         ["overflows", "(1048576, 1048576, 1048576, 1048576)"]),
        ("byte count overflows", DataFixture.idx(typeCode: 0x0E, shape: [1 << 31, 1 << 30], payload: []),
         ["impossibly large"]),
        ("huge sizes, few bytes", DataFixture.idx(shape: [UInt32.max, 2], values: [1, 2, 3]), ["truncated", "needs"]),
        ("truncated data", DataFixture.idx(shape: [2, 3], values: [1, 2, 3, 4, 5]), ["truncated", "needs 6 bytes", "has 5"]),
        ("truncated int32 data", DataFixture.idx(typeCode: 0x0C, shape: [2], payload: [0, 0, 0, 1, 0, 0]),
         ["truncated", "of int32 needs 8 bytes"]),
        ("trailing bytes", DataFixture.idx(shape: [2], values: [1, 2, 3]), ["1 trailing bytes"]),
    ]

    @Test(arguments: malformed)
    func malformedHeaderIsADataError(_ what: String, _ bytes: [UInt8], _ words: [String]) throws {
        let e = try parseError(bytes)
        #expect(e.file == "mem.idx", "\(what)")
        for word in words { #expect(e.message.contains(word), "\(what): \(e.message)") }
    }

    /// Every prefix of a valid file (plain and gzip) is refused with a `DataError`, none traps.
    @Test func everyTruncationIsADataError() throws {
        let plain = DataFixture.idx(typeCode: 0x0D, shape: [2, 2],
                                    payload: [Float(1), 2, 3, 4].flatMap { DataFixture.bigEndian($0.bitPattern) })
        for bytes in [plain, DataFixture.gzip(plain)] {
            for end in 0..<bytes.count {
                #expect(throws: DataError.self) { _ = try loader.parse(Array(bytes[..<end]), name: "cut") }
            }
        }
    }

    // MARK: Malformed gzip

    @Test func corruptGzipIsADataError() throws {
        var zipped = DataFixture.gzip(DataFixture.idx(shape: [64], values: Array(0..<64)))
        zipped[12] ^= 0xFF
        zipped[13] ^= 0xFF
        let e = try parseError(zipped)
        #expect(e.message.contains("gzip") && e.message.contains("corrupt"), "\(e.message)")
    }

    @Test func truncatedGzipIsADataError() throws {
        let zipped = DataFixture.gzip(DataFixture.idx(shape: [64], values: Array(0..<64)))
        let e = try parseError(Array(zipped.dropLast(10)))
        #expect(e.message.contains("gzip data is truncated"), "\(e.message)")
    }

    @Test func bytesAfterTheGzipStreamAreADataError() throws {
        let zipped = DataFixture.gzip(DataFixture.idx(shape: [2], values: [1, 2]))
        let e = try parseError(zipped + [0, 1, 2])
        #expect(e.message.contains("3 bytes after the end of its gzip data"), "\(e.message)")
    }

    /// 4 MB of zeros compress to about 4 kB; with a 1 MiB cap the loader stops at the cap.
    @Test func gzipBombOverTheCapIsRefused() throws {
        let bomb = DataFixture.gzip(DataFixture.idx(shape: [4_000_000], values: [UInt8](repeating: 0, count: 4_000_000)))
        #expect(bomb.count < 10_000)
        let e = try parseError(bomb, IDXLoader(maximumBytes: 1 << 20))
        #expect(e.message.contains("decompresses to more than 1048576 bytes"), "\(e.message)")
        // The same file under a large enough cap is fine.
        #expect(try IDXLoader(maximumBytes: 4_000_008).parse(bomb, name: "ok").shape == [4_000_000])
    }
}
