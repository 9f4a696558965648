import Foundation

/// One entry point for `--data FILE [--labels FILE]`: reads a CSV, IDX or NPY file (each
/// optionally gzip-compressed), telling the format by name or content.
public enum DataFile {
    /// The default limit on a file's decompressed size: an eighth of this machine's memory
    /// (at least 256 MiB), since the values then take up to four times that as `Float`s.
    public static let defaultMaximumBytes: Int = {
        let eighth = ProcessInfo.processInfo.physicalMemory / 8
        return Int(clamping: max(eighth, 256 << 20))
    }()

    /// Loads a dataset. A CSV file holds its labels in a column (chosen by `csv`) and takes no
    /// labels file; IDX and NPY features need one (IDX or NPY, `N` labels for `N` samples; see
    /// `Dataset.init(features:labels:classification:)`). `classification` applies to every
    /// format (it replaces `csv.classification`). `maximumBytes` bounds each decompressed file.
    public static func load(path: String, labels labelsPath: String?, csv: CSVLoader = CSVLoader(),
                            classification: Bool, maximumBytes: Int = defaultMaximumBytes) throws(DataError) -> Dataset {
        try loadReporting(path: path, labels: labelsPath, csv: csv, classification: classification, maximumBytes: maximumBytes).dataset
    }

    /// `load`, and for a CSV file what the loader found and chose (delimiter, header, columns).
    public static func loadReporting(path: String, labels labelsPath: String?, csv: CSVLoader = CSVLoader(),
                                     classification: Bool, maximumBytes: Int = defaultMaximumBytes) throws(DataError) -> (dataset: Dataset, csv: CSVReport?) {
        let bytes = try read(path: path, maximumBytes: maximumBytes)
        let format = try format(of: path, bytes: bytes)
        guard format != .csv else {
            if labelsPath != nil {
                throw DataError(file: path, "a CSV file holds its labels in a column (pick it with \(parameter: "labelColumn")); \(parameter: "labels") is for IDX and NPY data")
            }
            var loader = csv
            loader.classification = classification
            let (dataset, report) = try loader.read(bytes, name: path)
            return (dataset, report)
        }
        guard let labelsPath else {
            throw DataError(file: path, "an \(format) file holds only the features; give the labels file with \(parameter: "labels")")
        }
        let features = try array(bytes, format: format, name: path, maximumBytes: maximumBytes)
        let labelBytes = try read(path: labelsPath, maximumBytes: maximumBytes)
        let labelFormat = try self.format(of: labelsPath, bytes: labelBytes)
        guard labelFormat != .csv else {
            throw DataError(file: labelsPath, "the labels file must be IDX or NPY (one label per sample), not CSV")
        }
        let labels = try array(labelBytes, format: labelFormat, name: labelsPath, maximumBytes: maximumBytes)
        return (try Dataset(features: features, labels: labels, classification: classification), nil)
    }

    /// Loads only features, for prediction: a CSV whose columns are all features (or that
    /// also holds the label column `csv.label`, which is then ignored), or an IDX or NPY
    /// features file. Targets are zeros. The samples must have `featureWidth` features.
    public static func loadFeatures(path: String, featureWidth: Int, csv: CSVLoader = CSVLoader(),
                                    maximumBytes: Int = defaultMaximumBytes) throws(DataError) -> Dataset {
        let bytes = try read(path: path, maximumBytes: maximumBytes)
        let format = try format(of: path, bytes: bytes)
        let data: Dataset
        if format == .csv {
            // The label column, when the file has one (one column more than the model takes),
            // is left out unread: its labels may be names or numbers.
            var loader = csv
            loader.classNames = nil
            let columns = try csv.firstRecord(bytes, name: path)
            if columns.count - Set(csv.drop).count == featureWidth + 1, csv.label != .none {
                loader.classification = true
                loader.ignoresLabels = true
            } else {
                loader.classification = false
                loader.label = .none
            }
            data = try loader.parse(bytes, name: path)
        } else {
            let features = try array(bytes, format: format, name: path, maximumBytes: maximumBytes)
            let count = features.shape[0]
            let zeros = NumericArray(file: path, shape: [count], elementType: .float32, values: Array(repeating: 0, count: count))
            data = try Dataset(features: features, labels: zeros, classification: false)
        }
        guard data.featureWidth == featureWidth else {
            throw DataError(file: path, "the samples have \(data.featureWidth) features but the model takes \(featureWidth)")
        }
        return data
    }

    /// The bytes of the file at `path`, decompressed when they are gzip (into at most
    /// `maximumBytes`). A file whose loading would take more than `memory` has available
    /// (see `memoryEstimate(path:)`) is refused before it is read.
    public static func read(path: String, maximumBytes: Int = defaultMaximumBytes,
                            memory: DatasetMemory = .current()) throws(DataError) -> Data {
        guard FileManager.default.fileExists(atPath: path) else {
            throw DataError(file: path, "no such file; check the path given to \(parameter: "path")")
        }
        if let estimate = memoryEstimate(path: path), let refusal = memory.refusal("loading it", needs: estimate) {
            throw DataError(file: path, refusal)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError(file: path, "the file cannot be read (is it a directory, or unreadable?)")
        }
        return try Gzip.decompressedIfNeeded(data, maximumSize: maximumBytes, file: path)
    }

    /// The format the name says, else the one the magic number says, else CSV if the start
    /// of the file looks like text.
    static func format(of path: String, bytes: Data) throws(DataError) -> DataFormat {
        if let named = DataFormat(fileName: path) { return named }
        if let detected = DataFormat(magic: bytes) { return detected }
        guard !bytes.prefix(4096).contains(0) else {
            throw DataError(file: path, "the file is neither CSV text nor IDX or NPY data; name it .csv, .idx, -ubyte or .npy (optionally .gz) if it is one of these")
        }
        return .csv
    }

    private static func array(_ bytes: Data, format: DataFormat, name: String, maximumBytes: Int) throws(DataError) -> NumericArray {
        switch format {
        case .idx: try IDXLoader(maximumBytes: maximumBytes).parse(bytes, name: name)
        case .npy: try NPYLoader(maximumBytes: maximumBytes).parse(bytes, name: name)
        case .csv: preconditionFailure("CSV is read by CSVLoader")
        }
    }
}
