import COpenBLAS

/// The one matrix-multiply interface the kernels use: single-precision GEMM on row-major data,
/// run single-threaded on the calling worker thread.
///
/// Backed by OpenBLAS (`cblas_sgemm`), chosen by measurement against BLIS and oneDNN
/// (see Benchmarks/README.md). Parallelism comes from Batchwise's own workers, so the BLAS's
/// own threading is switched off once, before the first call.
public enum Gemm {
    /// The library behind `sgemm`, for logs and benchmark reports.
    public static var backendName: String { configuration }

    private static let configuration: String = {
        openblas_set_num_threads(1)
        return String(cString: openblas_get_config())
    }()

    /// Makes the BLAS single-threaded. Idempotent; call before the first `sgemm` from workers.
    public static func prepare() { _ = configuration }

    /// `C[m×n] = alpha · op(A) · op(B) + beta · C`, all row-major. `op(A)` is m×k, `op(B)` k×n.
    @inline(__always)
    public static func sgemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if m == 0 || n == 0 { return }
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
