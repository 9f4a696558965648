import Foundation

/// This machine's memory, as a dataset about to be allocated must fit it: a dataset above a
/// quarter of the physical memory is worth a word before it is made, and one above the memory
/// available now is refused before a byte of it is allocated (rather than swapping or being
/// killed by the kernel an hour later).
public struct DatasetMemory: Sendable, Equatable {
    /// Bytes of physical memory (or the cgroup's limit, when lower).
    public var physicalBytes: Int
    /// Bytes that can be allocated now without swapping: `MemAvailable` of /proc/meminfo, or
    /// what the cgroup's limit leaves, whichever is less.
    public var availableBytes: Int

    /// Given figures, for tests and for callers that know better.
    public init(physicalBytes: Int, availableBytes: Int) {
        self.physicalBytes = physicalBytes
        self.availableBytes = availableBytes
    }

    /// The figures of this machine now (cgroup v2 limits included).
    public static func current() -> DatasetMemory {
        let physical = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        var available = physical
        if let info = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = info.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
           let kib = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) {
            available = kib * 1024
        }
        func number(_ file: String) -> Int? {
            (try? String(contentsOfFile: "/sys/fs/cgroup/" + file, encoding: .utf8))
                .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        if let limit = number("memory.max") {   // "max" (no limit) reads as nil
            let used = number("memory.current") ?? 0
            return DatasetMemory(physicalBytes: min(physical, limit), availableBytes: max(0, min(available, limit - used)))
        }
        return DatasetMemory(physicalBytes: physical, availableBytes: available)
    }

    /// What to do about a dataset that needs about `bytes` of memory.
    public enum Verdict: Sendable, Equatable {
        /// Under a quarter of the physical memory: nothing to say.
        case fits
        /// Above a quarter of the physical memory but available: say so before allocating.
        case large
        /// More than the memory available now: refuse.
        case tooLarge
    }

    /// The verdict on `bytes`.
    public func verdict(_ bytes: Int) -> Verdict {
        bytes > availableBytes ? .tooLarge : (bytes > physicalBytes / 4 ? .large : .fits)
    }

    /// "1.5 GB", "12 MB", "512 KB": `bytes` in decimal units, to two or three digits.
    public static func describe(_ bytes: Int) -> String {
        let units = [(1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "KB")]
        let x = Double(bytes)
        for (size, name) in units where x >= size {
            return (x / size >= 10 ? String(Int((x / size).rounded())) : String(format: "%.1f", x / size)) + " " + name
        }
        return "\(bytes) bytes"
    }

    /// The refusal for `what` needing `bytes`, or nil when it is available.
    public func refusal(_ what: String, needs bytes: Int) -> ErrorText? {
        guard verdict(bytes) == .tooLarge else { return nil }
        return "\(what) needs about \(Self.describe(bytes)) of memory, but only \(Self.describe(availableBytes)) is available (of \(Self.describe(physicalBytes))); use a smaller dataset or a machine with more memory"
    }

    /// The note before allocating `bytes` for `what` above a quarter of the memory, or nil.
    public func note(_ what: String, needs bytes: Int) -> String? {
        guard verdict(bytes) == .large else { return nil }
        return "\(what) needs about \(Self.describe(bytes)) of memory, more than a quarter of this machine's \(Self.describe(physicalBytes)) (\(Self.describe(availableBytes)) available)"
    }
}
