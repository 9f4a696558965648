#if MPI
import Batchwise
import COpenMPI
#if canImport(Glibc)
import Glibc
#endif

/// The processes of an `mpirun` job as a Batchwise `ProcessGroup`, over Open MPI.
///
/// `init` calls `MPI_Init_thread` asking for `MPI_THREAD_SERIALIZED` — one thread at a time
/// calls MPI, and it is a worker, not the main thread — and refuses a library that cannot
/// give it. Sums go through `MPI_Allreduce` with `MPI_IN_PLACE` on `MPI_COMM_WORLD`.
/// Open MPI's predefined handles (`MPI_COMM_WORLD`, `MPI_FLOAT`, …) are addresses of
/// library globals that C macros name; Swift cannot import those macros, so they are looked
/// up once with `dlsym`.
public final class MPIProcessGroup: ProcessGroup, @unchecked Sendable {
    /// This process's rank in `MPI_COMM_WORLD` (`MPI_Comm_rank`), 0..<size.
    public let rank: Int
    /// The number of processes in `MPI_COMM_WORLD` (`MPI_Comm_size`).
    public let size: Int
    private let world: MPI_Comm
    private let float: MPI_Datatype
    private let double: MPI_Datatype
    private let sum: MPI_Op
    private var finalized = false

    /// Whether this build can train over MPI.
    public static let isAvailable = true

    /// Joins the job: `MPI_Init_thread`, the predefined handles, then `MPI_ERRORS_RETURN` on
    /// the world communicator so that a failed call returns its code (thrown as ``MPIError``)
    /// instead of ending the process inside MPI.
    /// - Throws: ``MPIError`` when an MPI call fails; `ConfigurationError` when the library
    ///   is not an Open MPI with the thread support Batchwise needs.
    public init() throws {
        var provided: Int32 = 0
        let code = MPI_Init_thread(nil, nil, Int32(MPI_THREAD_SERIALIZED), &provided)
        guard code == MPI_SUCCESS else { throw MPIError(code: code, function: "MPI_Init_thread") }
        guard provided >= Int32(MPI_THREAD_SERIALIZED) else {
            MPI_Finalize()
            throw ConfigurationError("this MPI library gives thread level \(provided), below MPI_THREAD_SERIALIZED (\(MPI_THREAD_SERIALIZED)) that Batchwise's workers need; use an Open MPI built with thread support")
        }
        func handle(_ name: String) throws(ConfigurationError) -> OpaquePointer {
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else {
                throw ConfigurationError("the MPI library has no symbol \(name); Batchwise needs Open MPI (Debian's libopenmpi-dev)")
            }
            return OpaquePointer(symbol)
        }
        world = try handle("ompi_mpi_comm_world")
        float = try handle("ompi_mpi_float")
        double = try handle("ompi_mpi_double")
        sum = try handle("ompi_mpi_op_sum")
        try MPIError.check("MPI_Comm_set_errhandler", MPI_Comm_set_errhandler(world, try handle("ompi_mpi_errors_return")))
        var r: Int32 = 0, s: Int32 = 0
        try MPIError.check("MPI_Comm_rank", MPI_Comm_rank(world, &r))
        try MPIError.check("MPI_Comm_size", MPI_Comm_size(world, &s))
        rank = Int(r)
        size = Int(s)
    }

    deinit { finalize() }

    /// `MPI_Finalize`; idempotent.
    public func finalize() {
        guard !finalized else { return }
        finalized = true
        MPI_Finalize()
    }

    /// Ends every process of the job (`MPI_Abort`), for an error seen by one rank only.
    public func abort(code: Int32) -> Never {
        MPI_Abort(world, code)
        exit(code)
    }

    /// - Throws: ``MPIError`` when `MPI_Allreduce` fails.
    public func allReduceSum(_ values: UnsafeMutablePointer<Float>, count: Int) throws(MPIError) {
        try reduce(values, count: count, type: float)
    }

    /// - Throws: ``MPIError`` when `MPI_Allreduce` fails.
    public func allReduceSum(_ values: UnsafeMutablePointer<Double>, count: Int) throws(MPIError) {
        try reduce(values, count: count, type: double)
    }

    /// In place, in pieces of at most Int32.max elements (MPI counts are C ints).
    private func reduce<T>(_ values: UnsafeMutablePointer<T>, count: Int, type: MPI_Datatype) throws(MPIError) {
        var offset = 0
        while offset < count {
            let n = min(count - offset, Int(Int32.max))
            try MPIError.check("MPI_Allreduce", MPI_Allreduce(UnsafeRawPointer(bitPattern: 1), values + offset, Int32(n), type, sum, world))
            offset += n
        }
    }
}
#else
import Batchwise

/// Stand-in when Batchwise is built without the `MPI` trait: says how to get MPI support.
public final class MPIProcessGroup: ProcessGroup, @unchecked Sendable {
    public let rank = 0
    public let size = 1
    public static let isAvailable = false

    public init() throws(ConfigurationError) {
        throw ConfigurationError("this batchwise was built without MPI; rebuild with: swift build -c release --traits MPI (needs libopenmpi-dev)")
    }

    public func finalize() {}
    public func abort(code: Int32) -> Never { fatalError("MPI is not built in") }
    public func allReduceSum(_ values: UnsafeMutablePointer<Float>, count: Int) {}
    public func allReduceSum(_ values: UnsafeMutablePointer<Double>, count: Int) {}
}
#endif
