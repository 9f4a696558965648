/// The data one job reads, pinned for the length of the job: the dataset's features and
/// targets and the epoch's sample order (`Trainer.runSteps` holds the arrays in scope).
struct JobData: @unchecked Sendable {
    let features: UnsafeBufferPointer<Float>
    let targets: UnsafeBufferPointer<Float>
    let order: UnsafeBufferPointer<Int32>
    let featureWidth: Int
    let targetWidth: Int
}

/// A worker's staging rows: the samples of one model call gathered into contiguous row-major
/// storage on the worker's NUMA node, sized once for the largest call.
final class StagingBuffer: @unchecked Sendable {
    private let inputs: FloatBuffer
    private let targets: FloatBuffer
    /// The most rows one gather may hold.
    let rows: Int

    init(rows: Int, inputWidth: Int, targetWidth: Int, topology: Topology, numaNode: Int?) {
        self.rows = rows
        inputs = FloatBuffer(count: rows * inputWidth, topology: topology, numaNode: numaNode)
        targets = FloatBuffer(count: rows * targetWidth, topology: topology, numaNode: numaNode)
    }

    /// Copies the samples at epoch positions `positions` (through `data.order`) into the
    /// staging rows, in order, and returns them as the model's input, keyed for random layers
    /// by (`seed`, `step`, the first position).
    @inline(__always)
    func gather(_ positions: Range<Int>, from data: JobData, seed: UInt64, step: Int) -> ShardSamples {
        precondition(positions.count <= rows, "gathering \(positions.count) rows into staging for \(rows)")
        let fw = data.featureWidth, tw = data.targetWidth
        let x = inputs.pointer, y = targets.pointer
        let features = data.features.baseAddress!, labels = data.targets.baseAddress!
        for (row, position) in positions.enumerated() {
            let sample = Int(data.order[position])
            (x + row * fw).update(from: features + sample * fw, count: fw)
            (y + row * tw).update(from: labels + sample * tw, count: tw)
        }
        return ShardSamples(inputs: x, targets: y, count: positions.count,
                            training: TrainingPosition(seed: seed, step: step, firstPosition: positions.lowerBound))
    }
}
