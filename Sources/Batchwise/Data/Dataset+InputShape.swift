extension Dataset {
    /// The shape a model takes each sample of this data as: `inputShape` when given, else the
    /// sample's own shape (`sampleShape`), else flat.
    ///
    /// - IDX images of N × H × W are 1 × H × W per sample; other IDX arrays and NPY arrays keep
    ///   their per-sample shape (N × C × L gives C × L, N × C × H × W gives C × H × W);
    /// - CSV and synthetic data are flat: `[featureWidth]`. A flat input of L features is
    ///   1 × L to a 1-D convolution or pooling; a 2-D one needs `inputShape` (such as
    ///   [1, 28, 28] for 784 pixels) or a `Reshape` in front of it.
    ///
    /// `inputShape` may give any data a new shape of the same size, as a `Reshape` layer may
    /// anywhere in a model.
    ///
    /// - Throws: `ConfigurationError` when `inputShape` has a size below 1 or does not hold
    ///   `featureWidth` values.
    public func inputShape(given inputShape: TensorShape? = nil) throws(ConfigurationError) -> TensorShape {
        guard let given = inputShape else { return sampleShape ?? [featureWidth] }
        guard given.rank >= 1 && given.dimensions.allSatisfy({ $0 >= 1 }) else {
            throw ConfigurationError("\(parameter: "inputShape") must be one or more sizes of at least 1, such as 1,28,28 (got \(given.dimensions.map(String.init).joined(separator: ",")))")
        }
        guard given.count == featureWidth else {
            let own = sampleShape.map { " (\($0))" } ?? ""
            throw ConfigurationError("\(parameter: "inputShape") \(given) holds \(given.count) values per sample but \(name) has \(featureWidth) features per sample\(own)")
        }
        return given
    }
}
