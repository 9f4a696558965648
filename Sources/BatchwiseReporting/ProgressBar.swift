#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Draws a ``ProgressLine`` while an epoch runs and ends the epoch with its summary line.
///
/// On a terminal each redraw is `"\r" + line + "\u{1B}[K"` (back to column 0, the line, clear
/// to the end of the line), at most one per ``minimumInterval`` of the clock however often
/// ``update(batch:samples:loss:)`` is called; ``endEpoch(summary:)`` overwrites the live line
/// with the summary and a newline. When the stream is not a terminal (a file, a pipe, CI) or the
/// bar is `quiet`, nothing is written during the epoch and only the summary lines appear, as in
/// a log. Use from one thread.
///
/// ```swift
/// let bar = ProgressBar(epochs: 30)
/// bar.beginEpoch(1, batches: 45)
/// bar.update(batch: 1, samples: 32, loss: 2.3)     // after every step (or update(ProgressLine))
/// bar.endEpoch(summary: "epoch 1/30  train loss 0.4120 …")
/// ```
public final class ProgressBar {
    /// The shortest time between two redraws, in seconds of the bar's clock (the `clock` of
    /// ``init(epochs:live:columns:clock:output:)``): ~10 redraws a second.
    public static let minimumInterval = 0.1

    /// How many epochs the run has: the `N` of `epoch n/N`.
    public let epochs: Int
    /// Whether the live line is drawn at all (a terminal, not quiet).
    public let isLive: Bool
    private let columns: () -> Int
    private let clock: () -> Double
    private let output: (String) -> Void

    private var epoch = 0
    private var batches = 0
    private var epochStart = 0.0
    private var lastDraw = -Double.infinity
    private var drawn = false

    /// A bar on `stream`, live when the stream is a terminal and not `quiet`, as wide as the
    /// terminal (re-read at each redraw, so resizing works) less one column, so the cursor never
    /// wraps to the next line.
    public convenience init(epochs: Int, stream: TerminalStream = .standardOutput, quiet: Bool = false) {
        self.init(epochs: epochs, live: !quiet && stream.isTerminal, columns: { stream.columns - 1 },
                  clock: ProgressBar.monotonicSeconds, output: stream.write)
    }

    /// A bar with every outside dependency given: whether to draw live, the width to fit, the
    /// clock (seconds, any origin, never going back) and where the text goes. For tests and for
    /// programs that show progress elsewhere.
    public init(epochs: Int, live: Bool, columns: @escaping () -> Int, clock: @escaping () -> Double,
                output: @escaping (String) -> Void) {
        self.epochs = epochs
        self.isLive = live
        self.columns = columns
        self.clock = clock
        self.output = output
    }

    /// Starts the clock of epoch `epoch` (from 1), which has `batches` batches.
    public func beginEpoch(_ epoch: Int, batches: Int) {
        self.epoch = epoch
        self.batches = batches
        epochStart = clock()
        lastDraw = -.infinity
    }

    /// Reports that `batch` batches of the epoch are done, `samples` samples in all, with mean
    /// loss `loss` so far; the rate and the ETA come from the time since ``beginEpoch(_:batches:)``.
    /// Redraws when the last redraw is at least ``minimumInterval`` old; O(1) when it does not.
    public func update(batch: Int, samples: Int, loss: Double) {
        guard isLive else { return }
        let elapsed = max(clock() - epochStart, 0)
        update(ProgressLine(epoch: epoch, epochs: epochs, batch: batch, batches: batches,
                            samplesPerSecond: elapsed > 0 ? Double(samples) / elapsed : 0, loss: loss,
                            elapsedSeconds: elapsed))
    }

    /// Draws `line` as it is (for a caller that measures the rate and the time itself), under
    /// the same throttle.
    public func update(_ line: ProgressLine) {
        guard isLive else { return }
        let now = clock()
        guard now - lastDraw >= Self.minimumInterval else { return }
        lastDraw = now
        output("\r" + line.text(width: max(columns(), 1)) + "\u{1B}[K")
        drawn = true
    }

    /// Ends the epoch: `summary` replaces the live line (if one was drawn) and a newline follows.
    public func endEpoch(summary: String) {
        output(drawn ? "\r" + summary + "\u{1B}[K\n" : summary + "\n")
        drawn = false
    }

    /// Seconds on the monotonic clock. Wraps `clock_gettime(CLOCK_MONOTONIC)`.
    public static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9
    }
}
