/// An n-dimensional array of numbers read from a binary data file (IDX or NPY): its shape, in
/// row-major (C) order, and its values converted to `Float`.
///
/// Building one checks the header's shape against the bytes that follow it before anything is
/// allocated, so a corrupt header can neither trap nor claim more memory than the file implies.
public struct NumericArray: Sendable, Equatable {
    /// The element types IDX and NPY files store.
    public enum ElementType: Sendable, Equatable, CustomStringConvertible {
        /// Unsigned and signed integers and IEEE floats of 8 to 64 bits.
        case uint8, int8, int16, int32, int64, float32, float64

        /// Bytes per element.
        public var size: Int {
            switch self {
            case .uint8, .int8: 1
            case .int16: 2
            case .int32, .float32: 4
            case .int64, .float64: 8
            }
        }

        /// numpy's name for the type.
        public var description: String {
            switch self {
            case .uint8: "uint8"
            case .int8: "int8"
            case .int16: "int16"
            case .int32: "int32"
            case .int64: "int64"
            case .float32: "float32"
            case .float64: "float64"
            }
        }
    }

    /// The file the array came from (used in errors).
    public let file: String
    /// Dimension sizes, outermost first; the first is the sample count.
    public let shape: [Int]
    /// The type the file stored the values as.
    public let elementType: ElementType
    /// The `shape.reduce(1, *)` values in row-major order.
    public let values: [Float]
    /// The shape of one sample (`shape` without its first dimension; `[1]` for an array of
    /// shape `(N,)`), except that an IDX array of images, N × H × W, has samples of 1 × H × W:
    /// the one channel a convolution sees.
    public internal(set) var sampleShape: [Int]

    /// Wraps already-converted values; traps if `shape` is empty or its product is not
    /// `values.count`.
    public init(file: String, shape: [Int], elementType: ElementType, values: [Float]) {
        precondition(!shape.isEmpty && shape.reduce(1, *) == values.count, "the shape and the value count disagree")
        self.file = file
        self.shape = shape
        self.elementType = elementType
        self.values = values
        sampleShape = Self.sampleShape(of: shape)
    }

    /// Decodes `data`, which must hold exactly the elements of `shape`: fewer bytes mean the
    /// file is truncated, more mean trailing bytes the header does not describe.
    init(file: String, shape: [Int], elementType: ElementType, bigEndian: Bool,
         data: UnsafeRawBufferPointer) throws(DataError) {
        assert(!shape.isEmpty, "the loaders refuse scalars")
        let count = try Self.elementCount(shape, file: file)
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: elementType.size)
        let described = "shape \(Self.describe(shape)) of \(elementType)"
        guard !overflow else {
            throw DataError(file: file, "the header describes an impossibly large array (\(described)); the file is corrupt")
        }
        guard data.count >= byteCount else {
            throw DataError(file: file, "the data is truncated: \(described) needs \(byteCount) bytes after the header but the file has \(data.count); download or write the file again")
        }
        guard data.count == byteCount else {
            throw DataError(file: file, "the file has \(data.count - byteCount) trailing bytes after the \(byteCount) that \(described) needs; the header does not match the data")
        }
        self.file = file
        self.shape = shape
        self.elementType = elementType
        self.values = Self.decode(data, count: count, as: elementType, bigEndian: bigEndian)
        sampleShape = Self.sampleShape(of: shape)
    }

    /// `shape` less the sample count; `[1]` for one value per sample.
    static func sampleShape(of shape: [Int]) -> [Int] { shape.count == 1 ? [1] : Array(shape.dropFirst()) }

    /// The product of the dimensions, refusing negative sizes and products that overflow `Int`.
    static func elementCount(_ shape: [Int], file: String) throws(DataError) -> Int {
        var count = 1
        for size in shape {
            guard size >= 0 else {
                throw DataError(file: file, "the shape \(describe(shape)) has a negative dimension; the header is corrupt")
            }
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow else {
                throw DataError(file: file, "the shape \(describe(shape)) has more elements than can be counted (the product of its dimensions overflows); the header is corrupt")
            }
            count = product
        }
        return count
    }

    /// A shape as Python writes it: `(60000, 28, 28)`, `(5,)`.
    static func describe(_ shape: [Int]) -> String {
        shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }

    private static func decode(_ data: UnsafeRawBufferPointer, count: Int, as type: ElementType,
                               bigEndian: Bool) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { out, initialized in
            func each<T: FixedWidthInteger>(_: T.Type, _ convert: (T) -> Float) {
                for i in 0..<count {
                    let raw = data.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)
                    out[i] = convert(bigEndian ? T(bigEndian: raw) : T(littleEndian: raw))
                }
            }
            switch type {
            case .uint8: each(UInt8.self) { Float($0) }
            case .int8: each(Int8.self) { Float($0) }
            case .int16: each(Int16.self) { Float($0) }
            case .int32: each(Int32.self) { Float($0) }
            case .int64: each(Int64.self) { Float($0) }
            case .float32: each(UInt32.self) { Float(bitPattern: $0) }
            case .float64: each(UInt64.self) { Float(Double(bitPattern: $0)) }
            }
            initialized = count
        }
    }
}
