import Batchwise
import Foundation

/// The line said before data loading or generation that takes more than a moment ("loading
/// FILE (12 MB)…"), and the note before a dataset above a quarter of the memory; a start-up
/// line like the others, on standard error when standard output carries data (`--metrics -`,
/// `predict --output -`), and said by MPI rank 0 only.
enum LoadingLine {
    /// Files and synthetic datasets from this size on are announced.
    static let threshold = 4_000_000
    /// Standard output carries data: say the lines on standard error.
    nonisolated(unsafe) static var standardOutputTaken = false
    /// Another process says them (MPI ranks above 0).
    nonisolated(unsafe) static var silent = false

    /// Before loading `path`: its size, and the memory note when loading it takes more than a
    /// quarter of this machine's (a load beyond the memory available is refused by the loader).
    static func file(_ path: String) {
        guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber,
              size.intValue >= threshold || (DataFile.memoryEstimate(path: path) ?? 0) >= threshold else { return }
        say("loading \(path) (\(DatasetMemory.describe(size.intValue)))…")
        if let estimate = DataFile.memoryEstimate(path: path), let note = DatasetMemory.current().note("loading \(path)", needs: estimate) {
            say("note: " + note)
        }
    }

    /// Before generating `bytes` of synthetic data: refused beyond the memory available, a
    /// note beyond a quarter of the memory, a line from `threshold` on.
    static func synthetic(samples: Int, features: Int, bytes: Int) throws {
        let memory = DatasetMemory.current()
        let what = "--synthetic \(samples) with \(features) features"
        if let refusal = memory.refusal(what, needs: bytes) { throw ConfigurationError(refusal) }
        guard bytes >= threshold else { return }
        say("generating synthetic data: \(samples) samples × \(features) features (\(DatasetMemory.describe(bytes)))…")
        if let note = memory.note(what, needs: bytes) { say("note: " + note) }
    }

    private static func say(_ line: String) {
        guard !silent else { return }
        if standardOutputTaken {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        } else {
            print(line)
            fflush(nil)
        }
    }
}
