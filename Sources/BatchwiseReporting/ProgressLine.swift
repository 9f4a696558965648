import Foundation

/// The live line shown while an epoch runs, as plain text that fits a terminal width:
///
///     epoch 3/30 [██████████░░░░░░░░░░] 45/90  61,234 samples/s  loss 0.2345  ETA 0:03
///
/// A pure formatter (``ProgressBar`` draws it). The ETA is the time left in this epoch at the
/// rate so far: elapsed × (batches left) / (batches done), as m:ss, or h:mm:ss from one hour.
/// When the width is too small, parts are left out in this order: the rate, the loss, the
/// batch count, then the bar; what still does not fit is cut at the width.
public struct ProgressLine: Sendable, Equatable {
    /// The epoch running, from 1.
    public var epoch: Int
    /// How many epochs the run has.
    public var epochs: Int
    /// Batches finished in this epoch.
    public var batch: Int
    /// How many batches the epoch has.
    public var batches: Int
    /// Training throughput so far in this epoch, in samples per second.
    public var samplesPerSecond: Double
    /// Mean per-sample loss over the batches finished so far.
    public var loss: Double
    /// Seconds since the epoch started.
    public var elapsedSeconds: Double

    /// A line with these values; see the properties for their units.
    public init(epoch: Int, epochs: Int, batch: Int, batches: Int, samplesPerSecond: Double, loss: Double,
                elapsedSeconds: Double) {
        self.epoch = epoch
        self.epochs = epochs
        self.batch = batch
        self.batches = batches
        self.samplesPerSecond = samplesPerSecond
        self.loss = loss
        self.elapsedSeconds = elapsedSeconds
    }

    /// The bar is at least this many cells wide where it is shown at all, and at most `maxBar`.
    static let minBar = 10, maxBar = 30

    /// The line, at most `width` characters (one terminal cell each). O(width).
    public func text(width: Int) -> String {
        let head = "epoch \(epoch)/\(epochs)"
        let count = "\(batch)/\(batches)"
        let rate = "\(Self.grouped(Int(samplesPerSecond.isFinite ? samplesPerSecond.rounded() : 0))) samples/s"
        let lossText = "loss \(loss.isFinite ? String(format: "%.4f", loss) : "nan")"
        let eta = "ETA \(etaSeconds.map(Self.clock) ?? "--:--")"
        // From the fullest layout down; the first that fits wins.
        let layouts: [(bar: Bool, parts: [String])] = [
            (true, [count, rate, lossText, eta]), (true, [count, lossText, eta]), (true, [count, eta]),
            (false, [count, lossText, eta]), (false, [count, eta]), (false, [eta]), (false, []),
        ]
        for layout in layouts {
            let rest = layout.parts.joined(separator: "  ")
            let line: String
            if layout.bar {
                // "head [bar] rest": the bar takes the room the text leaves, within its limits.
                let room = width - head.count - rest.count - 4
                guard room >= Self.minBar else { continue }
                line = "\(head) [\(bar(cells: min(room, Self.maxBar)))] \(rest)"
            } else {
                line = rest.isEmpty ? head : "\(head)  \(rest)"
            }
            if line.count <= width { return line }
        }
        return String(head.prefix(max(width, 0)))
    }

    /// Seconds left in the epoch at the rate so far; nil before the first batch.
    public var etaSeconds: Double? {
        guard batch > 0, batches >= batch, elapsedSeconds.isFinite, elapsedSeconds >= 0 else { return nil }
        return elapsedSeconds * Double(batches - batch) / Double(batch)
    }

    /// `cells` cells, the first batch/batches of them full.
    func bar(cells: Int) -> String {
        let share = batches > 0 ? min(max(Double(batch) / Double(batches), 0), 1) : 0
        let full = Int((share * Double(cells)).rounded(.down))
        return String(repeating: "█", count: full) + String(repeating: "░", count: cells - full)
    }

    /// "0:03", "12:45", "1:02:03" (rounded up, so it reaches 0:00 only when done).
    package static func clock(_ seconds: Double) -> String {
        let total = Int(min(seconds, 360_000_000).rounded(.up))
        let (h, m, s) = (total / 3600, total / 60 % 60, total % 60)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return h > 0 ? "\(h):\(two(m)):\(two(s))" : "\(m):\(two(s))"
    }

    /// 61234 → "61,234".
    package static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return n < 0 ? "-" + out : out
    }
}
