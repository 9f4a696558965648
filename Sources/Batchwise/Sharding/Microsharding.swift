/// How reproducible mode cuts a batch into microshards: boundaries that depend only on the
/// batch size, never on the thread count.
public enum Microsharding: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Every batch in this many microshards of ⌈B / count⌉ samples (the last one shorter).
    case perBatch(Int)
    /// Microshards of this many samples.
    case size(Int)

    /// The default: four microshards per batch. Measured on the large MLP at batch 512,
    /// microshards of 128 samples cost 7–11 % against the default mode, 64 cost 22–25 %, 32
    /// cost about 40 % (smaller matrix products, one gradient buffer each); four also leave two
    /// threads busy on batches as small as 2. A batch uses at most four threads then: give
    /// `size(B / threads)` on machines with more cores.
    public static let standard = Microsharding.perBatch(4)

    /// `value`, checked: at least 1 microshard per batch, or at least 1 sample per microshard.
    public init(validating value: Microsharding) throws(ConfigurationError) {
        switch value {
        case .perBatch(let n) where n < 1: throw ConfigurationError("a batch needs at least 1 microshard (got \(n))")
        case .size(let n) where n < 1: throw ConfigurationError("\(parameter: "grain") must be at least 1 sample (got \(n))")
        default: self = value
        }
    }

    /// Samples per microshard for a batch of `batchSize`.
    public func grain(forBatch batchSize: Int) -> Int {
        switch self {
        case .perBatch(let count): max(1, batchSize / count + (batchSize % count > 0 ? 1 : 0))
        case .size(let size): size
        }
    }

    /// The most microshards any batch of at most `maxBatchSize` samples has.
    public func maxMicroshards(maxBatchSize: Int) -> Int {
        switch self {
        case .perBatch(let count): min(count, maxBatchSize)
        case .size(let size): maxBatchSize / size + (maxBatchSize % size > 0 ? 1 : 0)
        }
    }

    public var description: String {
        switch self {
        case .perBatch(let count): "\(count) microshards per batch"
        case .size(let size): "microshards of \(size) samples"
        }
    }
}
