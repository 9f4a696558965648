import CHwloc
import SystemPackage

/// A failure of hwloc to describe the machine or bind a thread or memory: what could not be
/// done, in words for a person, and — when an hwloc call failed — which one and the `errno`
/// it left (hwloc reports its failures as -1 or NULL with `errno` set, like a system call).
public struct TopologyError: Error, CustomStringConvertible, Sendable {
    /// The whole message, ending with the hwloc function and the system's reason when there
    /// is one: `hwloc could not bind the thread to PU(s) 3 (hwloc_set_cpubind: Invalid argument)`.
    public let message: String
    /// The hwloc function that failed, when the failure was an hwloc call's.
    public let function: String?
    /// The `errno` that function left, when it set one.
    public let errno: Errno?

    init(message: String) {
        self.message = message
        self.function = nil
        self.errno = nil
    }

    /// `what` went wrong because hwloc's `function` failed with `errno` (nil: it set none).
    init(_ what: String, function: String, errno: Errno?) {
        self.message = "\(what) (\(function)" + (errno.map { ": \($0)" } ?? " failed") + ")"
        self.function = function
        self.errno = errno
    }

    public var description: String { message }

    /// Runs `call`, an hwloc function that returns 0 on success and -1 with `errno` set on
    /// failure, and throws naming `function` and that `errno` when it fails.
    static func check(_ function: String, _ what: @autoclosure () -> String, _ call: () -> Int32) throws(TopologyError) {
        Errno.lastError = Errno(rawValue: 0)
        guard call() == 0 else {
            let error = Errno.lastError
            throw TopologyError(what(), function: function, errno: error.rawValue == 0 ? nil : error)
        }
    }
}
