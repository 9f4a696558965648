/// The processes of a multi-process run (one per machine or socket, say), as the all-reduce
/// sees them: the seam where the hierarchical all-reduce leaves the process.
///
/// Inside a process, workers reduce their partial sums as usual; then one worker hands the
/// process's flat gradient sum and its scalar sums to `allReduceSum`, which must leave in
/// every process the element-wise sum over all processes. `BatchwiseMPI` implements it with
/// `MPI_Allreduce`. All processes call each method in the same order with the same counts.
public protocol ProcessGroup: AnyObject, Sendable {
    /// This process's index, 0..<size.
    var rank: Int { get }
    /// The number of processes in the group (1 or more).
    var size: Int { get }
    /// Sums `count` floats in place across all processes.
    ///
    /// - Throws: the transport's own error (`MPIError` for `MPIProcessGroup`) when the sum
    ///   could not be taken; the trainer then stops the job and rethrows it.
    func allReduceSum(_ values: UnsafeMutablePointer<Float>, count: Int) throws
    /// Sums `count` doubles in place across all processes.
    func allReduceSum(_ values: UnsafeMutablePointer<Double>, count: Int) throws
}
