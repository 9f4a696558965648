import SystemPackage
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's peak resident set size over a stretch of work: the kernel's high-water mark
/// is reset at `init`, and ``read()`` gives the peak since.
///
/// On Linux ≥ 4.0 writing "5" to `/proc/self/clear_refs` resets the mark, and `VmHWM` in
/// `/proc/self/status` is the peak since. Where the reset fails (another kernel, a locked-down
/// `/proc`), the figure is `getrusage`'s `ru_maxrss`, the peak over the whole process so far,
/// and ``Reading/cumulative`` says so.
public struct PeakResidentMemory: Sendable {
    /// What was read.
    public struct Reading: Sendable, Equatable {
        /// Peak resident memory in bytes.
        public let bytes: UInt64
        /// True when the peak is over the whole life of the process, not since the reset.
        public let cumulative: Bool

        /// A reading of `bytes` bytes, over the whole process when `cumulative`.
        public init(bytes: UInt64, cumulative: Bool) {
            self.bytes = bytes
            self.cumulative = cumulative
        }
    }

    /// Whether the high-water mark was reset when this value was made.
    public let wasReset: Bool

    /// Resets the high-water mark (writes "5" to `/proc/self/clear_refs` through swift-system's
    /// `FileDescriptor`: `open(2)`, `write(2)`).
    public init() {
        do {
            let file = try FileDescriptor.open("/proc/self/clear_refs", .writeOnly, options: .closeOnExec)
            wasReset = try file.closeAfter { try file.writeAll("5".utf8) } == 1
        } catch {
            wasReset = false
        }
    }

    /// The peak since `init` when the reset worked and `VmHWM` is readable, else the
    /// process-wide peak from `getrusage(2)`.
    public func read() -> Reading {
        if wasReset, let bytes = Self.statusField("VmHWM") {
            return Reading(bytes: bytes, cumulative: false)
        }
        var usage = rusage()
        #if os(Linux)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let bytes = UInt64(max(usage.ru_maxrss, 0)) * 1024   // kilobytes on Linux
        #else
        getrusage(RUSAGE_SELF, &usage)
        let bytes = UInt64(max(usage.ru_maxrss, 0))          // bytes on Darwin
        #endif
        return Reading(bytes: bytes, cumulative: true)
    }

    /// A "Name:\t   1234 kB" line of `/proc/self/status`, in bytes.
    static func statusField(_ name: String) -> UInt64? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix(name + ":") {
            let words = line.dropFirst(name.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let value = words.first.flatMap({ UInt64($0) }) else { return nil }
            return words.dropFirst().first == "kB" ? value * 1024 : value
        }
        return nil
    }
}
