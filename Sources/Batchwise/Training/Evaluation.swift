extension Trainer {
    /// Runs `body` on the workers for every chunk of `rowsPerCall` samples of `data` (the
    /// microshard grain in reproducible mode, so chunk boundaries do not depend on the thread
    /// count); worker w takes a contiguous run of chunks. `body` gets the worker, the chunk's
    /// index and its samples, read in place from `data`.
    func forEachChunk(of data: Dataset, _ body: @escaping @Sendable (_ worker: Int, _ chunk: Int, _ samples: ShardSamples) -> Void) {
        let workers = pool.count, rows = rowsPerCall
        let fw = data.featureWidth, tw = data.targetWidth, n = data.count
        data.features.withUnsafeBufferPointer { f in
        data.targets.withUnsafeBufferPointer { t in
            let features = Unchecked(value: f.baseAddress!), targets = Unchecked(value: t.baseAddress!)
            pool.run { context in
                let mine = ShardPlan(batchSize: n, workers: workers, grain: rows).shard(context.index)
                for start in stride(from: mine.lowerBound, to: mine.upperBound, by: rows) {
                    body(context.index, start / rows, ShardSamples(inputs: features.value + start * fw, targets: targets.value + start * tw,
                                                                  count: min(rows, mine.upperBound - start)))
                }
            }
        }
        }
    }

    /// Mean loss (and accuracy) of the current weights on `data`, evaluated in parallel in
    /// chunks whose sums are added in chunk order (see `forEachChunk`): the result depends on
    /// the thread count only in the default mode, never in reproducible mode.
    public func evaluate(on data: Dataset) throws -> Evaluation {
        try validate(data)
        let model = self.model, parameters = self.parameters, workspaces = Unchecked(value: self.workspaces)
        let n = data.count
        var sums = [ShardLoss](repeating: ShardLoss(), count: (n + rowsPerCall - 1) / rowsPerCall)
        sums.withUnsafeMutableBufferPointer { out in
            let out = Unchecked(value: out.baseAddress!)
            forEachChunk(of: data) { worker, chunk, samples in
                out.value[chunk] = parameters.withUnsafeBufferPointer {
                    model.evaluate(parameters: $0.baseAddress!, samples: samples, workspace: workspaces.value[worker])
                }
            }
        }
        var total = ShardLoss()
        for s in sums {
            total.lossSum += s.lossSum
            total.correct += s.correct
        }
        return Evaluation(samples: n, loss: total.lossSum / Double(n),
                          accuracy: data.classCount == nil ? nil : Double(total.correct) / Double(n))
    }
}
