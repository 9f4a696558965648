#if canImport(Glibc)
import Glibc
private let cClose = Glibc.close, cWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let cClose = Darwin.close, cWrite = Darwin.write
#endif

/// The C calls whose names the feedback types shadow with methods of their own.
enum SystemCall {
    static func close(_ descriptor: Int32) -> Int32 { cClose(descriptor) }

    /// Writes all of `text` to `descriptor`, retrying short writes and interrupted calls;
    /// returns nil, or the `errno` of the failure. Wraps `write(2)`.
    static func writeAll(_ descriptor: Int32, _ text: String) -> Int32? {
        let bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { cWrite(descriptor, $0.baseAddress! + done, $0.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            done += n
        }
        return nil
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

    /// The system's reason (`strerror` of ``code``).
    public var reason: String { String(cString: strerror(code)) }

    public var description: String { "cannot \(operation) '\(path)': \(reason)" }
}

/// A file opened for writing through a raw descriptor, so that every ``write(_:)`` reaches the
/// kernel at once (no user-space buffer: `tail -f` sees each line as it is written). Closed in
/// `deinit` or by ``close()``. Wraps `open(2)`, `write(2)`, `pread(2)`, `rename(2)`.
package final class OutputFile {
    package enum Mode {
        /// Create the file, or empty it if it exists.
        case truncate
        /// Create the file, or keep what it holds and write after it.
        case append
    }

    let path: String
    private var descriptor: Int32

    package init(path: String, mode: Mode) throws(OutputFileError) {
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (mode == .append ? O_APPEND : O_TRUNC)
        let fd = open(path, flags, 0o644)
        guard fd >= 0 else { throw OutputFileError(path: path, operation: "open", errno: errno) }
        self.path = path
        self.descriptor = fd
    }

    deinit { if descriptor >= 0 { _ = SystemCall.close(descriptor) } }

    /// Writes all of `text` (in one `write(2)` unless the kernel takes less).
    func write(_ text: String) throws(OutputFileError) {
        precondition(descriptor >= 0, "write after close")
        if let code = SystemCall.writeAll(descriptor, text) { throw OutputFileError(path: path, operation: "write", errno: code) }
    }

    /// Whether the file is empty or its last byte is a newline (read through a second,
    /// read-only descriptor, since this one is write-only).
    func endsWithNewline() -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return true }
        defer { _ = SystemCall.close(fd) }
        let size = lseek(fd, 0, SEEK_END)
        guard size > 0 else { return true }
        var last: UInt8 = 0
        return pread(fd, &last, 1, size - 1) == 1 ? last == UInt8(ascii: "\n") : true
    }

    /// Closes the descriptor, reporting a failure (a delayed write error shows up here).
    package func close() throws(OutputFileError) {
        guard descriptor >= 0 else { return }
        let fd = descriptor
        descriptor = -1
        if SystemCall.close(fd) != 0 && errno != EINTR { throw OutputFileError(path: path, operation: "write", errno: errno) }
    }

    /// Writes `text` to `path` atomically: to a temporary file beside it, then `rename(2)` over
    /// `path`, so a reader sees the old file or the new one, never half of one.
    package static func replace(_ path: String, with text: String) throws(OutputFileError) {
        let temporary = path + ".tmp-\(getpid())"
        do {
            let file = try OutputFile(path: temporary, mode: .truncate)
            try file.write(text)
            try file.close()
        } catch {
            unlink(temporary)
            throw OutputFileError(path: path, operation: error.operation, errno: error.code)
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw OutputFileError(path: path, operation: "replace", errno: code)
        }
    }
}
