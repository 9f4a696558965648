import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A named pipe (`mkfifo(3)`) read to its end by a thread of its own, as a `cat fifo` would:
/// the writer under test opens it like a file and blocks until this reader is there.
package final class FIFOReader: @unchecked Sendable {
    package let path: String
    private let done = DispatchSemaphore(value: 0)
    private var bytes: [UInt8] = []

    /// Makes the FIFO at `path` and starts reading it.
    package init(path: String) throws {
        self.path = path
        guard mkfifo(path, 0o600) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        Thread.detachNewThread { [self] in
            let descriptor = open(path, O_RDONLY)
            if descriptor >= 0 {
                var buffer = [UInt8](repeating: 0, count: 65536)
                while true {
                    let n = read(descriptor, &buffer, buffer.count)
                    if n <= 0 { break }
                    bytes += buffer[..<n]
                }
                close(descriptor)
            }
            done.signal()
        }
    }

    /// Everything written until the last writer closed the FIFO (waits at most `seconds`; nil
    /// when the writer never closed it).
    package func text(waiting seconds: Double = 120) -> String? {
        guard done.wait(timeout: .now() + seconds) == .success else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}
