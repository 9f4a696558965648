import Foundation
import Testing
import Batchwise
import BatchwiseTestSupport

/// `NPYLoader`: files numpy wrote (every supported dtype; header versions 1, 2 and 3) decode
/// to the values numpy saved, plain or gzip-compressed, and every malformed header is a
/// `DataError` that says what is wrong and how to convert the array in numpy.
@Suite struct NPYLoaderTests {
    private let loader = NPYLoader()

    private func parse(_ bytes: [UInt8]) throws -> NumericArray {
        try loader.parse(bytes, name: "mem.npy")
    }

    private func parseError(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws -> DataError {
        try #require(throws: DataError.self, sourceLocation: sourceLocation) {
            _ = try loader.parse(bytes, name: "mem.npy")
        }
    }

    // MARK: Files numpy wrote

    /// The bytes of `np.save(f, np.array(values, dtype))` for a 2 × 3 array, as numpy 2.4
    /// wrote them (base64), with the values they hold. Stored here so the tests need no numpy.
    static let writtenByNumpy: [(String, String, [Float])] = [
        ("uint8", "k05VTVBZAQB2AHsnZGVzY3InOiAnfHUxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAQL9/v8=",
         [0, 1, 2, 253, 254, 255]),
        ("int8", "k05VTVBZAQB2AHsnZGVzY3InOiAnfGkxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAqA/wABAn8=",
         [-128, -1, 0, 1, 2, 127]),
        ("int16", "k05VTVBZAQB2AHsnZGVzY3InOiAnPGkyJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAgP//AAABACwB/38=",
         [-32768, -1, 0, 1, 300, 32767]),
        ("int32", "k05VTVBZAQB2AHsnZGVzY3InOiAnPGk0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAACA/////wAAAAABAAAAcBEBAP///38=",
         [Float(Int32.min), -1, 0, 1, 70000, Float(Int32.max)]),
        ("int64", "k05VTVBZAQB2AHsnZGVzY3InOiAnPGk4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAP//////////////AAAAAAAAAAABAAAAAAAAAHARAQAAAAAAAAAAAAABAAA=",
         [-1_099_511_627_776, -1, 0, 1, 70000, 1_099_511_627_776]),
        ("float32", "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAMC/AAAAAAAAgD6aYgJRAADgwG8Sgzo=",
         [-1.5, 0, 0.25, 3.5e10, -7, 1e-3]),
        ("float64", "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAD4vwAAAAAAAAAAAAAAAAAA0D8AAAA8U0wgQgAAAAAAABzA/Knx0k1iUD8=",
         [-1.5, 0, 0.25, 3.5e10, -7, 1e-3]),
        // numpy.lib.format.write_array(f, a, version=(2, 0)) and (3, 0): a 4-byte header length.
        ("float32 v2", "k05VTVBZAgB0AAAAeydkZXNjcic6ICc8ZjQnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAMC/AAAAAAAAgD6aYgJRAADgwG8Sgzo=",
         [-1.5, 0, 0.25, 3.5e10, -7, 1e-3]),
        ("int64 v3", "k05VTVBZAwB0AAAAeydkZXNjcic6ICc8aTgnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAP//////////////AAAAAAAAAAABAAAAAAAAAHARAQAAAAAAAAAAAAABAAA=",
         [-1_099_511_627_776, -1, 0, 1, 70000, 1_099_511_627_776]),
    ]

    @Test(arguments: writtenByNumpy)
    func fileWrittenByNumpyDecodes(_ what: String, _ base64: String, _ expected: [Float]) throws {
        let bytes = try #require(Data(base64Encoded: base64))
        let a = try loader.parse(bytes, name: "mem.npy")
        #expect(a.shape == [2, 3], "\(what)")
        #expect(a.elementType.description == String(what.prefix { $0 != " " }))
        #expect(a.values == expected, "\(what)")
        // Compressed, it is the same array.
        #expect(try loader.parse(DataFixture.gzip(Array(bytes)), name: "mem.npy.gz").values == expected)
    }

