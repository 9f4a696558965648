extension Dataset {
    /// The UCI optical handwritten digits shipped inside Batchwise: 1,797 images of 8×8 pixels
    /// (64 features in 0…16, scaled here to 0…1), 10 classes. Credit: E. Alpaydin and
    /// C. Kaynak, UCI Machine Learning Repository, CC BY 4.0 (copied from scikit-learn).
    public static func digits() -> Dataset {
        var features: [Float] = []
        var labels: [Float] = []
        features.reserveCapacity(1797 * 64)
        labels.reserveCapacity(1797)
        let a = UInt8(ascii: "a"), zero = UInt8(ascii: "0")
        for line in digitsEncoded.utf8.split(separator: UInt8(ascii: "\n")) {
            let bytes = Array(line)
            precondition(bytes.count == 65, "the built-in digits data is damaged")
            for b in bytes[0..<64] { features.append(Float(b - a) / 16) }
            labels.append(Float(bytes[64] - zero))
        }
        return Dataset(name: "digits", features: features, targets: labels, featureWidth: 64, targetWidth: 1, classCount: 10)
    }
}
