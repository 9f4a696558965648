import Foundation

/// The batch size for each epoch: a starting size and sizes that take over at given epochs
/// (Smith et al. 2017, "Don't decay the learning rate, increase the batch size").
///
/// Written `64,256@5,1024@10`: 64 from epoch 1, 256 from epoch 5, 1024 from epoch 10.
public struct BatchSizeSchedule: Sendable, Equatable, Codable, CustomStringConvertible {
    /// One size and the epoch it takes over at (`256@5`).
    public struct Entry: Sendable, Equatable, Codable {
        /// The first epoch (1-based) that uses `batchSize`.
        public let epoch: Int
        /// Samples per batch from `epoch` on (at least 1).
        public let batchSize: Int
    }

    /// Entries by ascending epoch; the first is always at epoch 1.
    public let entries: [Entry]

    /// A constant batch size.
    public init(constant batchSize: Int) throws(ConfigurationError) {
        try self.init(entries: [Entry(epoch: 1, batchSize: batchSize)])
    }

    /// Checks the entries: the first at epoch 1, epochs strictly increasing, every size at least 1.
    public init(entries: [Entry]) throws(ConfigurationError) {
        guard let first = entries.first, first.epoch == 1 else {
            throw ConfigurationError("a batch-size schedule starts with the size for epoch 1, such as 64,256@5")
        }
        for e in entries where e.batchSize < 1 {
            throw ConfigurationError("batch size must be at least 1 (got \(e.batchSize))")
        }
        for (a, b) in zip(entries, entries.dropFirst()) where b.epoch <= a.epoch {
            throw ConfigurationError("batch-size schedule epochs must increase (\(a.epoch) then \(b.epoch))")
        }
        self.entries = entries
    }

    /// Parses `64` or `64,256@5,1024@10`.
    public init(parsing text: String) throws(ConfigurationError) {
        var entries: [Entry] = []
        for (i, part) in text.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            let pieces = part.split(separator: "@", omittingEmptySubsequences: false)
            let size = Int(pieces[0].trimmingCharacters(in: .whitespaces))
            let epoch = pieces.count == 2 ? Int(pieces[1].trimmingCharacters(in: .whitespaces)) : (i == 0 ? 1 : nil)
            guard let size, let epoch, pieces.count <= 2 else {
                throw ConfigurationError("batch size '\(text)' is not a size or a schedule such as 64,256@5,1024@10 (size@epoch)")
            }
            entries.append(Entry(epoch: epoch, batchSize: size))
        }
        try self.init(entries: entries)
    }

    /// The batch size in `epoch` (1-based).
    public func batchSize(epoch: Int) -> Int {
        entries.last { $0.epoch <= epoch }?.batchSize ?? entries[0].batchSize
    }

    /// The largest size the schedule ever uses (buffers are sized for it).
    public var maxBatchSize: Int { entries.map(\.batchSize).max()! }

    public var description: String {
        entries.enumerated().map { $0.offset == 0 ? "\($0.element.batchSize)" : "\($0.element.batchSize)@\($0.element.epoch)" }
            .joined(separator: ",")
    }
}
