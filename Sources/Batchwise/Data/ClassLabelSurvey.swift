/// What a classification dataset's class numbers look like, to catch a task guessed wrong
/// before any training: numbers that are a regression target rather than classes, or a model
/// whose output is wider than the classes seen.
public struct ClassLabelSurvey: Sendable, Equatable {
    /// Samples.
    public let count: Int
    /// The smallest and largest class number.
    public let minimum: Int, maximum: Int
    /// How many different class numbers occur.
    public let distinct: Int

    /// Surveys `data`'s class labels; nil for numeric targets or an empty set.
    public init?(_ data: Dataset) {
        guard data.classCount != nil, !data.targets.isEmpty else { return nil }
        count = data.count
        var seen = Set<Int>()
        var lo = Int.max, hi = Int.min
        for t in data.targets {
            let k = Int(t)
            seen.insert(k)
            lo = min(lo, k)
            hi = max(hi, k)
        }
        minimum = lo
        maximum = hi
        distinct = seen.count
    }

    /// More than 100 values, or 20 or more with fewer than 4 samples each on average: more
    /// like measurements than classes.
    public var hasManyValues: Bool { distinct > 100 || (distinct >= 20 && count < 4 * distinct) }

    /// Why these labels look like something other than the classes of a model with
    /// `outputWidth` outputs (nil: not chosen yet), as advice naming the parameters that fix
    /// it; empty when nothing looks wrong. The first reason is the strongest.
    public func doubts(outputWidth: Int?) -> [ErrorText] {
        var doubts: [ErrorText] = []
        if hasManyValues {
            doubts.append("the class labels take \(distinct) different values over \(count) samples (\(minimum)…\(maximum)), more like a numeric target than classes: if they are values to predict, use \(parameter: "loss", value: "mse") or l1 (with \(parameter: "normalizeTargets")); if they are classes, give \(parameter: "classCount", value: String(maximum + 1))")
        } else if minimum > 0 {
            doubts.append("the class labels run from \(minimum) to \(maximum), so class 0 never occurs: if they are classes, relabel them 0…\(maximum - minimum) (or give \(parameter: "classCount", value: String(maximum + 1)) to keep the unused numbers); if they are values to predict, use \(parameter: "loss", value: "mse") or l1")
        } else if distinct < maximum + 1 {
            doubts.append("the class labels span 0…\(maximum) but only \(distinct) of those \(maximum + 1) numbers occur: if they are classes, relabel them 0…\(distinct - 1) (or give \(parameter: "classCount", value: String(maximum + 1)) to keep the unused numbers); if they are values to predict, use \(parameter: "loss", value: "mse") or l1")
        }
        if let outputWidth, outputWidth > maximum + 1 {
            doubts.append("the output layer has \(outputWidth) classes but the labels have only \(maximum + 1) (0…\(maximum)), so \(outputWidth - maximum - 1) output(s) can never be right: make the last \(parameter: "widths") entry \(maximum + 1), or give \(parameter: "classCount", value: String(outputWidth)) if other data has the classes this data lacks")
        }
        return doubts
    }
}
