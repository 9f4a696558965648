import BatchwiseMPI
import Testing

/// MPI failures are a typed error that keeps the MPI code, its text and the function (the
/// mpirun runs themselves are in BatchwiseCLITests/MPITests).
@Suite struct MPIErrorTests {
    @Test func anMPIErrorNamesTheFunctionCodeAndText() {
        let error = MPIError(code: 2, text: "MPI_ERR_COUNT: invalid count argument", function: "MPI_Allreduce")
        #expect(error.description.hasPrefix("MPI_Allreduce failed with MPI error 2 (MPI_ERR_COUNT: invalid count argument); the job stops"))
        let start = MPIError(code: 16, text: "", function: "MPI_Init_thread")
        #expect(start.description == "MPI could not start: MPI_Init_thread failed with MPI error 16; run batchwise under mpirun")
    }

    /// Outside `MPI_Init`…`MPI_Finalize` (this test process never joins a job) Open MPI would
    /// end the process if asked for an error's text, so the text is left empty instead.
    @Test func anMPIErrorOutsideAJobHasNoTextAndDoesNotEndTheProcess() {
        let error = MPIError(code: 2, function: "MPI_Allreduce")
        #expect(error.code == 2)
        #expect(error.text == "")
        #expect(error.function == "MPI_Allreduce")
    }
}
