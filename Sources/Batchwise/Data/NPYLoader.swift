import Foundation

/// Reads NPY files (what `numpy.save` writes), plain or gzip-compressed.
///
/// Layout: the magic `\x93NUMPY`, a major and a minor version byte, the header length
/// (little-endian `UInt16` in version 1, `UInt32` in versions 2 and 3), the header (see
/// `NPYHeader`), then the values. Every part of the header is checked against the file's
/// length before the values are read.
public struct NPYLoader: BinaryArrayLoader {
    /// The most bytes a gzip-compressed file may decompress to.
    public var maximumBytes: Int

    /// A loader that refuses gzip files inflating to more than `maximumBytes` bytes
    /// (default: an eighth of physical memory, at least 256 MiB).
    public init(maximumBytes: Int = DataFile.defaultMaximumBytes) {
        self.maximumBytes = maximumBytes
    }

    /// The six bytes every NPY file starts with.
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// numpy itself refuses headers over 10 000 bytes by default; this is far beyond that.
    private static let maximumHeaderLength = 1 << 20

    /// Decodes an NPY file's plain bytes (versions 1 to 3, little-endian, C order), checking the
    /// header against their length; `name` is used in errors. O(elements).
    public static func decode(_ raw: UnsafeRawBufferPointer, name: String) throws(DataError) -> NumericArray {
        guard raw.starts(with: magic.prefix(raw.count)) else {
            throw DataError(file: name, "not an NPY file: it does not start with \\x93NUMPY")
        }
        guard raw.count >= 10 else {
            throw DataError(file: name, "the header is truncated: the file has only \(raw.count) bytes")
        }
        let major = raw[6], minor = raw[7]
        let lengthSize: Int
        switch major {
        case 1: lengthSize = 2
        case 2, 3: lengthSize = 4
        default:
            throw DataError(file: name, "NPY format version \(major).\(minor) is not supported (versions 1, 2 and 3 are)")
        }
        guard raw.count >= 8 + lengthSize else {
            throw DataError(file: name, "the header is truncated: the file ends inside the header length")
        }
        let headerLength = lengthSize == 2
            ? Int(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt16.self)))
            : Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
        let headerStart = 8 + lengthSize
        guard headerLength <= raw.count - headerStart else {
            throw DataError(file: name, "the header is truncated: it should be \(headerLength) bytes but the file has \(raw.count - headerStart) after the length field")
        }
        guard headerLength <= maximumHeaderLength else {
            throw DataError(file: name, "the header claims \(headerLength) bytes, far more than any numeric array needs; the file is corrupt")
        }
        let dataStart = headerStart + headerLength
        let header = try NPYHeader(parsing: Array(raw[headerStart..<dataStart]), file: name)
        return try NumericArray(file: name, shape: header.shape, elementType: header.elementType, bigEndian: false,
                                data: UnsafeRawBufferPointer(rebasing: raw[dataStart...]))
    }
}
