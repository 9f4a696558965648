import ArgumentParser
import Batchwise

/// The data flags of `train`, `bench scaling` and `bench batch-size`: where the samples come
/// from (a file, the built-in digits or a synthetic task), how a CSV is read, what is held out
/// for validation and how the features are scaled. Parsed once here, for every command that
/// takes them, into the run's `DataSource`.
struct DataFlags: ParsableArguments {
    @Option(help: "Training data: CSV, IDX or NPY (optionally .gz). Default: the built-in 8×8 digits.")
    var data: String?
    @Option(help: "Labels for IDX or NPY --data (IDX or NPY, one per sample).")
    var labels: String?
    @Option(help: "Test data, same columns as --data; used for validation each epoch.")
    var test: String?
    @Option(help: "Labels for IDX or NPY --test.")
    var testLabels: String?
    @Option(parsing: .unconditional, help: "The label column of a CSV: a header name or a 0-based column number (default: the last).")
    var label: String?
    @Option(help: "The cell delimiter of a CSV: a character such as , ; | or tab (default: detect comma, semicolon or tab).")
    var delimiter: String?
    @Option(help: "Whether a CSV's first row is a header: yes, no or auto (default: auto, told from the rows below).")
    var header: String?
    @Option(parsing: .unconditional, help: "CSV columns to leave out, such as an id or a pandas index: names or 0-based numbers, comma-separated.")
    var drop: String?
    @Option(parsing: .unconditional, help: "The number of classes, when the labels do not show them all (labels 0…N-1).")
    var classes: Int?
    @Option(parsing: .unconditional, help: "Train on a seeded synthetic classification task of this many samples, shaped by --layers (or by --input-shape and the --model's output width).")
    var synthetic: Int?
    @Option(parsing: .unconditional, help: "Share of --data held out for validation when no --test is given (0 for none; default 0.2).")
    var validationSplit: Double?
    @Option(help: "Feature scaling fitted on the training set: none, minmax or standard.")
    var normalize: String?
    @Option(parsing: .unconditional, help: "Divide every raw feature by this first (such as 255 for bytes).")
    var scale: Float?

    /// The `DataSource` the flags describe, with `normalizeTargets` (a flag of `train` alone).
    /// - Throws: `ConfigurationError` naming the flag: an unknown --normalize, a
    ///   --validation-split outside [0, 1), --test with --validation-split, a bad --header.
    func source(normalizeTargets: Bool? = nil) throws -> DataSource {
        guard let kind = FeatureScaling.Kind(rawValue: (normalize ?? "none").lowercased()) else {
            throw ConfigurationError("--normalize must be none, minmax or standard (got '\(normalize!)')")
        }
        let split = validationSplit ?? 0.2
        guard split.isFinite && split >= 0 && split < 1 else {
            throw ConfigurationError("--validation-split must be at least 0 and below 1 (got \(split))")
        }
        if test != nil && validationSplit != nil { throw ConfigurationError("give either --test or --validation-split, not both") }
        return DataSource(path: data, labels: labels, test: test, testLabels: testLabels, labelColumn: label,
                          synthetic: synthetic, validationSplit: split, normalize: kind, scale: scale ?? 1,
                          delimiter: delimiter, header: try CSVFlags.header(header), drop: drop.map(CSVFlags.columns),
                          classes: classes, normalizeTargets: normalizeTargets)
    }
}
