import ArgumentParser
import Batchwise
import Foundation

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train an MLP; with no flags, on the built-in handwritten digits.",
        discussion: """
            Each step takes a batch of --batch-size samples, splits it across the worker threads, \
            averages the gradient over the whole batch and takes one optimizer step with it: \
            bigger batches give smoother gradients and more samples/s, but fewer steps per epoch.

            Data: a CSV of numbers, one sample per row, with the class label in the last column \
            (or the one named by --label). Without --test, a seeded 20 % of --data is held out.
            """)

    @Option(help: "Training data (CSV). Default: the built-in 8×8 digits (1,797 samples, 10 classes).")
    var data: String?

    @Option(help: "Test data (CSV, same columns as --data). Default: a seeded hold-out of --data.")
    var test: String?

    @Option(help: "Train on a seeded synthetic classification task of this many samples, shaped by --layers (for benchmarks).")
    var synthetic: Int?

    @Option(help: "The label column of the CSV: a header name or a 0-based column number (default: the last).")
    var label: String?

    @Option(help: "Layer widths from input to output, such as 64,128,10 (default: input,128,classes).")
    var layers: String?

    @Option(help: "Activation between layers: relu, tanh or sigmoid.")
    var activation: String = "relu"

    @Option(help: "Loss: cross-entropy (class labels), mse or l1 (numeric targets).")
    var loss: String = "cross-entropy"

    @Option(help: "Samples per optimizer step: the gradient is averaged over the batch and one step is taken.")
    var batchSize: Int = 32

    @OptionGroup var placement: PlacementOptions

    @Option(help: "Passes over the training data.")
    var epochs: Int = 30

    @Option(parsing: .unconditional, help: "Learning rate (step size) of SGD.")
    var lr: Float = 0.05

    @Option(parsing: .unconditional, help: "SGD momentum in [0, 1).")
    var momentum: Float = 0.9

    @Flag(help: "Use Nesterov momentum.")
    var nesterov = false

    @Option(parsing: .unconditional, help: "L2 weight decay added to the gradient.")
    var weightDecay: Float = 0

    @Option(help: "Seed for initialisation, the test split and shuffling: same seed and threads ⇒ identical weights.")
    var seed: UInt64 = 1

    @Flag(help: "Also print, per epoch, how the workers' time split between computing, waiting at barriers and the all-reduce.")
    var timing = false

    func run() throws {
        guard batchSize >= 1 else { throw ConfigurationError("--batch-size must be at least 1 (got \(batchSize))") }
        guard epochs >= 1 else { throw ConfigurationError("--epochs must be at least 1 (got \(epochs))") }
        guard lr.isFinite && lr > 0 else { throw ConfigurationError("--lr must be a finite number above 0 (got \(lr))") }
        let activation = try Activation(parsing: self.activation)
        let loss = try Loss(parsing: self.loss)
        let optimizer = try SGD(momentum: momentum, nesterov: nesterov, weightDecay: weightDecay)
        let topology = try Topology()
        let plan = try placement.plan(on: topology)
        let (train, test) = try loadData(classification: loss.isClassification)
        let widths = try layerWidths(train: train, loss: loss)
        let model = try MLP(widths: widths, activation: activation, loss: loss)
        let trainer = try Trainer(model: model, optimizer: optimizer, topology: topology, plan: plan,
                                  maxBatchSize: min(batchSize, train.count), seed: seed)
        try trainer.validate(train)
        try trainer.validate(test)

        print("data: \(train.name), \(train.count) training and \(test.count) test samples, \(train.featureWidth) features")
        print("model: \(widths.map(String.init).joined(separator: "-")) \(activation.rawValue), \(loss.rawValue), \(model.layout.trainableCount) parameters")
        print("training: batch \(batchSize), lr \(lr), momentum \(momentum)\(nesterov ? " (Nesterov)" : ""), \(plan.workerCount) thread(s) \(plan.placement) on PU \(plan.units.map { String($0.osIndex) }.joined(separator: ",")), seed \(seed), BLAS \(Gemm.backendName)")
        fflush(nil)
        var totalSeconds = 0.0
        let summaries = try trainer.fit(train: train, test: test, epochs: epochs, batchSize: min(batchSize, train.count), learningRate: lr, seed: seed) { s in
            totalSeconds += s.report.seconds
            var line = "epoch \(s.report.epoch)/\(epochs)  train loss \(format(s.report.trainLoss, 4))"
            if let t = s.test {
                line += "  test loss \(format(t.loss, 4))"
                if let a = t.accuracy { line += "  test acc \(format(a * 100, 2))%" }
            }
            line += "  \(Int(s.report.samplesPerSecond.rounded())) samples/s"
            if timing {
                let p = s.report.phases, total = max(p.compute + p.barrier + p.allReduce, 1e-12)
                line += "  [compute \(format(100 * p.compute / total, 0))%, barrier \(format(100 * p.barrier / total, 0))%, all-reduce \(format(100 * p.allReduce / total, 0))%]"
            }
            print(line)
            fflush(nil)
        }
        let last = summaries.last!
        var done = "done: \(epochs) epoch(s), \(trainer.step) steps in \(format(totalSeconds, 2)) s training time"
        if let a = last.test?.accuracy { done += ", test accuracy \(format(a * 100, 2))%" }
        print(done)
        print("weights sha256: \(trainer.weightsDigest())")
    }

    private func loadData(classification: Bool) throws -> (Dataset, Dataset) {
        let labelColumn = label.map(CSVLoader.LabelColumn.init(parsing:)) ?? .last
        let loader = CSVLoader(label: labelColumn, classification: classification)
        let all: Dataset
        if let synthetic {
            guard data == nil else { throw ConfigurationError("give either --data or --synthetic, not both") }
            guard synthetic >= 2 && synthetic <= 100_000_000 else {
                throw ConfigurationError("--synthetic must be between 2 and 100000000 samples (got \(synthetic))")
            }
            guard classification else { throw ConfigurationError("--synthetic makes a classification task; use --loss cross-entropy") }
            guard let widths = try layers.map(parseWidths), widths.count >= 2, widths.allSatisfy({ $0 >= 1 }), widths.last! >= 2 else {
                throw ConfigurationError("--synthetic needs --layers with the input width first and at least 2 classes last, such as 784,1024,1024,10")
            }
            all = Dataset.synthetic(samples: synthetic, features: widths[0], classes: widths.last!, seed: seed)
        } else if let data {
            all = try loader.load(path: data)
        } else {
            if test != nil { throw ConfigurationError("--test needs --data: the built-in digits come with their own hold-out") }
            if !classification { throw ConfigurationError("the built-in digits are a classification task; use --loss cross-entropy or give --data") }
            all = Dataset.digits()
        }
        if let test {
            let testSet = try loader.load(path: test)
            guard testSet.featureWidth == all.featureWidth else {
                throw ConfigurationError("\(test) has \(testSet.featureWidth) feature columns but \(all.name) has \(all.featureWidth); both files need the same columns")
            }
            return (all, testSet)
        }
        return try all.split(testFraction: 0.2, seed: seed)
    }

    private func layerWidths(train: Dataset, loss: Loss) throws -> [Int] {
        let outputs = loss.isClassification ? max(2, train.classCount ?? 2) : train.targetWidth
        guard let layers else { return [train.featureWidth, 128, outputs] }
        return try parseWidths(layers)
    }

    private func parseWidths(_ text: String) throws -> [Int] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        let widths = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard widths.count == parts.count, widths.count >= 2 else {
            throw ConfigurationError("--layers '\(text)' is not a list of at least two widths, input first, such as 64,128,10")
        }
        return widths
    }

    private func format(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }
}
