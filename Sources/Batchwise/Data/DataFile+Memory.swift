import Foundation

extension DataFile {
    /// About how many bytes of memory loading the file at `path` takes at its peak: its bytes
    /// (decompressed, for gzip: the size its trailer records) and the `Float` values parsed from
    /// them, twice (the parsed array and the dataset). Reads only the first 64 KiB and the last
    /// 4 bytes, so it can be asked before anything large is allocated; nil when the file cannot
    /// be read or is not a regular file.
    public static func memoryEstimate(path: String) -> Int? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              attributes[.type] as? FileAttributeType == .typeRegular,
              let size = (attributes[.size] as? NSNumber)?.intValue,
              let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let head = [UInt8]((try? handle.read(upToCount: 1 << 16)) ?? Data())
        var bytes = size
        var held = size
        var bytesPerValue: Int
        if head.starts(with: [0x1f, 0x8b]) {
            // ISIZE, the decompressed size modulo 2³², ends a gzip file.
            try? handle.seek(toOffset: UInt64(max(0, size - 4)))
            let tail = [UInt8]((try? handle.read(upToCount: 4)) ?? Data())
            let recorded = tail.count == 4 ? tail.enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) } : 0
            bytes = recorded >= size ? recorded : size * 4
            held = size + bytes
            // The decompressed head is not at hand: a guess by name (numbers in CSV text take
            // a few characters each).
            let name = path.lowercased()
            bytesPerValue = name.contains(".npy") || name.contains(".idx") || name.contains("ubyte") ? 4 : 3
        } else if let format = DataFormat(fileName: path) ?? DataFormat(magic: Data(head)), format != .csv {
            bytesPerValue = format == .idx && head.count > 2 ? (IDXLoader.elementType(code: head[2])?.size ?? 1) : npyElementSize(head)
        } else {
            let separators = head.count { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: ";") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\n") }
            bytesPerValue = max(2, head.count / max(separators, 1))
        }
        return held + 2 * (bytes / max(bytesPerValue, 1)) * MemoryLayout<Float>.size
    }

    /// The element size an NPY header's `descr` names ('<f4': 4), or 4 when it cannot tell.
    private static func npyElementSize(_ head: [UInt8]) -> Int {
        let text = String(decoding: head.prefix(512), as: UTF8.self)
        guard let descr = text.range(of: "descr") else { return 4 }
        let digits = text[descr.upperBound...].drop { !$0.isNumber }.prefix { $0.isNumber }
        return Int(digits).map { max(1, $0) } ?? 4
    }
}

extension Dataset {
    /// Bytes of memory `synthetic(samples:features:classes:outputs:)` allocates: the features
    /// and the targets as `Float`s, and the teacher's weights.
    public static func syntheticBytes(samples: Int, features: Int, classes: Int? = nil, outputs: Int = 1) -> Int {
        let width = classes ?? outputs
        let (x, o1) = samples.multipliedReportingOverflow(by: features)
        let (t, o2) = samples.multipliedReportingOverflow(by: classes == nil ? outputs : 1)
        guard !o1 && !o2 else { return .max }
        return (x + t + features * width).multipliedReportingOverflow(by: MemoryLayout<Float>.size).partialValue
    }
}
