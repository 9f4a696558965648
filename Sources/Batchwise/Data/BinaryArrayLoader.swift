import Foundation

/// A reader of one binary array format (IDX, NPY): everything but the decoding of the
/// (decompressed) bytes is shared — reading the file, gunzipping it under a size cap.
public protocol BinaryArrayLoader: Sendable {
    /// The most bytes a gzip-compressed file may decompress to.
    var maximumBytes: Int { get }

    /// Decodes the plain (decompressed) bytes of one file; `name` is used in errors.
    static func decode(_ raw: UnsafeRawBufferPointer, name: String) throws(DataError) -> NumericArray
}

extension BinaryArrayLoader {
    /// Reads the file at `path`, gzip-compressed or not (zlib's `inflate`, capped at
    /// `maximumBytes`), and decodes it.
    public func load(path: String) throws(DataError) -> NumericArray {
        try parse(DataFile.read(path: path, maximumBytes: maximumBytes), name: path)
    }

    /// Parses the bytes of a file (gzip-compressed or not) already in memory; `name` is used in errors.
    public func parse(_ bytes: some ContiguousBytes, name: String) throws(DataError) -> NumericArray {
        try Gzip.withDecompressedBytes(of: bytes, maximumSize: maximumBytes, file: name) { raw throws(DataError) in
            try Self.decode(raw, name: name)
        }
    }
}
