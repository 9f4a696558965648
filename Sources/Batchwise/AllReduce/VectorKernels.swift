import CBatchwiseKernels

/// The instruction set the all-reduce and optimizer loops (`CBatchwiseKernels`) run with: the
/// best this CPU supports, chosen at run time. Every level gives the same bits.
public enum VectorKernels {
    /// "AVX-512", "AVX2" or "baseline".
    public static var level: String { name(bw_kernels_level()) }

    static func name(_ level: Int32) -> String {
        switch level {
        case Int32(BW_KERNELS_AVX512): "AVX-512"
        case Int32(BW_KERNELS_AVX2): "AVX2"
        default: "baseline"
        }
    }
}
