/// Samples in memory: a row-major `count × featureWidth` feature matrix and a
/// `count × targetWidth` target matrix (a class index stored as a float, or regression values).
public struct Dataset: Sendable {
    /// A name for messages: the file path, or a description such as "digits (train)".
    public let name: String
    /// `count × featureWidth` features, row-major: sample i is `features[i * featureWidth ..< (i + 1) * featureWidth]`.
    public let features: [Float]
    /// `count × targetWidth` targets, row-major: class indices stored as floats, or regression values.
    public let targets: [Float]
    /// Features per sample (at least 1).
    public let featureWidth: Int
    /// Targets per sample (at least 1; exactly 1 for classification).
    public let targetWidth: Int
    /// The number of classes for a classification dataset (labels are 0..<classCount).
    public let classCount: Int?
    /// The name of each class, in class-number order, when the labels were names (a CSV label
    /// column of text); nil when classes are known only by number.
    public let classNames: [String]?
    /// The shape of one sample's features, outermost first, when the data has one beyond a
    /// flat row: 1 × H × W for IDX images of N × H × W, each sample's shape in an NPY file,
    /// 1 × 8 × 8 for the built-in digits; nil for flat data (CSV, synthetic). Its element
    /// count is `featureWidth`. See `inputShape(given:)`.
    public let sampleShape: TensorShape?

    /// The number of samples.
    public var count: Int { featureWidth == 0 ? 0 : features.count / featureWidth }

    /// Wraps the given matrices; traps if they disagree on the sample count, if a class label
    /// is not an integer in `0..<classCount`, if `classNames` does not name every class, or if
    /// `sampleShape` does not hold `featureWidth` values.
    public init(name: String, features: [Float], targets: [Float], featureWidth: Int, targetWidth: Int, classCount: Int?,
                classNames: [String]? = nil, sampleShape: TensorShape? = nil) {
        precondition(featureWidth >= 1 && targetWidth >= 1)
        precondition(features.count % featureWidth == 0 && targets.count == features.count / featureWidth * targetWidth,
                     "features and targets disagree on the sample count")
        if let classCount {
            precondition(targetWidth == 1 && targets.allSatisfy { $0 >= 0 && $0 < Float(classCount) && $0 == $0.rounded() },
                         "class labels must be integers in 0..<classCount")
        }
        precondition(classNames == nil || classNames?.count == classCount, "one name per class")
        self.name = name
        self.classNames = classNames
        self.features = features
        self.targets = targets
        self.featureWidth = featureWidth
        self.targetWidth = targetWidth
        self.classCount = classCount
        precondition(sampleShape.map { $0.count == featureWidth && $0.dimensions.allSatisfy { $0 >= 1 } } ?? true,
                     "the sample shape must hold featureWidth values")
        self.sampleShape = sampleShape
    }

    /// The same samples with each one's shape given as `sampleShape` (nil: flat); traps unless
    /// it holds `featureWidth` values.
    public func withSampleShape(_ sampleShape: TensorShape?) -> Dataset {
        Dataset(name: name, features: features, targets: targets, featureWidth: featureWidth, targetWidth: targetWidth,
                classCount: classCount, classNames: classNames, sampleShape: sampleShape)
    }

    /// The samples at `indices`, in that order.
    public func subset(_ indices: some Collection<Int>, name: String? = nil) -> Dataset {
        var f: [Float] = []
        var t: [Float] = []
        f.reserveCapacity(indices.count * featureWidth)
        t.reserveCapacity(indices.count * targetWidth)
        for i in indices {
            f.append(contentsOf: features[i * featureWidth ..< (i + 1) * featureWidth])
            t.append(contentsOf: targets[i * targetWidth ..< (i + 1) * targetWidth])
        }
        return Dataset(name: name ?? self.name, features: f, targets: t, featureWidth: featureWidth,
                       targetWidth: targetWidth, classCount: classCount, classNames: classNames, sampleShape: sampleShape)
    }

    /// A seeded random split: `testFraction` of the samples (rounded) go to the test set.
    /// The same (seed, count, fraction) always gives the same split.
    public func split(testFraction: Double, seed: UInt64) throws(ConfigurationError) -> (train: Dataset, test: Dataset) {
        guard testFraction.isFinite, testFraction > 0, testFraction < 1 else {
            throw ConfigurationError("the test fraction must be between 0 and 1 (got \(testFraction))")
        }
        let testCount = Int((Double(count) * testFraction).rounded())
        guard testCount >= 1, testCount < count else {
            throw ConfigurationError("\(name) has \(count) samples: too few to hold out \(testFraction) of them for testing")
        }
        var random = RandomStream(seed: seed, purpose: .split)
        var order = Array(0..<count)
        for i in stride(from: count - 1, to: 0, by: -1) { order.swapAt(i, Int(random.next(below: UInt32(i + 1)))) }
        return (subset(order[testCount...], name: name + " (train)"), subset(order[..<testCount], name: name + " (test)"))
    }

    /// Divides every feature by `divisor` (for pixel data such as the digits' 0…16).
    public func scaled(by divisor: Float) -> Dataset {
        Dataset(name: name, features: features.map { $0 / divisor }, targets: targets, featureWidth: featureWidth,
                targetWidth: targetWidth, classCount: classCount, classNames: classNames, sampleShape: sampleShape)
    }

    /// The same samples with `classes` classes (`--classes`): more than the labels show when
    /// other data has classes this data lacks. Class names, if any, must number `classes`.
    public func declaringClasses(_ classes: Int) throws(ConfigurationError) -> Dataset {
        guard let classCount else {
            throw ConfigurationError("\(parameter: "classCount") is for class labels; \(name) has numeric targets")
        }
        guard classes >= 2 else { throw ConfigurationError("\(parameter: "classCount") must be at least 2 (got \(classes))") }
        if let classNames, classNames.count != classes {
            throw ConfigurationError("\(name) names \(classNames.count) classes (\(classNames.prefix(10).joined(separator: ", "))) but \(parameter: "classCount") is \(classes); with class names the classes are the names found, so leave \(parameter: "classCount") out")
        }
        guard classCount <= classes else {
            throw ConfigurationError("\(name) has class \(classCount - 1), which is not below \(parameter: "classCount", value: String(classes)); classes are numbered 0…\(classes - 1)")
        }
        return Dataset(name: name, features: features, targets: targets, featureWidth: featureWidth,
                       targetWidth: targetWidth, classCount: classes, classNames: classNames, sampleShape: sampleShape)
    }

    /// The same features with other targets, `targetWidth` per sample (for target scaling).
    public func replacingTargets(_ targets: [Float]) -> Dataset {
        Dataset(name: name, features: features, targets: targets, featureWidth: featureWidth,
                targetWidth: targetWidth, classCount: classCount, classNames: classNames, sampleShape: sampleShape)
    }
}