    /// numpy itself, when this machine has it: random arrays of every dtype and header version
    /// written by `np.save` / `write_array` read back equal to the values numpy prints.
    @Test(.enabled(if: numpyIsInstalled)) func filesWrittenByTheInstalledNumpyDecode() throws {
        let dir = try DataFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = """
        import numpy as np, sys
        from numpy.lib import format as F
        rng = np.random.default_rng(7)
        for dtype in ['uint8', 'int8', 'int16', 'int32', 'int64', 'float32', 'float64']:
            for version in [(1, 0), (2, 0), (3, 0)]:
                a = (rng.standard_normal((5, 2, 3)) * 100).astype(dtype)
                name = f'{sys.argv[1]}/{dtype}-v{version[0]}.npy'
                with open(name, 'wb') as f: F.write_array(f, a, version=version)
                print(name, ' '.join(repr(float(np.float32(x))) for x in a.ravel()))
        """
        let lines = try Self.python(["-c", script, dir.path]).split(separator: "\n")
        #expect(lines.count == 21)
        for line in lines {
            let words = line.split(separator: " ")
            let a = try loader.load(path: String(words[0]))
            #expect(a.shape == [5, 2, 3], "\(words[0])")
            #expect(a.values == words.dropFirst().map { Float(String($0))! }, "\(words[0])")
        }
    }

    // MARK: Headers written by hand

    @Test func headerVariantsNumpyAcceptsAreRead() throws {
        let payload = DataFixture.float32([1, 2, 3])
        for header in [
            "{'descr': '<f4', 'fortran_order': False, 'shape': (3,)}",          // no trailing comma
            "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (3,), }", // double quotes
            "{'shape': (3L,), 'fortran_order': False, 'descr': '<f4'}",         // Python 2 long, any key order
            "{'descr':'<f4','fortran_order':True,'shape':(3,)}",                // Fortran order of a vector is C order
            "{'descr': '=f4', 'fortran_order': False, 'shape': (3, 1), }",
        ] {
            let a = try parse(DataFixture.npy(header: header, payload: payload))
            #expect(a.values == [1, 2, 3], "\(header)")
        }
        #expect(try parse(DataFixture.npy(descr: ">u1", shape: [2], payload: [7, 8])).values == [7, 8])
    }

    @Test func loadReadsPlainAndCompressedFiles() throws {
        let dir = try DataFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bytes = DataFixture.npy(descr: "<f4", shape: [2, 2], payload: DataFixture.float32([1, -2, 3, -4]))
        for (name, contents) in [("x.npy", bytes), ("x.npy.gz", DataFixture.gzip(bytes))] {
            let a = try loader.load(path: DataFixture.write(contents, to: name, in: dir))
            #expect(a.values == [1, -2, 3, -4])
            #expect(a.shape == [2, 2])
        }
    }

    // MARK: Malformed files

    private static let four = DataFixture.float32([1, 2, 3, 4])

