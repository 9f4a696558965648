import Atomics
import SystemPackage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a whole file so that a reader — or a run resumed after a crash — finds either the
/// old file or the new one, never part of one: checkpoints, plots, reports and predictions.
///
/// The bytes go to a temporary file in the target's folder (`.NAME.tmp-PID-N`, so a rename
/// never crosses file systems), which is written in full, flushed to disk, renamed over the
/// target, and then the folder is flushed so the rename itself survives a power cut. Any
/// failure removes the temporary file and throws an ``AtomicFileError`` with the step, the
/// path and the `Errno`; the old target is untouched until the rename.
///
/// Writing never destroys what the path points to: a symbolic link is followed (the file it
/// names is replaced, the link stays a link), and a path that is a device, a FIFO or another
/// file that is not a regular one (`/dev/null`, `/dev/stdout`, a named pipe) is written to
/// directly with `write(2)` — there is nothing to replace atomically, and replacing it would
/// turn a pipe into a plain file.
///
/// ```swift
/// try AtomicFile.write(Array(text.utf8), to: "predictions.csv")
/// ```
public enum AtomicFile {
    /// Distinguishes temporary files of concurrent writes in one process.
    private static let sequence = ManagedAtomic<Int>(0)

    /// Writes `bytes` to `path` atomically (see the type's documentation), with permissions
    /// `rw-r--r--` less the umask for a new file.
    /// - Throws: ``AtomicFileError`` naming `path`, the failed step and its `Errno`.
    public static func write(_ bytes: some Sequence<UInt8>, to path: String) throws(AtomicFileError) {
        if let status = try? FileStatus(path: path), status.kind != .regular && status.kind != .directory {
            try writeDirectly(bytes, to: path)
            return
        }
        let temporary = try writeTemporary(bytes, for: path)
        try commit(temporary: temporary, to: path)
    }

    /// First half of ``write(_:to:)``: the complete file under a temporary name beside `path`
    /// (beside the file it links to, for a symbolic link), flushed to disk; returns that name.
    /// Until ``commit(temporary:to:)`` renames it, `path` still holds the previous file. For
    /// regular files only: a device or FIFO at `path` is refused (`ENOTSUP`), since renaming
    /// over it would replace it; ``write(_:to:)`` writes such a file directly.
    /// - Throws: ``AtomicFileError`` (step `create`, `write` or `flush`); the temporary file
    ///   is removed first.
    public static func writeTemporary(_ bytes: some Sequence<UInt8>, for path: String) throws(AtomicFileError) -> String {
        let target = FilePath(FileStatus.destination(of: path))
        let temporary = target.removingLastComponent()
            .appending(".\(target.lastComponent?.string ?? "").tmp-\(getpid())-\(sequence.loadThenWrappingIncrement(ordering: .relaxed))")
        func failure(_ step: AtomicFileError.Step, _ errno: Errno) -> AtomicFileError {
            temporary.removeIfPresent()
            return AtomicFileError(path: path, temporaryPath: temporary.string, step: step, errno: errno)
        }
        if let status = try? FileStatus(path: path), status.kind != .regular && status.kind != .directory {
            throw AtomicFileError(path: path, temporaryPath: temporary.string, step: .create, errno: .notSupported)
        }
        let descriptor: FileDescriptor
        do {
            descriptor = try FileDescriptor.open(temporary, .writeOnly, options: [.create, .truncate, .closeOnExec],
                                                 permissions: [.ownerReadWrite, .groupRead, .otherRead])
        } catch {
            // Nothing was created, so there is nothing to remove.
            throw AtomicFileError(path: path, temporaryPath: temporary.string, step: .create, errno: Errno(error))
        }
        do {
            try descriptor.writeAll(bytes)
        } catch {
            _ = try? descriptor.close()
            throw failure(.write, Errno(error))
        }
        do throws(Errno) {
            try descriptor.synchronize()
        } catch {
            _ = try? descriptor.close()
            throw failure(.flush, error)
        }
        do {
            try descriptor.close()
        } catch {
            // A delayed write error can surface only here; EINTR still closed the descriptor.
            let errno = Errno(error)
            if errno != .interrupted { throw failure(.write, errno) }
        }
        return temporary.string
    }

