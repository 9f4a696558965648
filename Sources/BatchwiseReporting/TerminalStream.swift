#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Standard output or standard error, as the live feedback sees it: whether a person is
/// watching (a terminal), how wide the terminal is, and an unbuffered write.
public struct TerminalStream: Sendable, Equatable {
    /// The file descriptor: 1 or 2.
    public let descriptor: Int32

    /// Standard output (descriptor 1, `STDOUT_FILENO`).
    public static let standardOutput = TerminalStream(descriptor: STDOUT_FILENO)
    /// Standard error (descriptor 2, `STDERR_FILENO`).
    public static let standardError = TerminalStream(descriptor: STDERR_FILENO)

    /// Whether the stream is a terminal (not a file or a pipe). Wraps `isatty(3)`.
    public var isTerminal: Bool { isatty(descriptor) == 1 }

    /// Columns to draw in: `COLUMNS` from the environment when it is a positive number (as
    /// Python's `shutil.get_terminal_size` does, so a user can override), else the terminal's
    /// width, else 80. Wraps `ioctl(2)` with `TIOCGWINSZ`.
    public var columns: Int {
        if let text = getenv("COLUMNS"), let columns = Int(String(cString: text)), columns > 0 { return columns }
        var size = winsize()
        if ioctl(descriptor, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 { return Int(size.ws_col) }
        return 80
    }

    /// Writes `text` at once, after flushing the C streams (where `print` buffers) so that
    /// lines printed before come out before it. Errors (a closed pipe) are ignored: feedback
    /// must not stop training. Wraps `write(2)`.
    public func write(_ text: String) {
        fflush(nil)
        _ = SystemCall.writeAll(descriptor, text)
    }
}
