import SystemPackage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Errno {
    /// The `errno` the last failed C call left on this thread (swift-system keeps its own
    /// accessor internal). Read it right after the call, before anything else can change it;
    /// set it to `Errno(rawValue: 0)` before a call that may fail without setting it.
    package static var lastError: Errno {
        get { Errno(rawValue: errno) }
        set { errno = newValue.rawValue }
    }

    /// The error swift-system threw, as an `Errno` (its calls throw nothing else; anything
    /// that is not one becomes `EIO`).
    package init(_ error: any Error) {
        self = (error as? Errno) ?? .ioError
    }

    /// What a person can do about this error when writing a file, or nil when there is
    /// nothing more specific to say than the system's reason.
    package var fileRemedy: String? {
        switch self {
        case .noSuchFileOrDirectory: "check that its folder exists"
        case .permissionDenied, .notPermitted: "check that you may write there, or choose another path"
        case .noSpace, .diskQuotaExceeded: "the disk is full: free some space or write elsewhere"
        case .readOnlyFileSystem: "that file system is read-only: write elsewhere"
        case .isDirectory: "that is a folder: give a file name"
        case .notDirectory: "a part of the path is a file, not a folder"
        default: nil
        }
    }
}
