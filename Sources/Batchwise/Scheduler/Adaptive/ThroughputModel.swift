import Foundation

/// Step time against batch size, fitted to the step times measured in this run:
///
///     t(B) = α + β · ⌈B / W⌉        (seconds per step; W workers across all processes)
///
/// α is what a step costs whatever its size (barriers, the all-reduce, the update), β the cost
/// of one sample in the largest shard. Each batch size keeps its most recent step times; the
/// fit is least squares over the batch sizes tried, each one point at its median step time, so
/// one size's many steps do not outweigh another's few and a stray slow step does not move
/// it. With one size tried, the model is AdaptDL's optimistic guess (Qiao et al. 2021): half
/// the step is fixed cost, so larger batches look worth trying and are measured in turn; so it
/// is, at the largest size tried, when the larger sizes measured no slower than the smaller.
///
/// Nothing here reads a clock: the times come in through `record`, and a checkpoint stores
/// them, so a resumed run decides from exactly what the stopped one had measured.
public struct ThroughputModel: Sendable, Equatable, Codable {
    /// Step times measured at one batch size.
    public struct Observation: Sendable, Equatable, Codable {
        /// The batch size.
        public let batchSize: Int
        /// Its most recent step times in seconds, oldest first (at most `ThroughputModel.kept`).
        public internal(set) var seconds: [Double]
    }

    /// Step times kept per batch size.
    public static let kept = 32

    /// W: workers per process × processes, the count a batch is cut into.
    public let workers: Int
    /// The batch sizes tried, ascending, with their times.
    public private(set) var observations: [Observation] = []

    /// A model with no measurements, for batches cut across `workers` workers in all.
    public init(workers: Int) {
        precondition(workers >= 1)
        self.workers = workers
    }

    /// Adds the step times of steps run at `batchSize` (non-finite or non-positive ones are
    /// left out).
    public mutating func record(batchSize: Int, stepSeconds: some Sequence<Double>) {
        let times = stepSeconds.filter { $0.isFinite && $0 > 0 }
        guard !times.isEmpty else { return }
        if let i = observations.firstIndex(where: { $0.batchSize == batchSize }) {
            observations[i].seconds = Array((observations[i].seconds + times).suffix(Self.kept))
        } else {
            observations.append(Observation(batchSize: batchSize, seconds: Array(times.suffix(Self.kept))))
            observations.sort { $0.batchSize < $1.batchSize }
        }
    }

    /// The median step time of each batch size tried, ascending by size.
    public var medians: [(batchSize: Int, seconds: Double)] {
        observations.map { o in
            let s = o.seconds.sorted()
            let m = s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
            return (o.batchSize, m)
        }
    }

    /// ⌈B / W⌉: the samples of the largest shard of a batch of `batchSize`.
    public func shardSize(_ batchSize: Int) -> Int { (batchSize + workers - 1) / workers }

    /// (α, β) fitted to `medians` (or to the medians given, such as ones averaged across the
    /// processes of a run so that every process decides alike); nil with no measurement.
    /// α and β are never negative: when the least-squares line would give a negative one,
    /// the fit is refitted with it at 0.
    public func fit(_ points: [(batchSize: Int, seconds: Double)]? = nil) -> (alpha: Double, beta: Double)? {
        let points = (points ?? medians).map { (x: Double(shardSize($0.batchSize)), y: $0.seconds) }
        guard let first = points.first else { return nil }
        let distinct = Set(points.map(\.x)).count
        if distinct == 1 {
            let t = points.map(\.y).reduce(0, +) / Double(points.count)
            return (t / 2, t / 2 / first.x)
        }
        let n = Double(points.count)
        let mx = points.map(\.x).reduce(0, +) / n, my = points.map(\.y).reduce(0, +) / n
        let sxy = points.map { ($0.x - mx) * ($0.y - my) }.reduce(0, +)
        let sxx = points.map { ($0.x - mx) * ($0.x - mx) }.reduce(0, +)
        var beta = sxy / sxx
        var alpha = my - beta * mx
        if beta <= 0 {
            // Larger shards measured no slower (within the timing noise, as on a shared host):
            // the optimistic guess of one size, at the largest size measured. Taking the time
            // as all fixed cost instead would predict throughput growing without bound, and
            // send the next decision to the largest batch allowed on two close measurements.
            let largest = points.max { $0.x < $1.x }!.x
            let times = points.filter { $0.x == largest }.map(\.y)
            let t = times.reduce(0, +) / Double(times.count)
            return (t / 2, t / 2 / largest)
        }
        if alpha < 0 {
            // Through the origin: β = Σxy / Σx².
            alpha = 0
            beta = points.map { $0.x * $0.y }.reduce(0, +) / points.map { $0.x * $0.x }.reduce(0, +)
        }
        return (alpha, beta)
    }

    /// Predicted samples per second at `batchSize` under the fit (α, β), or nil when the
    /// predicted step time is not positive.
    public func samplesPerSecond(batchSize: Int, fit: (alpha: Double, beta: Double)) -> Double? {
        let t = fit.alpha + fit.beta * Double(shardSize(batchSize))
        return t > 0 ? Double(batchSize) / t : nil
    }
}
