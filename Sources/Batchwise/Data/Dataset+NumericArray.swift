extension Dataset {
    /// Pairs a feature array with a label array read from binary files (IDX or NPY).
    ///
    /// Features of shape `(N, d1, d2, …)` become `N` samples of `d1 · d2 · …` features (an
    /// image's pixels row by row); shape `(N,)` gives one feature per sample. Labels must
    /// number `N` too. For classification they are one integer ≥ 0 per sample (shape `(N,)` or
    /// `(N, 1)`) and `classCount` is the largest plus one; for regression, labels of shape
    /// `(N, k, …)` give `k · …` targets per sample. Every value must be finite. The samples
    /// keep their shape as `sampleShape` (see `NumericArray.sampleShape`).
    /// The dataset is named after the features' file.
    public init(features: NumericArray, labels: NumericArray, classification: Bool) throws(DataError) {
        let count = features.shape[0]
        let featureWidth = features.shape.dropFirst().reduce(1, *)
        let described = NumericArray.describe(features.shape)
        guard count > 0 else {
            throw DataError(file: features.file, "the array has no samples (shape \(described))")
        }
        guard featureWidth > 0 else {
            throw DataError(file: features.file, "the samples have no features (shape \(described))")
        }
        guard labels.shape[0] == count else {
            throw DataError(file: labels.file, "there are \(labels.shape[0]) labels but \(count) samples in \(features.file); both files must hold the same samples in the same order")
        }
        let targetWidth = labels.shape.dropFirst().reduce(1, *)
        guard targetWidth > 0 else {
            throw DataError(file: labels.file, "the labels are empty (shape \(NumericArray.describe(labels.shape)))")
        }
        if let i = features.values.firstIndex(where: { !$0.isFinite }) {
            throw DataError(file: features.file, "sample \(i / featureWidth) has a feature (number \(i % featureWidth)) that is not a finite number (\(features.values[i])); remove or impute NaN and infinite values first")
        }
        var classCount: Int? = nil
        if classification {
            guard targetWidth == 1 else {
                throw DataError(file: labels.file, "the labels have shape \(NumericArray.describe(labels.shape)): \(targetWidth) values per sample, but class labels are one integer per sample; use \(parameter: "loss", value: "mse") or l1 for regression targets")
            }
            // The same bound as the CSV loader: a label beyond it is a regression target or a corrupt file.
            if let i = labels.values.firstIndex(where: { !($0 >= 0 && $0 <= 1_000_000 && $0 == $0.rounded()) }) {
                throw DataError(file: labels.file, "label \(i) is \(labels.values[i]), not a class number (an integer 0, 1, 2, …); use \(parameter: "loss", value: "mse") or l1 for regression targets")
            }
            classCount = Int(labels.values.max() ?? 0) + 1
        } else if let i = labels.values.firstIndex(where: { !$0.isFinite }) {
            throw DataError(file: labels.file, "the target of sample \(i / targetWidth) is not a finite number (\(labels.values[i])); remove or impute NaN and infinite values first")
        }
        self.init(name: features.file, features: features.values, targets: labels.values, featureWidth: featureWidth,
                  targetWidth: targetWidth, classCount: classCount, sampleShape: TensorShape(features.sampleShape))
    }
}
