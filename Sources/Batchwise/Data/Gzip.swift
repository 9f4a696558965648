import CZlib
import Foundation

/// gzip decompression with zlib's `inflate`, bounded: the caller names the most bytes the
/// output may hold, and a file that would inflate past that (a "gzip bomb", or simply too
/// large for this machine) is refused before the memory is claimed.
///
/// Files of several gzip members (`cat a.gz b.gz`) decompress to the concatenation, as `gunzip`
/// does. Corrupt, truncated or trailing data is a `DataError`.
enum Gzip {
    /// Every gzip file starts with these two bytes (RFC 1952).
    static func isCompressed(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
    }

    /// `data` itself, or its decompressed bytes when it is gzip.
    static func decompressedIfNeeded(_ data: Data, maximumSize: Int, file: String) throws(DataError) -> Data {
        try data.withBytes { raw throws(DataError) in
            isCompressed(raw) ? try decompress(raw, maximumSize: maximumSize, file: file) : data
        }
    }

    /// Calls `body` with `bytes`, decompressed first when they are gzip.
    static func withDecompressedBytes<T>(of bytes: some ContiguousBytes, maximumSize: Int, file: String,
                                         _ body: (UnsafeRawBufferPointer) throws(DataError) -> T) throws(DataError) -> T {
        try bytes.withBytes { raw throws(DataError) in
            guard isCompressed(raw) else { return try body(raw) }
            return try decompress(raw, maximumSize: maximumSize, file: file).withBytes(body)
        }
    }

    /// Inflates the gzip stream(s) in `input` into at most `maximumSize` bytes.
    /// Wraps `inflateInit2_` (windowBits 15 + 32: gzip or zlib header, detected), `inflate`,
    /// `inflateReset` and `inflateEnd`.
    static func decompress(_ input: UnsafeRawBufferPointer, maximumSize: Int, file: String) throws(DataError) -> Data {
        var stream = z_stream()
        let started = inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard started == Z_OK else {
            throw DataError(file: file, "zlib could not start decompressing (inflateInit2 returned \(started)); is the machine out of memory?")
        }
        defer { inflateEnd(&stream) }

        // The gzip trailer's size (mod 2^32) is a hint only, never trusted beyond the cap or
        // beyond deflate's largest possible ratio (about 1032 : 1).
        var output = Data()
        if input.count >= 18 {
            let hinted = Int(UInt32(littleEndian: input.loadUnaligned(fromByteOffset: input.count - 4, as: UInt32.self)))
            output.reserveCapacity(min(hinted, maximumSize, input.count * 1032))
        }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var consumed = 0   // input bytes handed to zlib so far
        let base = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        while true {
            if stream.avail_in == 0, consumed < input.count {
                // avail_in is 32-bit: feed inputs over 4 GiB in pieces.
                let piece = min(input.count - consumed, Int(UInt32.max))
                stream.next_in = base.map { $0 + consumed }
                stream.avail_in = UInt32(piece)
                consumed += piece
            }
            let status = chunk.withUnsafeMutableBufferPointer { out in
                stream.next_out = out.baseAddress
                stream.avail_out = UInt32(out.count)
                return inflate(&stream, Z_NO_FLUSH)
            }
            let produced = chunk.count - Int(stream.avail_out)
            guard produced <= maximumSize - output.count else {
                throw DataError(file: file, "the gzip data decompresses to more than \(maximumSize) bytes, the limit for one file; decompress it yourself (gunzip) if it is genuine")
            }
            output.append(contentsOf: chunk[..<produced])
            let remaining = Int(stream.avail_in) + (input.count - consumed)
            switch status {
            case Z_STREAM_END:
                if remaining == 0 { return output }
                let next = input.count - remaining
                guard input.count - next >= 2, input[next] == 0x1f, input[next + 1] == 0x8b else {
                    throw DataError(file: file, "the file has \(remaining) bytes after the end of its gzip data; it is corrupt or not a plain gzip file")
                }
                inflateReset(&stream)   // another gzip member follows
            case Z_OK:
                continue
            case Z_BUF_ERROR where remaining == 0:
                throw DataError(file: file, "the gzip data is truncated (it ends before the compressed stream does); download or compress the file again")
            case Z_BUF_ERROR where stream.avail_in == 0:
                continue   // the current piece is used up but more input remains: feed it
            default:
                let reason = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                throw DataError(file: file, "the gzip data is corrupt (\(reason)); download or compress the file again")
            }
        }
    }
}
