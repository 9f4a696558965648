import CBatchwiseKernels

/// The shifted products: forward and the input gradient of a stride-1 convolution without
/// im2col, one sample at a time.
///
/// With the sample zero-padded into planes of Hp × Wp (Hp = H + 2·padding, and so on), the
/// output at (i, j) is Σ over taps (a, b) of W_ab · x̃[i + a, j + b], W_ab [F × C] the weights of
/// one tap. Take the output on rows of Wp instead of W' (its last Wp − W' columns are of no
/// use): output position q = i·Wp + j reads x̃ at q + a·Wp + b, so the input a tap needs is the
/// padded planes themselves, offset by a·Wp + b — a matrix [C × H'·Wp] with leading dimension
/// Hp·Wp that sgemm reads in place. So:
/// - forward: Ŷw [F × H'·Wp] = Σ_taps W_ab · x̃(offset), kernel² sgemms of inner size C; then
///   the first W' columns of each row, plus the bias, are the output;
/// - input gradient: ∂x̃(offset) += W_abᵀ · Δw for each tap, Δw the output gradient on the same
///   wide rows (zero in the columns of no use, so they add nothing); then ∂x is ∂x̃'s interior;
/// - the weight gradient stays ∂W = Δ̂ · X̂ᵀ through im2col: as kernel² products of inner size
///   H'·Wp it was 1.2–1.4× slower (tools/blas-bench/shifted_conv.c).
/// sgemm packs its operands itself, so this does away with im2col's copy of every input value
/// kernel² times and col2im's sum back. On the CIFAR-shaped net's 3 × 3 convolutions over 32 or
/// 64 channels it took forward 15–30 % and the input gradient 7–23 % below im2col + sgemm, with
/// their copies; over 3 channels (products of inner size 3) it was twice as slow
/// (Benchmarks/README.md, "Convolutions"). Hence the rule `shiftsProducts`.
/// The wide planes read kernelWidth − 1 floats past the last plane (the last tap's last row);
/// the scratch keeps them zero.
extension ConvolutionGeometry {
    /// Whether forward and the input gradient run as shifted products: a 2-D kernel at stride 1
    /// over at least 32 input channels, whose wide output rows (Wp for W') add at most an eighth.
    /// A fixed rule by shape, so the bits never depend on timing.
    var shiftsProducts: Bool {
        strideHeight == 1 && strideWidth == 1 && kernelHeight > 1 && channels >= 32
            && 8 * (width + 2 * paddingWidth) <= 9 * outWidth
    }

    /// Hp and Wp: the padded input's sizes.
    var paddedHeight: Int { height + 2 * paddingHeight }
    var paddedWidth: Int { width + 2 * paddingWidth }

    /// H'·Wp: the output positions on wide rows.
    var widePositions: Int { outHeight * paddedWidth }

    /// Floats of the padded sample: C planes of Hp × Wp, and the kernelWidth − 1 the last tap
    /// reads past them.
    var paddedCount: Int { channels * paddedHeight * paddedWidth + kernelWidth - 1 }

    /// W [F × C × kh × kw] rearranged as kh·kw matrices W_ab [F × C], tap by tap.
    func arrangeByTap(_ weight: UnsafePointer<Float>, into taps: UnsafeMutablePointer<Float>) {
        let t = kernelHeight * kernelWidth, k = patch
        for f in 0..<filters {
            for c in 0..<channels {
                for tap in 0..<t { taps[(tap * filters + f) * channels + c] = weight[f * k + c * t + tap] }
            }
        }
    }

    /// y [n × F × H' × W'] = W ∗ x + b by the shifted products, sample by sample.
    func shiftedForward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count n: Int,
                        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let padded = scratch, wide = padded + columnsCount(1)
        let taps = wide + stagingCount(1) + ParameterTensor.aligned(patch * filters)
        let plane = paddedHeight * paddedWidth, q = widePositions
        arrangeByTap(weight, into: taps)
        let slack = padded + channels * plane
        for j in 0..<(kernelWidth - 1) { slack[j] = 0 }
        for s in 0..<n {
            bw_pad_planes(x + s * inputCount, padded, Int64(channels), Int64(height), Int64(width), Int64(paddingHeight),
                          Int64(paddingWidth), Int64(paddedHeight), Int64(paddedWidth))
            for a in 0..<kernelHeight {
                for b in 0..<kernelWidth {
                    let tap = a * kernelWidth + b
                    Gemm.sgemm(transposeA: false, transposeB: false, m: filters, n: q, k: channels, alpha: 1,
                               a: taps + tap * filters * channels, lda: channels, b: padded + a * paddedWidth + b, ldb: plane,
                               beta: tap == 0 ? 0 : 1, c: wide, ldc: q)
                }
            }
            bw_crop_planes(wide, y + s * outputCount, Int64(filters), Int64(q), Int64(paddedWidth), 0, 0, Int64(outHeight),
                           Int64(outWidth), bias)
        }
    }

    /// Writes one sample's ∂ℓ/∂x from its output gradient `delta` [F × H' × W'] by the shifted
    /// products; `taps` holds `arrangeByTap`'s weights, `padded` and `wide` are scratch.
    func shiftedInputGradient(_ delta: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>, taps: UnsafePointer<Float>,
                              padded: UnsafeMutablePointer<Float>, wide: UnsafeMutablePointer<Float>) {
        let plane = paddedHeight * paddedWidth, q = widePositions
        bw_pad_planes(delta, wide, Int64(filters), Int64(outHeight), Int64(outWidth), 0, 0, Int64(outHeight), Int64(paddedWidth))
        padded.update(repeating: 0, count: paddedCount)
        for a in 0..<kernelHeight {
            for b in 0..<kernelWidth {
                let tap = a * kernelWidth + b
                Gemm.sgemm(transposeA: true, transposeB: false, m: channels, n: q, k: filters, alpha: 1,
                           a: taps + tap * filters * channels, lda: channels, b: wide, ldb: q,
                           beta: 1, c: padded + a * paddedWidth + b, ldc: plane)
            }
        }
        bw_crop_planes(padded, dx, Int64(channels), Int64(plane), Int64(paddedWidth), Int64(paddingHeight), Int64(paddingWidth),
                       Int64(height), Int64(width), nil)
    }
}
