/// What to do with the samples left over when the batch size does not divide the epoch.
public enum LastBatchPolicy: String, Sendable, Codable, CaseIterable {
    /// Train on them as a shorter last batch, averaged over its own count.
    case keep
    /// Leave them out of this epoch (the next shuffle gives them another chance).
    case drop
}

/// One epoch, planned: the order of the samples and how it is cut into batches.
public struct EpochPlan: Sendable {
    /// A plan from its parts; traps unless `steps` batches of `batchSize` cover `order` exactly
    /// (the last one possibly short).
    public init(epoch: Int, order: [Int32], batchSize: Int, steps: Int) {
        self.init(epoch: epoch, order: order, batchSize: batchSize, steps: steps, firstPosition: 0)
    }

    /// A plan of the part of an epoch from `firstPosition` of `order` on, in batches of
    /// `batchSize`: what `--batch-size auto` trains after it changes the batch mid-epoch.
    /// Traps unless `steps` batches cover `order[firstPosition...]` exactly.
    public init(epoch: Int, order: [Int32], batchSize: Int, steps: Int, firstPosition: Int) {
        precondition(batchSize >= 1 && firstPosition >= 0 && firstPosition <= order.count
                     && steps == (order.count - firstPosition + batchSize - 1) / batchSize, "steps must cover the order exactly")
        self.epoch = epoch
        self.order = order
        self.batchSize = batchSize
        self.steps = steps
        self.firstPosition = firstPosition
    }

    /// The epoch, 1-based.
    public let epoch: Int
    /// Sample indices in visiting order (a permutation of the training set).
    public let order: [Int32]
    /// Samples per batch; the last batch may be shorter.
    public let batchSize: Int
    /// Optimizer steps in the plan (the whole epoch unless `firstPosition` > 0).
    public let steps: Int
    /// The position in `order` of the plan's first batch (0: the epoch's start).
    public let firstPosition: Int

    /// The positions in `order` that batch `step` of the plan covers (step 0 starts at
    /// `firstPosition`), in the epoch's positions: what keys dropout's draws.
    public func batch(_ step: Int) -> Range<Int> {
        firstPosition + step * batchSize ..< min(firstPosition + (step + 1) * batchSize, order.count)
    }
}

/// Epochs, shuffling and batch sizes: everything about *which samples* each step sees.
///
/// Depends only on (sample count, seed, schedule, policy), so any epoch's plan can be
/// recomputed alone — resuming needs only (epoch, step within the epoch).
public struct EpochScheduler: Sendable, Equatable, Codable {
    /// Samples in the training set.
    public let sampleCount: Int
    /// The seed of every epoch's shuffle.
    public let seed: UInt64
    /// The batch size of each epoch, before capping at `sampleCount`.
    public let batchSizes: BatchSizeSchedule
    /// What happens to a short last batch.
    public let lastBatch: LastBatchPolicy

    /// Checks that the training set is not empty and that `.drop` leaves every epoch at least
    /// one step.
    public init(sampleCount: Int, seed: UInt64, batchSizes: BatchSizeSchedule, lastBatch: LastBatchPolicy = .keep) throws(ConfigurationError) {
        guard sampleCount >= 1 else { throw ConfigurationError("the training set is empty") }
        if lastBatch == .drop, let e = batchSizes.entries.first(where: { $0.batchSize > sampleCount }) {
            throw ConfigurationError("batch size \(e.batchSize) is larger than the \(sampleCount) training samples, so \(parameter: "lastBatch", value: "drop") would leave no step; use a smaller batch or \(parameter: "lastBatch", value: "keep")")
        }
        self.sampleCount = sampleCount
        self.seed = seed
        self.batchSizes = batchSizes
        self.lastBatch = lastBatch
    }

    /// The batch size of `epoch`, never more than the training set.
    public func batchSize(epoch: Int) -> Int { min(batchSizes.batchSize(epoch: epoch), sampleCount) }

    /// Steps in `epoch`.
    public func steps(epoch: Int) -> Int {
        let b = batchSize(epoch: epoch)
        return lastBatch == .keep ? (sampleCount + b - 1) / b : sampleCount / b
    }

    /// The plan of `epoch` (1-based).
    public func plan(epoch: Int) -> EpochPlan {
        let b = batchSize(epoch: epoch)
        let steps = self.steps(epoch: epoch)
        var order = EpochPermutation.indices(count: sampleCount, seed: seed, epoch: epoch)
        if lastBatch == .drop { order.removeLast(sampleCount - steps * b) }
        return EpochPlan(epoch: epoch, order: order, batchSize: b, steps: steps)
    }

    /// The plan of the rest of `epoch` from position `position` of its order, in batches of
    /// `batchSize` (capped at `sampleCount`): under `.drop`, the samples that do not fill a last
    /// batch are left out of the plan.
    public func plan(epoch: Int, from position: Int, batchSize: Int) -> EpochPlan {
        let b = min(max(batchSize, 1), sampleCount)
        var order = EpochPermutation.indices(count: sampleCount, seed: seed, epoch: epoch)
        let start = min(position, order.count)
        if lastBatch == .drop { order.removeLast((order.count - start) % b) }
        return EpochPlan(epoch: epoch, order: order, batchSize: b, steps: (order.count - start + b - 1) / b, firstPosition: start)
    }

    /// The largest batch any epoch uses.
    public var maxBatchSize: Int { min(batchSizes.maxBatchSize, sampleCount) }
}
