/// What the bench tests of two targets (BatchwiseBenchTests, BatchwiseCLITests) both expect.
package enum BenchFixture {
    /// Every key of a `bench scaling` JSON row.
    package static let scalingJSONColumns = [
        "threads", "samples_per_second", "step_seconds_median", "step_seconds_p10", "step_seconds_p90", "speedup",
        "efficiency", "gflops", "peak_share", "executed_flops_per_sample", "executed_peak_share", "compute_share", "barrier_share", "allreduce_share", "other_share",
        "peak_rss_bytes", "peak_rss_cumulative", "sgemm_gflops_single_thread", "sgemm_shard", "baseline_threads",
        "batch_size", "layers", "model", "parameters", "data", "flops_per_sample", "step_seconds", "processing_units", "timed_steps", "warmup_steps",
        "placement", "all_reduce", "blas", "machine", "date",
    ]
}
