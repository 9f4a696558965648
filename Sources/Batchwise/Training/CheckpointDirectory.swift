import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A checkpoint directory claimed by one run for as long as this value lives: an advisory
/// lock on `.batchwise.lock` in it (`flock(2)`, released by the system when the process ends,
/// however it ends), so two processes never write one directory at once. Claiming it also
/// removes the temporary files a killed writer left beside the checkpoint
/// (``AtomicFile`` writes `.checkpoint.bwck.tmp-PID-N` and renames it over the checkpoint):
/// while the lock is held no other run can be writing one.
///
/// On a file system without locks (`flock` failing with ENOLCK or EOPNOTSUPP) the directory is
/// used unlocked: ``isLocked`` says so.
public final class CheckpointDirectory {
    /// The lock file's name inside the directory; it holds the owner's process id.
    public static let lockFileName = ".batchwise.lock"

    /// The directory, as given.
    public let path: String
    /// Whether this process holds the directory's lock.
    public let isLocked: Bool
    /// The stale temporary files removed when the directory was claimed (their paths).
    public let removedTemporaryFiles: [String]
    private let descriptor: Int32

    /// Creates `path` if needed, takes its lock (without waiting) and removes stale temporary
    /// checkpoint files.
    /// - Throws: `DataError` naming the directory: it cannot be created or locked, or another
    ///   process holds the lock (the error names that process's id).
    public init(claiming path: String) throws(DataError) {
        self.path = path
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw DataError(file: path, "cannot create the checkpoint directory: \(error.localizedDescription)")
        }
        let lockPath = path + "/" + Self.lockFileName
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw DataError(file: lockPath, "cannot open the checkpoint directory's lock file: \(String(cString: strerror(errno)))")
        }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 {
            isLocked = true
            // The owner's id, for the error another process will show.
            let pid = Array("\(getpid())\n".utf8)
            _ = ftruncate(fd, 0)
            _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        } else {
            let failure = errno
            guard failure == ENOLCK || failure == EOPNOTSUPP else {
                let owner = Self.owner(fd)
                close(fd)
                if failure == EWOULDBLOCK {
                    throw DataError(file: path, "the checkpoint directory is in use by another run (batchwise process \(owner.map(String.init) ?? "of unknown id")); two runs cannot write one directory at once: wait for that one to end, or give another directory")
                }
                throw DataError(file: lockPath, "cannot lock the checkpoint directory: \(String(cString: strerror(failure)))")
            }
            isLocked = false
        }
        descriptor = fd
        let prefix = "." + Checkpoint.fileName + ".tmp-"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        removedTemporaryFiles = names.filter { $0.hasPrefix(prefix) }.sorted().map { path + "/" + $0 }
            .filter { (try? FileManager.default.removeItem(atPath: $0)) != nil }
    }

    deinit { close(descriptor) }

    /// Whether the directory holds a checkpoint file.
    public var holdsCheckpoint: Bool {
        FileManager.default.fileExists(atPath: path + "/" + Checkpoint.fileName)
    }

    /// Removes the directory's checkpoint, for a new run that replaces the one there.
    /// - Throws: `DataError` naming the file when it exists and cannot be removed.
    public func removeCheckpoint() throws(DataError) {
        let file = path + "/" + Checkpoint.fileName
        guard holdsCheckpoint else { return }
        do { try FileManager.default.removeItem(atPath: file) } catch {
            throw DataError(file: file, "cannot remove the previous run's checkpoint: \(error.localizedDescription)")
        }
    }

    /// The process id written in the lock file, if one can be read.
    private static func owner(_ fd: Int32) -> Int? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return Int(String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
