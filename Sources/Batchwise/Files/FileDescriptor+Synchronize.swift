import SystemPackage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension FileDescriptor {
    /// Flushes the file's data and metadata to the storage device, retrying when interrupted.
    /// On a directory it makes the entries created or renamed in it durable.
    ///
    /// The corresponding C function is `fsync` (swift-system does not wrap it).
    package func synchronize() throws(Errno) {
        while fsync(rawValue) != 0 {
            let error = Errno.lastError
            guard error == .interrupted else { throw error }
        }
    }
}
