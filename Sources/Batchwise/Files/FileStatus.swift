import SystemPackage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the file system says about a path: what kind of file is there and which file it is
/// (device and inode), so that two spellings of one file — a symbolic link, `./x`, a hard
/// link — are recognised as the same file.
///
/// The corresponding C functions are `stat` and `lstat` (swift-system does not wrap them).
public struct FileStatus: Sendable, Equatable {
    /// The type bits of `st_mode`: a regular file, a folder, a symbolic link (seen only with
    /// `followingLinks: false`), a FIFO, a character or block device, a socket, or another kind.
    public enum Kind: Sendable, Equatable { case regular, directory, symbolicLink, fifo, characterDevice, blockDevice, socket, other }

    /// What kind of file is there.
    public let kind: Kind
    /// `st_dev`: the file system that holds the file.
    public let device: UInt64
    /// `st_ino`: the file within that file system.
    public let inode: UInt64

    /// The status of `path`, following symbolic links unless `followingLinks` is false; nil
    /// when there is nothing at `path` (`ENOENT`, or `ENOTDIR` for a file used as a folder).
    /// - Throws: the `Errno` of any other failure (`EACCES` for a folder that may not be searched, …).
    public init?(path: String, followingLinks: Bool = true) throws(Errno) {
        var s = stat()
        let result = followingLinks ? stat(path, &s) : lstat(path, &s)
        if result != 0 {
            let error = Errno.lastError
            if error == .noSuchFileOrDirectory || error == .notDirectory { return nil }
            throw error
        }
        device = UInt64(s.st_dev)
        inode = UInt64(s.st_ino)
        kind = switch s.st_mode & S_IFMT {
        case S_IFREG: .regular
        case S_IFDIR: .directory
        case S_IFLNK: .symbolicLink
        case S_IFIFO: .fifo
        case S_IFCHR: .characterDevice
        case S_IFBLK: .blockDevice
        case S_IFSOCK: .socket
        default: .other
        }
    }

    /// Whether both are the same file (same device and inode).
    public func isSameFile(as other: FileStatus) -> Bool {
        device == other.device && inode == other.inode
    }

    /// Whether this process may write the existing file `path` (`access(2)` with `W_OK`; root
    /// passes except on a read-only file system). For a folder, see ``cannotCreateFiles(in:)``.
    public static func isWritable(_ path: String) -> Bool {
        access(path, W_OK) == 0
    }

    /// Why this process cannot create a file in `folder`, or nil when it can: found by creating
    /// and removing an empty hidden file there (`.batchwise-probe-PID`), which is the only test
    /// that tells the truth for root, ACLs, read-only mounts and special file systems alike.
    ///
    /// The corresponding C functions are `open` (with `O_CREAT | O_EXCL`) and `unlink`.
    public static func cannotCreateFiles(in folder: String) -> Errno? {
        let probe = FilePath(folder.isEmpty ? "." : folder).appending(".batchwise-probe-\(getpid())")
        do {
            let descriptor = try FileDescriptor.open(probe, .writeOnly, options: [.create, .exclusiveCreate, .closeOnExec],
                                                     permissions: [.ownerReadWrite])
            _ = try? descriptor.close()
            probe.removeIfPresent()
            return nil
        } catch {
            return Errno(error)
        }
    }

    /// The file a write to `path` lands in: `path` itself, or, when `path` is a symbolic link,
    /// the path the chain of links ends at (which need not exist yet: a dangling link names
    /// the file it will create). Relative link targets are taken from the link's folder. Gives
    /// up after 40 links (the kernel's own limit) and returns the last path reached.
    ///
    /// The corresponding C functions are `lstat` and `readlink`.
    public static func destination(of path: String) -> String {
        var current = path
        for _ in 0..<40 {
            guard let status = try? FileStatus(path: current, followingLinks: false), status.kind == .symbolicLink,
                  let target = linkTarget(current) else { return current }
            if target.hasPrefix("/") {
                current = target
            } else {
                let folder = FilePath(current).removingLastComponent()
                current = folder.isEmpty ? target : folder.appending(target).string
            }
        }
        return current
    }

    /// The text of the symbolic link at `path`, or nil. Wraps `readlink(2)`.
    private static func linkTarget(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
