import Batchwise
import SystemPackage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The C calls whose names the feedback types shadow with methods of their own.
enum SystemCall {
    /// Writes all of `text` to `descriptor`, retrying short writes and interrupted calls;
    /// returns nil, or the `errno` of the failure. Wraps swift-system's
    /// `FileDescriptor.writeAll` (`write(2)`).
    static func writeAll(_ descriptor: Int32, _ text: String) -> Int32? {
        do {
            var text = text
            try text.withUTF8 { _ = try FileDescriptor(rawValue: descriptor).writeAll($0) }
            return nil
        } catch {
            return Errno(error).rawValue
        }
    }
}

/// A file the feedback types could not open, write or put in place. The message names the path
/// and what the operating system said, ready for the CLI's `error:` line.
public struct OutputFileError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file that failed.
    public let path: String
    /// What was being done: "open", "write", "replace" ….
    public let operation: String
    /// The `errno` the system call failed with.
    public let code: Int32

    package init(path: String, operation: String, errno code: Int32) {
        self.path = path
        self.operation = operation
        self.code = code
    }

    init(path: String, operation: String, errno: Errno) {
        self.init(path: path, operation: operation, errno: errno.rawValue)
    }

    /// An atomic write of `path` that failed, told in this type's words.
    init(path: String, _ error: AtomicFileError) {
        let operation = switch error.step {
        case .create: "open"
        case .write: "write"
        case .flush: "flush"
        case .replace: "replace"
        case .flushDirectory: "flush the folder of"
        }
        self.init(path: path, operation: operation, errno: error.errno)
    }

    /// ``code`` as swift-system's `Errno`.
    public var errno: Errno { Errno(rawValue: code) }

    /// The system's reason (`strerror` of ``code``).
    public var reason: String { errno.description }

    public var description: String {
        "cannot \(operation) '\(path)': \(reason)" + (errno.fileRemedy.map { "; " + $0 } ?? "")
    }
}

/// A file opened for writing through a raw descriptor, so that every ``write(_:)`` reaches the
/// kernel at once (no user-space buffer: `tail -f` sees each line as it is written). Closed in
/// `deinit` or by ``close()``. Wraps swift-system's `FileDescriptor` (`open(2)`, `write(2)`,
/// `pread(2)`); ``replace(_:with:)`` goes through ``AtomicFile``.
package final class OutputFile {
    package enum Mode {
        /// Create the file, or empty it if it exists.
        case truncate
        /// Create the file, or keep what it holds and write after it.
        case append
    }

    let path: String
    private var descriptor: FileDescriptor?

    /// The path that means standard output, as in most Unix tools.
    package static let standardOutputPath = "-"

    /// Opens `path` for writing. A symbolic link is followed (the file it names is written,
    /// the link stays); a FIFO or device is written as it is (`open(2)` waits for a FIFO's
    /// reader). `-` is standard output: see ``claimStandardOutput()``.
    package init(path: String, mode: Mode) throws(OutputFileError) {
        self.path = path
        if path == Self.standardOutputPath {
            descriptor = try Self.claimStandardOutput()
            return
        }
        do {
            descriptor = try FileDescriptor.open(FilePath(path), .writeOnly,
                                                 options: [.create, .closeOnExec, mode == .append ? .append : .truncate],
                                                 permissions: [.ownerReadWrite, .groupRead, .otherRead])
        } catch {
            throw OutputFileError(path: path, operation: "open", errno: Errno(error))
        }
    }

    deinit { _ = try? descriptor?.close() }

    /// Standard output for a machine-readable stream, with everything else this process
    /// prints moved to standard error, so that `batchwise train --metrics - | jq` sees only
    /// JSON: a duplicate of descriptor 1 is returned for the stream, and descriptor 1 becomes
    /// a copy of descriptor 2. Wraps `dup(2)` and `dup2(2)`.
    private static func claimStandardOutput() throws(OutputFileError) -> FileDescriptor {
        fflush(nil)
        do {
            let stream = try FileDescriptor.standardOutput.duplicate()
            _ = try FileDescriptor.standardError.duplicate(as: FileDescriptor.standardOutput)
            return stream
        } catch {
            throw OutputFileError(path: standardOutputPath, operation: "open", errno: Errno(error))
        }
    }

    /// Writes all of `text` (in one `write(2)` unless the kernel takes less).
    func write(_ text: String) throws(OutputFileError) {
        guard let descriptor else { preconditionFailure("write after close") }
        do {
            var text = text
            try text.withUTF8 { _ = try descriptor.writeAll($0) }
        } catch {
            throw OutputFileError(path: path, operation: "write", errno: Errno(error))
        }
    }

    /// Whether the file is empty or its last byte is a newline (read through a second,
    /// read-only descriptor, since this one is write-only).
    func endsWithNewline() -> Bool {
        guard let reader = try? FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec]) else { return true }
        defer { _ = try? reader.close() }
        guard let size = try? reader.seek(offset: 0, from: .end), size > 0 else { return true }
        var last: UInt8 = 0
        let read = try? withUnsafeMutableBytes(of: &last) { try reader.read(fromAbsoluteOffset: size - 1, into: $0) }
        return read == 1 ? last == UInt8(ascii: "\n") : true
    }

    /// Closes the descriptor, reporting a failure (a delayed write error shows up here).
    package func close() throws(OutputFileError) {
        guard let descriptor else { return }
        self.descriptor = nil
        do {
            try descriptor.close()
        } catch {
            // EINTR: the descriptor is closed all the same (Linux), and nothing was lost.
            let errno = Errno(error)
            if errno != .interrupted { throw OutputFileError(path: path, operation: "write", errno: errno) }
        }
    }

    /// Writes `text` to `path` atomically with ``AtomicFile``: a temporary file beside it,
    /// flushed, then renamed over `path`, so a reader sees the old file or the new one, never
    /// half of one.
    package static func replace(_ path: String, with text: String) throws(OutputFileError) {
        do {
            try AtomicFile.write(text.utf8, to: path)
        } catch {
            throw OutputFileError(path: path, error)
        }
    }

    /// Writes the whole of `text` to `path`: `-` is standard output (written at once, a
    /// failure such as a closed pipe reported); anything else goes through ``replace(_:with:)``.
    package static func write(_ text: String, to path: String) throws(OutputFileError) {
        guard path == standardOutputPath else { return try replace(path, with: text) }
        fflush(nil)
        if let code = SystemCall.writeAll(STDOUT_FILENO, text) {
            throw OutputFileError(path: path, operation: "write", errno: code)
        }
    }
}
