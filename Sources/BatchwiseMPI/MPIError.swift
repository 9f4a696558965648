#if MPI
import COpenMPI
#endif

/// A failed MPI call: which function, the error code it returned, and MPI's text for it.
///
/// `MPIProcessGroup` sets `MPI_ERRORS_RETURN` on its communicator, so a failing collective
/// returns its code instead of ending the process inside MPI; the code becomes this error at
/// that boundary, once, and the trainer stops the job and rethrows it.
public struct MPIError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What the MPI function returned (an `MPI_ERR_…` class or an implementation's code).
    public let code: Int32
    /// MPI's words for ``code`` (`MPI_Error_string`), or empty where they could not be had.
    public let text: String
    /// The MPI function that failed, such as `MPI_Allreduce`.
    public let function: String

    /// An error for `function` having returned `code`, with MPI's `text` for it.
    public init(code: Int32, text: String, function: String) {
        self.code = code
        self.text = text
        self.function = function
    }

    /// The failure of `function` with `code`, its text read with `MPI_Error_string` while MPI
    /// is running (between `MPI_Init_thread` and `MPI_Finalize`; Open MPI ends the process if
    /// it is asked outside that span, so the text is left empty there).
    public init(code: Int32, function: String) {
        self.init(code: code, text: Self.errorString(code), function: function)
    }

    /// Throws the failure of `function` unless `code` is `MPI_SUCCESS` (0).
    @inline(__always)
    static func check(_ function: String, _ code: Int32) throws(MPIError) {
        if code != 0 { throw MPIError(code: code, function: function) }
    }

    public var description: String {
        let what = "\(function) failed with MPI error \(code)" + (text.isEmpty ? "" : " (\(text))")
        if function == "MPI_Init_thread" { return "MPI could not start: \(what); run batchwise under mpirun" }
        return what + "; the job stops: see the other ranks' error lines, and check that every host can reach the others"
    }

    private static func errorString(_ code: Int32) -> String {
        #if MPI
        var initialized: Int32 = 0, finalized: Int32 = 0
        MPI_Initialized(&initialized)
        MPI_Finalized(&finalized)
        guard initialized != 0, finalized == 0 else { return "" }
        var buffer = [CChar](repeating: 0, count: Int(MPI_MAX_ERROR_STRING) + 1)
        var length: Int32 = 0
        guard MPI_Error_string(code, &buffer, &length) == MPI_SUCCESS else { return "" }
        return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        #else
        return ""
        #endif
    }
}
