import Foundation

extension Dataset {
    /// The UCI optical handwritten digits shipped inside Batchwise: 1,797 images of 8×8 pixels
    /// (64 features in 0…16, scaled here to 0…1; `sampleShape` 1 × 8 × 8), 10 classes. Credit: E. Alpaydin and
    /// C. Kaynak, UCI Machine Learning Repository, CC BY 4.0 (copied from scikit-learn).
    ///
    /// Read once per process from `Data/digits.csv.gz`, which SwiftPM embeds in the code (no
    /// resource bundle is looked up at run time), with the same gzip reader and `CSVLoader` as
    /// `--data` files; later calls return the same samples.
    public static func digits() -> Dataset { builtInDigits }

    private static let builtInDigits: Dataset = {
        do {
            let csv = try Gzip.decompressedIfNeeded(Data(PackageResources.digits_csv_gz), maximumSize: 1 << 20,
                                                    file: "digits.csv.gz")
            let digits = try CSVLoader(label: .last, header: false, classification: true).parse(csv, name: "digits")
            precondition(digits.count == 1797 && digits.featureWidth == 64 && digits.classCount == 10,
                         "the built-in digits data is damaged")
            return digits.scaled(by: 16).withSampleShape([1, 8, 8])
        } catch {
            preconditionFailure("the built-in digits data is damaged: \(error)")
        }
    }()
}
