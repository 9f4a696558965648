import Batchwise

/// The metrics of a training run as a JSON Lines file: one JSON object per epoch, written and
/// handed to the kernel as the epoch ends, so `tail -f run.jsonl` follows the run and a crashed
/// run keeps every finished epoch.
///
/// Each line is `EpochRecord.jsonLine`: the keys `epoch`, `step`, `learning_rate`,
/// `batch_size`, `train_loss`, `train_accuracy`, `validation_loss`, `validation_accuracy`,
/// `samples_per_second`, `wall_seconds`, `noise_scale`, `gain`, `efficiency`, `goodput`,
/// always all of them and in that order (so every line has the same columns); a value that was
/// not measured, or is NaN or infinite, is written as `null` (the last three are measured only
/// under `--batch-size auto`).
///
/// ```swift
/// let log = try MetricsLog(path: "run.jsonl")          // or resuming: appending: true
/// try log.append(record)                                // once per epoch
/// ```
public final class MetricsLog {
    /// The file the records go to.
    public let path: String
    private let file: OutputFile

    /// Opens `path` for the run: created, or emptied if it exists; with `appending`, created or
    /// kept and written after (for a resumed run). A last line cut short by a crash is ended
    /// with a newline first, so the new records start lines of their own. A symbolic link is
    /// followed and a FIFO or device written as it is; `-` is standard output, and then
    /// everything else the process prints goes to standard error.
    /// - Throws: ``OutputFileError`` naming `path` when it cannot be opened or written.
    public init(path: String, appending: Bool = false) throws(OutputFileError) {
        self.path = path
        self.file = try OutputFile(path: path, mode: appending ? .append : .truncate)
        if appending && !file.endsWithNewline() { try file.write("\n") }
    }

    /// Writes `record` as one line, in one `write(2)`.
    /// - Throws: ``OutputFileError`` naming the path when the write fails (disk full, …).
    public func append(_ record: EpochRecord) throws(OutputFileError) {
        try file.write(record.jsonLine + "\n")
    }

    /// Closes the file, reporting an error the kernel could only give at close. Optional: the
    /// file is closed when the log is released.
    public func close() throws(OutputFileError) {
        try file.close()
    }
}
