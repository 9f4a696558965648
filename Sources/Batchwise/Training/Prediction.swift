import Foundation

extension Trainer where Model == MLP {
    /// The network's outputs for every sample of `data`, row-major `count × outputWidth`
    /// (logits for cross-entropy), computed in parallel: worker w takes a contiguous w-th.
    public func outputs(on data: Dataset) throws -> [Float] {
        guard data.featureWidth == model.inputWidth else {
            throw ConfigurationError("\(data.name) has \(data.featureWidth) features per sample but the model takes \(model.inputWidth)")
        }
        let model = self.model, parameters = self.parameters, workspaces = Unchecked(value: self.workspaces)
        let workers = pool.count, capacity = rowsPerCall
        let fw = data.featureWidth, ow = model.outputWidth, n = data.count
        var result = [Float](repeating: 0, count: n * ow)
        result.withUnsafeMutableBufferPointer { out in
        data.features.withUnsafeBufferPointer { f in
        data.targets.withUnsafeBufferPointer { t in
            let output = Unchecked(value: out.baseAddress!), features = Unchecked(value: f.baseAddress!)
            let targets = Unchecked(value: t.baseAddress!)
            pool.run { context in
                let mine = ShardPlan(batchSize: n, workers: workers).shard(context.index)
                var position = mine.lowerBound
                while position < mine.upperBound {
                    let m = min(capacity, mine.upperBound - position)
                    model.outputs(parameters: parameters.pointer,
                                  samples: ShardSamples(inputs: features.value + position * fw, targets: targets.value, count: m),
                                  workspace: workspaces.value[context.index], into: output.value + position * ow)
                    position += m
                }
            }
        }
        }
        }
        return result
    }

    /// Class probabilities (softmax of the logits), row-major `count × classes`.
    public func probabilities(on data: Dataset) throws -> [Float] {
        var p = try outputs(on: data)
        let k = model.outputWidth
        for row in 0..<data.count {
            let z = p[(row * k)..<((row + 1) * k)]
            let m = z.max()!
            let e = z.map { Foundation.exp($0 - m) }
            let sum = e.reduce(0, +)
            for j in 0..<k { p[row * k + j] = e[j] / sum }
        }
        return p
    }
}
