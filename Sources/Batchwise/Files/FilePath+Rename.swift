import SystemPackage
#if canImport(Glibc)
import Glibc
private let cRename = Glibc.rename
#elseif canImport(Darwin)
import Darwin
private let cRename = Darwin.rename
#endif

extension FilePath {
    /// Renames the file at this path to `target`, replacing `target` atomically if it exists
    /// (both must be on one file system).
    ///
    /// The corresponding C function is `rename` (swift-system does not wrap it).
    package func rename(to target: FilePath) throws(Errno) {
        let failed = withPlatformString { from in target.withPlatformString { to in cRename(from, to) != 0 } }
        if failed { throw Errno.lastError }
    }

    /// Removes the file at this path, if there is one; a failure is ignored (used to clean up
    /// after another error, which is the one worth reporting).
    ///
    /// The corresponding C function is `unlink`.
    package func removeIfPresent() {
        _ = withPlatformString { unlink($0) }
    }
}
