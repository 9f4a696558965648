/// The kinds of data file Batchwise reads, told apart by name or, failing that, by content.
public enum DataFormat: Sendable, Equatable, CustomStringConvertible {
    /// Numeric text, one sample a row, labels in a column (`CSVLoader`).
    case csv
    /// The MNIST format (`IDXLoader`): features or labels, one file each.
    case idx
    /// numpy's `.npy` (`NPYLoader`): features or labels, one file each.
    case npy

    /// The format a file name says: `.csv`, `.idx`, `-ubyte` (as in `train-images-idx3-ubyte`)
    /// or `.npy`, any of them optionally followed by `.gz`; case is ignored.
    public init?(fileName: String) {
        var name = fileName.lowercased()
        if name.hasSuffix(".gz") { name.removeLast(3) }
        if name.hasSuffix(".csv") { self = .csv }
        else if name.hasSuffix(".idx") || name.hasSuffix("-ubyte") { self = .idx }
        else if name.hasSuffix(".npy") { self = .npy }
        else { return nil }
    }

    /// The format the first bytes of an (already decompressed) file say: NPY starts with
    /// `\x93NUMPY`; IDX with two zero bytes, a known type code and 1 to 8 dimensions.
    /// CSV has no magic number, so it is never detected here.
    public init?(magic bytes: some Collection<UInt8>) {
        let head = Array(bytes.prefix(6))
        if head.starts(with: NPYLoader.magic) {
            self = .npy
        } else if head.count >= 4, head[0] == 0, head[1] == 0, IDXLoader.elementType(code: head[2]) != nil,
                  (1...8).contains(head[3]) {
            self = .idx
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .csv: "CSV"
        case .idx: "IDX"
        case .npy: "NPY"
        }
    }
}