    /// Second half of ``write(_:to:)``: renames `temporary` (from ``writeTemporary(_:for:)``)
    /// over `path` (over the file it links to, for a symbolic link) and flushes the folder
    /// that holds both.
    /// - Throws: ``AtomicFileError`` with step `replace` (the temporary file is removed and
    ///   `path` keeps its old contents) or `flushDirectory` (the new file is in place but the
    ///   rename may not survive a power cut).
    public static func commit(temporary: String, to path: String) throws(AtomicFileError) {
        let target = FilePath(FileStatus.destination(of: path))
        do throws(Errno) {
            try FilePath(temporary).rename(to: target)
        } catch {
            FilePath(temporary).removeIfPresent()
            throw AtomicFileError(path: path, temporaryPath: temporary, step: .replace, errno: error)
        }
        let parent = target.removingLastComponent()
        // A folder that cannot be opened for reading (write and search permission only) still
        // took the rename; there is just no descriptor to flush it through.
        guard let folder = try? FileDescriptor.open(parent.isEmpty ? "." : parent, .readOnly,
                                                    options: [.directory, .closeOnExec]) else { return }
        defer { _ = try? folder.close() }
        do throws(Errno) {
            try folder.synchronize()
        } catch {
            // File systems that cannot flush a folder say EINVAL: nothing more can be done there.
            if error != .invalidArgument {
                throw AtomicFileError(path: path, temporaryPath: temporary, step: .flushDirectory, errno: error)
            }
        }
    }
}

extension AtomicFile {
    /// Writes `bytes` into the existing file at `path` as it is, without creating, truncating
    /// or replacing it: for devices and FIFOs (`open(2)` blocks until a FIFO has a reader).
    private static func writeDirectly(_ bytes: some Sequence<UInt8>, to path: String) throws(AtomicFileError) {
        let descriptor: FileDescriptor
        do {
            descriptor = try FileDescriptor.open(FilePath(path), .writeOnly, options: [.closeOnExec])
        } catch {
            throw AtomicFileError(path: path, temporaryPath: path, step: .create, errno: Errno(error))
        }
        do {
            try descriptor.writeAll(bytes)
        } catch {
            _ = try? descriptor.close()
            throw AtomicFileError(path: path, temporaryPath: path, step: .write, errno: Errno(error))
        }
        do {
            try descriptor.close()
        } catch {
            let errno = Errno(error)
            if errno != .interrupted { throw AtomicFileError(path: path, temporaryPath: path, step: .write, errno: errno) }
        }
    }
}

/// A step of an atomic write that failed: which one, the file being written, and the
/// system's `Errno`. The message names the path, the reason, and what to do about it.
public struct AtomicFileError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The steps of ``AtomicFile/write(_:to:)``, in the order they run.
    public enum Step: String, Sendable {
        /// Creating the temporary file beside the target (`open(2)`).
        case create
        /// Writing the bytes into it (`write(2)`, or the `close(2)` that reports a delayed error).
        case write
        /// Flushing it to disk (`fsync(2)`).
        case flush
        /// Renaming it over the target (`rename(2)`).
        case replace
        /// Flushing the folder that records the rename (`fsync(2)` on the folder).
        case flushDirectory

        /// The C function that failed.
        public var function: String {
            switch self {
            case .create: "open"
            case .write: "write"
            case .flush, .flushDirectory: "fsync"
            case .replace: "rename"
            }
        }
    }

    /// The file that was to be written, as given.
    public let path: String
    /// The temporary file beside it (already removed, unless the step is `flushDirectory`,
    /// when it has become `path`); `path` itself for a device or FIFO, written directly.
    public let temporaryPath: String
    /// The step that failed.
    public let step: Step
    /// What the system said.
    public let errno: Errno

    /// An error for writing `path` through `temporaryPath` that failed at `step` with `errno`.
    public init(path: String, temporaryPath: String, step: Step, errno: Errno) {
        self.path = path
        self.temporaryPath = temporaryPath
        self.step = step
        self.errno = errno
    }

    /// The system's reason (`strerror` of ``errno``).
    public var reason: String { errno.description }

    /// `cannot write 'out/p.csv': No such file or directory (open); check that its folder exists`.
    public var description: String {
        let what = step == .flushDirectory ? "make '\(path)' durable" : "write '\(path)'"
        return "cannot \(what): \(reason) (\(step.function))" + (errno.fileRemedy.map { "; " + $0 } ?? "")
    }
}