    /// (what is wrong, the bytes, words the message must contain)
    static let malformed: [(String, [UInt8], [String])] = [
        ("empty file", [], ["truncated"]),
        ("bad magic", Array("\u{1}NUMPY\u{1}\u{0}v\u{0}{}".utf8), ["not an NPY file"]),
        ("IDX data", DataFixture.idx(shape: [2], values: [1, 2]), ["not an NPY file"]),
        ("version 4", DataFixture.npy(header: "{}", version: 4, payload: []), ["version 4.0", "not supported"]),
        ("header cut before its length", [0x93] + Array("NUMPY".utf8) + [2, 0, 0x74], ["truncated"]),
        ("header cut short", Array(DataFixture.npy(descr: "<f4", shape: [4], payload: four).prefix(40)),
         ["truncated", "should be 118 bytes"]),
        ("header length beyond the file", [0x93] + Array("NUMPY".utf8) + [2, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x7B], ["truncated"]),
        ("no shape", DataFixture.npy(header: "{'descr': '<f4', 'fortran_order': False}", payload: four), ["no 'shape'"]),
        ("no descr", DataFixture.npy(header: "{'fortran_order': False, 'shape': (4,)}", payload: four), ["no 'descr'"]),
        ("no fortran_order", DataFixture.npy(header: "{'descr': '<f4', 'shape': (4,)}", payload: four), ["no 'fortran_order'"]),
        ("Fortran order", DataFixture.npy(header: "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2)}", payload: four),
         ["Fortran", "not supported", "np.ascontiguousarray"]),
        ("big-endian", DataFixture.npy(descr: ">f4", shape: [4], payload: four), ["big-endian", "not supported", "astype('<f4')"]),
        ("big-endian int64", DataFixture.npy(descr: ">i8", shape: [2], payload: four), ["big-endian"]),
        ("float16", DataFixture.npy(descr: "<f2", shape: [8], payload: four), ["dtype '<f2' is not supported"]),
        ("unicode strings", DataFixture.npy(descr: "<U1", shape: [4], payload: four), ["dtype '<U1' is not supported"]),
        ("objects", DataFixture.npy(descr: "|O", shape: [2], payload: four), ["dtype '|O' is not supported"]),
        ("structured dtype", DataFixture.npy(header: "{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (4,)}", payload: four),
         ["structured"]),
        ("missing colon", DataFixture.npy(header: "{'descr' '<f4', 'fortran_order': False, 'shape': (4,)}", payload: four),
         ["not a valid dict", "expected ':'"]),
        ("unclosed dict", DataFixture.npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (4,)", payload: four),
         ["not a valid dict", "expected '}'"]),
        ("unquoted key", DataFixture.npy(header: "{descr: '<f4', 'fortran_order': False, 'shape': (4,)}", payload: four),
         ["not a valid dict", "quoted"]),
        ("unclosed string", DataFixture.npy(header: "{'descr: <f4}", payload: four), ["string is not closed"]),
        ("text after the dict", DataFixture.npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (4,)} x", payload: four),
         ["after the closing '}'"]),
        ("not a dict", DataFixture.npy(header: "descr=<f4", payload: four), ["expected '{'"]),
        ("shape a list", DataFixture.npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': 4}", payload: four),
         ["expected a quoted string, True, False or a tuple"]),
        ("shape a string", DataFixture.npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': '4'}", payload: four),
         ["'shape' should be a tuple"]),
        ("fortran_order a string", DataFixture.npy(header: "{'descr': '<f4', 'fortran_order': 'no', 'shape': (4,)}", payload: four),
         ["'fortran_order' should be True or False"]),
        ("shape of words", DataFixture.npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (four,)}", payload: four),
         ["whole number"]),
        ("duplicate key", DataFixture.npy(header: "{'descr': '<f4', 'descr': '<f8', 'fortran_order': False, 'shape': (4,)}", payload: four),
         ["'descr' twice"]),
        ("unknown key", DataFixture.npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), 'x': 1}", payload: four),
         ["unknown key 'x'"]),
        ("scalar", DataFixture.npy(descr: "<f4", shape: [], payload: Array(four.prefix(4))), ["scalar"]),
        ("negative dimension", DataFixture.npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (-4,)}", payload: four),
         ["negative dimension"]),
        ("dimension beyond Int", DataFixture.npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}", payload: four),
         ["too large to count"]),
        ("dimension product overflows", DataFixture.npy(descr: "<f4", shape: [1 << 20, 1 << 20, 1 << 20, 1 << 20], payload: four),
         ["overflows"]),
        ("byte count overflows", DataFixture.npy(descr: "<f8", shape: [1 << 31, 1 << 30], payload: four), ["impossibly large"]),
        ("absurd size, few bytes", DataFixture.npy(descr: "<f4", shape: [1 << 40, 1000], payload: four), ["truncated"]),
        ("truncated data", DataFixture.npy(descr: "<f4", shape: [5], payload: four), ["truncated", "needs 20 bytes", "has 16"]),
        ("trailing bytes", DataFixture.npy(descr: "<f4", shape: [3], payload: four), ["4 trailing bytes"]),
        ("gzip bomb", DataFixture.gzip(DataFixture.npy(descr: "|u1", shape: [5_000_000], payload: .init(repeating: 0, count: 5_000_000))),
         ["decompresses to more than"]),
    ]

    @Test(arguments: malformed)
    func malformedFileIsADataError(_ what: String, _ bytes: [UInt8], _ words: [String]) throws {
        let e = try #require(throws: DataError.self, "\(what)") {
            _ = try NPYLoader(maximumBytes: 1 << 20).parse(bytes, name: "mem.npy")
        }
        #expect(e.file == "mem.npy")
        for word in words { #expect(e.message.contains(word), "\(what): \(e.message)") }
    }

    /// Every prefix of a valid file (plain and gzip) is refused with a `DataError`, none traps.
    @Test func everyTruncationIsADataError() throws {
        let plain = DataFixture.npy(descr: "<f8", shape: [2], payload: [1.0, 2.0].flatMap { DataFixture.littleEndian($0.bitPattern) })
        for bytes in [plain, DataFixture.gzip(plain)] {
            for end in 0..<bytes.count {
                #expect(throws: DataError.self) { _ = try loader.parse(Array(bytes[..<end]), name: "cut") }
            }
        }
    }

    /// Every single-byte corruption of a header either still parses to the very array written
    /// (a byte numpy ignores: the minor version, padding, a space) or is a `DataError` naming
    /// the file and what is wrong with the part that was hit — never a trap, never another
    /// array, never "a newer format".
    @Test func corruptingAnyHeaderByteIsTheRightErrorOrTheSameArray() throws {
        let plain = DataFixture.npy(descr: "<i4", shape: [2, 2], payload: [1, 2, 3, 4].flatMap { DataFixture.littleEndian(Int32($0)) })
        var failures = 0
        for i in 0..<(plain.count - 16) {
            for replacement: UInt8 in [0x00, 0x20, 0x27, 0x28, 0x2C, 0x31, 0x3A, 0x7B, 0x7D, 0xFF] where replacement != plain[i] {
                var bytes = plain
                bytes[i] = replacement
                let parsed = Result { () throws(DataError) in try loader.parse(bytes, name: "flip") }
                guard case .failure(let error) = parsed else {
                    let a = try parsed.get()
                    #expect(a.shape == [2, 2] && a.values == [1, 2, 3, 4], "byte \(i) → \(replacement) parses, to the same array")
                    #expect(i == 7 || i >= 10, "only the minor version or header text may change harmlessly (byte \(i))")
                    continue
                }
                failures += 1
                let message = error.message
                #expect(error.file == "flip")
                #expect(!message.contains("newer"), "\(message)")
                switch i {
                case 0..<6: #expect(message.hasPrefix("not an NPY file"), "magic byte \(i): \(message)")
                case 6: #expect(message.contains("NPY format version \(replacement).0 is not supported"), "\(message)")
                default:
                    // A hit in the descr value names the dtype it made; anywhere else, the header.
                    #expect(message.contains("header") || message.hasPrefix("dtype '"), "byte \(i) of the length or header: \(message)")
                }
            }
        }
        #expect(failures > 500, "most corruptions are caught (\(failures))")
    }

    // MARK: numpy on this machine

    static let numpyIsInstalled: Bool = (try? python(["-c", "import numpy"])) != nil

    /// Runs python3 with `arguments` and returns its standard output; throws when it fails.
    static func python(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.executableLoad) }
        return String(decoding: data, as: UTF8.self)
    }
}
