/// What one epoch of training measured, as the feedback types of BatchwiseReporting (`MetricsLog`,
/// `TrainingPlot`) see it: one row of the metrics log, one point of each curve of the plot.
///
/// Losses are mean per-sample losses; accuracies are shares in [0, 1] (not percentages).
/// Encoded (``jsonLine``, `Codable`) with snake_case keys in the order of the properties; a
/// value that is `nil` or not finite is written as `null`, and a `null` read back becomes `nil`
/// (optional values) or NaN (the train loss, the rate and the clock, which always exist).
public struct EpochRecord: Codable, Sendable, Equatable {
    /// The epoch just finished, counting from 1.
    public var epoch: Int
    /// Optimizer steps taken since training started (all epochs so far).
    public var step: Int
    /// The learning rate of the epoch's last step.
    public var learningRate: Double
    /// Samples per optimizer step in the epoch (the last, shorter batch aside).
    public var batchSize: Int
    /// Mean per-sample training loss over the epoch (weights changing as it goes).
    public var trainLoss: Double
    /// Share of training samples classified correctly during the epoch (classification only).
    public var trainAccuracy: Double?
    /// Mean per-sample loss of the end-of-epoch weights on the validation set, when one is given.
    public var validationLoss: Double?
    /// Share of validation samples classified correctly (classification with a validation set).
    public var validationAccuracy: Double?
    /// Training throughput of the epoch.
    public var samplesPerSecond: Double
    /// Seconds of wall-clock time from the start of training to the end of this epoch.
    public var wallSeconds: Double
    /// The gradient noise scale B_simple = tr(Σ)/|G|² estimated over the epoch, when measured.
    public var noiseScale: Double?
    /// Under `--batch-size auto`: r(s), the gain of the batch in use at the last decision
    /// (base-batch steps one step is worth).
    public var gain: Double?
    /// Under auto: E(B) = r(s)/s of the batch in use at the last decision.
    public var efficiency: Double?
    /// Under auto: the goodput the last decision predicted for the batch in use (base-batch
    /// samples of progress per second); nil when timing took no part (`--reproducible`).
    public var goodput: Double?

    /// A record with these values; see the properties for their units.
    public init(epoch: Int, step: Int, learningRate: Double, batchSize: Int, trainLoss: Double,
                trainAccuracy: Double? = nil, validationLoss: Double? = nil, validationAccuracy: Double? = nil,
                samplesPerSecond: Double, wallSeconds: Double, noiseScale: Double? = nil,
                gain: Double? = nil, efficiency: Double? = nil, goodput: Double? = nil) {
        self.epoch = epoch
        self.step = step
        self.learningRate = learningRate
        self.batchSize = batchSize
        self.trainLoss = trainLoss
        self.trainAccuracy = trainAccuracy
        self.validationLoss = validationLoss
        self.validationAccuracy = validationAccuracy
        self.samplesPerSecond = samplesPerSecond
        self.wallSeconds = wallSeconds
        self.noiseScale = noiseScale
        self.gain = gain
        self.efficiency = efficiency
        self.goodput = goodput
    }

    public enum CodingKeys: String, CodingKey, CaseIterable, Sendable {
        case epoch, step
        case learningRate = "learning_rate"
        case batchSize = "batch_size"
        case trainLoss = "train_loss"
        case trainAccuracy = "train_accuracy"
        case validationLoss = "validation_loss"
        case validationAccuracy = "validation_accuracy"
        case samplesPerSecond = "samples_per_second"
        case wallSeconds = "wall_seconds"
        case noiseScale = "noise_scale"
        case gain, efficiency, goodput
    }

    /// One encoded field: an integer, or a real number that is `nil` when absent or not finite.
    enum Field: Equatable {
        case integer(Int)
        case real(Double?)
    }

    /// Every field in key order, non-finite numbers already turned into `nil`; the one list both
    /// the `Codable` encoding and ``jsonLine`` write from.
    var fields: [(key: CodingKeys, value: Field)] {
        func real(_ value: Double?) -> Field { .real(value.flatMap { $0.isFinite ? $0 : nil }) }
        return [
            (.epoch, .integer(epoch)), (.step, .integer(step)),
            (.learningRate, real(learningRate)), (.batchSize, .integer(batchSize)),
            (.trainLoss, real(trainLoss)), (.trainAccuracy, real(trainAccuracy)),
            (.validationLoss, real(validationLoss)), (.validationAccuracy, real(validationAccuracy)),
            (.samplesPerSecond, real(samplesPerSecond)), (.wallSeconds, real(wallSeconds)),
            (.noiseScale, real(noiseScale)),
            (.gain, real(gain)), (.efficiency, real(efficiency)), (.goodput, real(goodput)),
        ]
    }

    /// The record as one line of JSON (no newline): every key present, in property order,
    /// `null` for absent and non-finite values, numbers in their shortest round-trip form.
    public var jsonLine: String {
        let members = fields.map { key, value -> String in
            let text: String
            switch value {
            case .integer(let n): text = String(n)
            case .real(let x?): text = x.description   // finite: "0.25", "1e-05" — valid JSON numbers
            case .real(nil): text = "null"
            }
            return "\"\(key.rawValue)\":\(text)"
        }
        return "{" + members.joined(separator: ",") + "}"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        for (key, value) in fields {
            switch value {
            case .integer(let n): try container.encode(n, forKey: key)
            case .real(let x?): try container.encode(x, forKey: key)
            case .real(nil): try container.encodeNil(forKey: key)
            }
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func real(_ key: CodingKeys) throws -> Double? { try c.decodeIfPresent(Double.self, forKey: key) }
        self.init(epoch: try c.decode(Int.self, forKey: .epoch), step: try c.decode(Int.self, forKey: .step),
                  learningRate: try real(.learningRate) ?? .nan, batchSize: try c.decode(Int.self, forKey: .batchSize),
                  trainLoss: try real(.trainLoss) ?? .nan, trainAccuracy: try real(.trainAccuracy),
                  validationLoss: try real(.validationLoss), validationAccuracy: try real(.validationAccuracy),
                  samplesPerSecond: try real(.samplesPerSecond) ?? .nan, wallSeconds: try real(.wallSeconds) ?? .nan,
                  noiseScale: try real(.noiseScale),
                  gain: try real(.gain), efficiency: try real(.efficiency), goodput: try real(.goodput))
    }
}
