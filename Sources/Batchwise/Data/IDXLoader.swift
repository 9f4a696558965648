import Foundation

/// Reads IDX files, the format of MNIST's `train-images-idx3-ubyte` and friends, plain or
/// gzip-compressed.
///
/// Layout: two zero bytes, a type code (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
/// 0x0D float32, 0x0E float64), the number of dimensions, one big-endian `UInt32` size per
/// dimension, then the values, big-endian, in row-major order. The whole header is checked
/// against the file's length before the values are read.
public struct IDXLoader: BinaryArrayLoader {
    /// The most bytes a gzip-compressed file may decompress to.
    public var maximumBytes: Int

    /// A loader that refuses gzip files inflating to more than `maximumBytes` bytes
    /// (default: an eighth of physical memory, at least 256 MiB).
    public init(maximumBytes: Int = DataFile.defaultMaximumBytes) {
        self.maximumBytes = maximumBytes
    }

    /// The element type an IDX type code stands for.
    static func elementType(code: UInt8) -> NumericArray.ElementType? {
        switch code {
        case 0x08: .uint8
        case 0x09: .int8
        case 0x0B: .int16
        case 0x0C: .int32
        case 0x0D: .float32
        case 0x0E: .float64
        default: nil
        }
    }

    /// Decodes an IDX file's plain bytes, checking the header against their length; `name` is
    /// used in errors. O(elements).
    public static func decode(_ raw: UnsafeRawBufferPointer, name: String) throws(DataError) -> NumericArray {
        guard raw.count >= 4 else {
            throw DataError(file: name, "the header is truncated: the file has \(raw.count) bytes but an IDX file starts with a 4-byte magic number")
        }
        guard raw[0] == 0, raw[1] == 0 else {
            throw DataError(file: name, "not an IDX file: it starts with \(hex(raw[0])) \(hex(raw[1])) but an IDX file starts with two zero bytes")
        }
        guard let type = elementType(code: raw[2]) else {
            throw DataError(file: name, "unknown IDX type code \(hex(raw[2])); known codes are 0x08 (uint8), 0x09 (int8), 0x0B (int16), 0x0C (int32), 0x0D (float32) and 0x0E (float64)")
        }
        let dimensions = Int(raw[3])
        guard dimensions >= 1 else {
            throw DataError(file: name, "the header declares zero dimensions; an IDX array has at least one (the samples)")
        }
        let headerSize = 4 + 4 * dimensions
        guard raw.count >= headerSize else {
            throw DataError(file: name, "the header is truncated: \(dimensions) dimensions need a \(headerSize)-byte header but the file has \(raw.count) bytes")
        }
        let shape = (0..<dimensions).map {
            Int(UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: 4 + 4 * $0, as: UInt32.self)))
        }
        var array = try NumericArray(file: name, shape: shape, elementType: type, bigEndian: true,
                                     data: UnsafeRawBufferPointer(rebasing: raw[headerSize...]))
        // N × H × W is MNIST's layout for images of one channel.
        if shape.count == 3 { array.sampleShape = [1, shape[1], shape[2]] }
        return array
    }

    private static func hex(_ byte: UInt8) -> String {
        "0x" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
    }
}
