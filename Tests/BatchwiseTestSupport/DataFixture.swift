import CZlib
import Foundation

/// IDX, NPY and gzip bytes written by hand for the loader tests, and temporary files to hold them.
package enum DataFixture {
    /// `bytes` gzip-compressed by zlib's deflate (windowBits 31 writes the gzip wrapper).
    /// Wraps `deflateInit2_`, `deflateBound`, `deflate` and `deflateEnd`.
    package static func gzip(_ bytes: [UInt8]) -> [UInt8] {
        var stream = z_stream()
        let started = deflateInit2_(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY,
                                    zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        precondition(started == Z_OK)
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(bytes.count))) + 64)
        var input = bytes
        let status = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_in = inBuffer.baseAddress
                stream.avail_in = UInt32(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = UInt32(outBuffer.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        precondition(status == Z_STREAM_END)
        output.removeLast(Int(stream.avail_out))
        return output
    }

    /// An IDX file: the magic for `typeCode`, one big-endian size per dimension, then `payload`.
    package static func idx(typeCode: UInt8, shape: [UInt32], payload: [UInt8]) -> [UInt8] {
        [0, 0, typeCode, UInt8(shape.count)] + shape.flatMap { bigEndian($0) } + payload
    }

    /// A uint8 IDX file holding `values` with `shape`.
    package static func idx(shape: [UInt32], values: [UInt8]) -> [UInt8] {
        idx(typeCode: 0x08, shape: shape, payload: values)
    }

    /// An NPY file as numpy writes it: magic, version, header length, the dict `header` padded
    /// with spaces and a newline so the data starts on a 64-byte boundary, then `payload`.
    package static func npy(header: String, version: UInt8 = 1, payload: [UInt8]) -> [UInt8] {
        let lengthSize = version == 1 ? 2 : 4
        var dict = Array(header.utf8)
        let unpadded = 8 + lengthSize + dict.count + 1
        dict += [UInt8](repeating: 0x20, count: (64 - unpadded % 64) % 64) + [0x0A]
        let length = version == 1 ? littleEndian(UInt16(dict.count)) : littleEndian(UInt32(dict.count))
        return [0x93] + Array("NUMPY".utf8) + [version, 0] + length + dict + payload
    }

    /// An NPY file with numpy's header for `descr` and `shape` (C order).
    package static func npy(descr: String, shape: [Int], version: UInt8 = 1, payload: [UInt8]) -> [UInt8] {
        let tuple = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        return npy(header: "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(tuple), }", version: version, payload: payload)
    }

    package static func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    package static func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    /// `values` as little-endian float32 bytes.
    package static func float32(_ values: [Float]) -> [UInt8] {
        values.flatMap { littleEndian($0.bitPattern) }
    }

    /// A fresh directory in the temporary directory, for files whose names matter; the caller
    /// removes it.
    /// The names in `folder`, sorted (to check what a write left behind).
    package static func contents(_ folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
    }

    package static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("batchwise-data-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes `bytes` to `name` inside `directory` and returns its path.
    package static func write(_ bytes: [UInt8], to name: String, in directory: URL) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }
}
