import CBatchwiseKernels

/// The sizes of one convolution (2-D; a 1-D one has height 1 and a 1-wide kernel
/// vertically) and the GEMM formulation both `Conv1D` and `Conv2D` run.
///
/// A shard of n samples is one chunk when its columns and products fit `keptBudget` (X̂ then
/// stays from forward to backward), and is otherwise cut into chunks of `chunkBudget`, rebuilt
/// in backward, so that a chunk stays in a core's caches. Over a chunk of c samples, with
/// P = outHeight·outWidth output positions and a patch of K = channels·kernelHeight·kernelWidth:
/// - forward: im2col writes the columns X̂ [K × cP] (column s·P + p holds the patch under
///   output position p of sample s), one sgemm Ŷ [F × cP] = W [F × K] · X̂, then a scatter to
///   the sample-first output with the bias added (a chunk of one sample is written in place:
///   its Ŷ is the output's layout);
/// - backward: Δ̂ [F × cP] gathered from ∂ℓ/∂y (one sample: ∂ℓ/∂y itself), ∂b += row sums of
///   Δ̂, X̂ again by im2col (unless kept), ∂W += Δ̂ · X̂ᵀ (one sgemm; for patches of 64 or more
///   ∂Wᵀ += X̂ · Δ̂ᵀ into scratch instead, its transpose added onto ∂W after the last chunk),
///   and — only when the input gradient is needed — X̂' = Wᵀ · Δ̂ (one sgemm, into X̂'s place)
///   and col2im adds it onto ∂ℓ/∂x.
/// Keeping a large shard's X̂ from forward to backward cost far more than rebuilding it: 75 MB a
/// worker for a 32-filter 3 × 3 convolution on 32 × 32 inputs at 64 samples, written and read
/// back from memory (Benchmarks/README.md, "Convolutions"). A plain direct kernel was measured
/// 1.3–12× slower than this on every convolution of the benchmark models, so none is used. A
/// stride-1 layer over 32 or more channels (`shiftsProducts`) runs forward and the input gradient
/// as shifted products over its zero-padded input instead (ConvolutionShifted.swift), a sample a
/// chunk; its weight gradient stays as above. The chunks and the rule depend only on the shape
/// and n, never on timing or the machine, so bits do not either.
struct ConvolutionGeometry: Sendable, Equatable {
    var channels = 0, height = 0, width = 0
    var filters = 0
    var kernelHeight = 0, kernelWidth = 0
    var strideHeight = 1, strideWidth = 1
    var paddingHeight = 0, paddingWidth = 0

    var outHeight: Int { (height + 2 * paddingHeight - kernelHeight) / strideHeight + 1 }
    var outWidth: Int { (width + 2 * paddingWidth - kernelWidth) / strideWidth + 1 }
    var positions: Int { outHeight * outWidth }
    var patch: Int { channels * kernelHeight * kernelWidth }
    var inputCount: Int { channels * height * width }
    var outputCount: Int { filters * positions }

    /// Floats a chunk's X̂ and Ŷ may take together: 32 KiB, about a core's L1 data cache. Of
    /// 2¹³, 2¹⁵ and 2¹⁷ floats, measured side by side (Benchmarks/README.md, "Convolutions"),
    /// this was as fast or faster on LeNet-5, the 1-D CNN and the CIFAR-shaped net; it makes
    /// most 2-D convolutions one sample a chunk, whose Ŷ is written in place.
    static let chunkBudget = 1 << 13

    /// Floats up to which a whole shard's X̂ and Ŷ are one chunk, kept from forward to backward
    /// (so backward does not rebuild X̂): 512 KiB, within a core's L2 cache. Small layers (the
    /// 1-D CNN's, 500 to 1 000 floats a sample) spent half their time in im2col and col2im
    /// when cut into chunks and rebuilt.
    static let keptBudget = 1 << 17

    /// Whether backward forms ∂Wᵀ = X̂ · Δ̂ᵀ (then added onto ∂W transposed) rather than
    /// ∂W = Δ̂ · X̂ᵀ: the same product, which OpenBLAS runs 1.1–1.7× as fast for patches of 64
    /// or more and up to 13 % slower for the small ones (5 to 27) of the models measured
    /// (tools/blas-bench/weight_gradient.c; Benchmarks/README.md, "Convolutions").
    var transposesWeightGradient: Bool { patch >= 64 }

    /// Floats of X̂ and Ŷ per sample.
    private var floatsPerSample: Int { max(1, (patch + filters) * positions) }

    /// This layer's chunking: shards up to `keptBudget` / floats a sample are kept whole, larger
    /// ones cut into `chunkBudget` / floats a sample (at least 1); a layer that `shiftsProducts`
    /// goes one sample at a time and never keeps its columns (its forward builds none).
    var chunking: ConvolutionChunking {
        if shiftsProducts { return ConvolutionChunking(keptUpTo: 0, chunk: 1) }
        return ConvolutionChunking(keptUpTo: Self.keptBudget / floatsPerSample, chunk: max(1, Self.chunkBudget / floatsPerSample))
    }

    /// Samples per chunk for a shard of `n` (see `ConvolutionChunking`).
    func chunkSamples(_ n: Int) -> Int { chunking.samples(shard: n) }

    /// Whether a shard of `n` is one chunk whose X̂ `forward` leaves for `backward`.
    func keepsColumns(_ n: Int) -> Bool { n <= chunking.keptUpTo }

    /// Room for the largest chunk of any shard up to `n` samples: its columns, its products, ∂Wᵀ
    /// and (when shifting products) the weights by tap.
    func scratchCount(samples n: Int) -> Int {
        let c = max(min(n, chunking.keptUpTo), chunkSamples(n))
        return columnsCount(c) + stagingCount(c) + ParameterTensor.aligned(patch * filters) * (shiftsProducts ? 2 : 1)
    }

    /// Floats of scratch for X̂ of a chunk of c samples (and, when shifting, the padded sample or
    /// its gradient, which take its place), aligned.
    func columnsCount(_ c: Int) -> Int {
        ParameterTensor.aligned(max(patch * c * positions, shiftsProducts ? paddedCount : 0))
    }

    /// Floats of scratch for Ŷ or Δ̂ of a chunk of c samples (and, when shifting, the wide product
    /// or gradient), aligned.
    func stagingCount(_ c: Int) -> Int {
        ParameterTensor.aligned(max(filters * c * positions, shiftsProducts ? filters * widePositions : 0))
    }

    /// Calls `body(first, count)` for the chunks of a shard of `n` samples, in order.
    @inline(__always)
    private func forEachChunk(of n: Int, _ body: (_ first: Int, _ count: Int) -> Void) {
        let c = chunkSamples(n)
        var first = 0
        while first < n {
            let m = min(c, n - first)
            body(first, m)
            first += m
        }
    }

    /// X̂ [patch × n·positions] from n samples of channels × height × width (the C kernel
    /// `bw_im2col`: a line is 5 to 32 floats, and a copy call per line cost more than the copy).
    func im2col(_ x: UnsafePointer<Float>, count n: Int, into columns: UnsafeMutablePointer<Float>) {
        bw_im2col(x, columns, Int64(n), Int64(channels), Int64(height), Int64(width), Int64(kernelHeight), Int64(kernelWidth),
                  Int64(strideHeight), Int64(strideWidth), Int64(paddingHeight), Int64(paddingWidth))
    }

    /// Writes ∂ℓ/∂x: the columns' gradient [patch × n·positions] summed back onto the n input
    /// samples (zero where no patch reads); `bw_col2im`, im2col's transpose line by line.
    func col2im(_ columns: UnsafePointer<Float>, count n: Int, into dx: UnsafeMutablePointer<Float>) {
        bw_col2im(columns, dx, Int64(n), Int64(channels), Int64(height), Int64(width), Int64(kernelHeight), Int64(kernelWidth),
                  Int64(strideHeight), Int64(strideWidth), Int64(paddingHeight), Int64(paddingWidth))
    }

    /// y [n × filters × positions] = W ∗ x + b, through im2col and one sgemm per chunk.
    func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count n: Int,
                 weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        if shiftsProducts { return shiftedForward(x, into: y, count: n, weight: weight, bias: bias, scratch: scratch) }
        let p = positions, k = patch, c = chunkSamples(n)
        let columns = scratch, staging = scratch + columnsCount(c)
        forEachChunk(of: n) { first, m in
            let np = m * p, out = y + first * outputCount
            im2col(x + first * inputCount, count: m, into: columns)
            // One sample's Ŷ [F × P] is its output; more are interleaved by filter and scattered.
            let product = m == 1 ? out : staging
            Gemm.sgemm(transposeA: false, transposeB: false, m: filters, n: np, k: k, alpha: 1, a: weight, lda: k,
                       b: columns, ldb: np, beta: 0, c: product, ldc: np)
            for s in 0..<m {
                for f in 0..<filters {
                    let source = product + f * np + s * p, target = out + s * outputCount + f * p
                    let b = bias[f]
                    for j in 0..<p { target[j] = source[j] + b }
                }
            }
        }
    }

    /// Adds ∂W and ∂b and, when `dx` is given, writes ∂ℓ/∂x; `x` is the input `forward` took.
    func backward(input x: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>, inputGradient dx: UnsafeMutablePointer<Float>?,
                  count n: Int, weight: UnsafePointer<Float>, weightGradient: UnsafeMutablePointer<Float>,
                  biasGradient: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let p = positions, k = patch, c = chunkSamples(n)
        let columns = scratch, staging = scratch + columnsCount(c)
        let transposed = staging + stagingCount(c), taps = transposed + ParameterTensor.aligned(k * filters)
        // No samples, no gradient (and ∂Wᵀ's scratch below would hold no sum to add).
        guard n > 0 else { return }
        if shiftsProducts && dx != nil { arrangeByTap(weight, into: taps) }
        forEachChunk(of: n) { first, m in
            let np = m * p, gradient = dy + first * outputCount
            let delta: UnsafePointer<Float>
            if m == 1 {
                delta = gradient
            } else {
                for s in 0..<m {
                    for f in 0..<filters {
                        (staging + f * np + s * p).update(from: gradient + s * outputCount + f * p, count: p)
                    }
                }
                delta = UnsafePointer(staging)
            }
            bw_row_sums(delta, Int64(filters), Int64(np), Int64(np), biasGradient)
            // One kept chunk: X̂ is still there from forward.
            if !keepsColumns(n) { im2col(x + first * inputCount, count: m, into: columns) }
            if transposesWeightGradient {
                // ∂Wᵀ [K × F] (+)= X̂ [K × cP] · Δ̂ᵀ [cP × F] over the chunks, added onto ∂W below.
                Gemm.sgemm(transposeA: false, transposeB: true, m: k, n: filters, k: np, alpha: 1, a: columns, lda: np,
                           b: delta, ldb: np, beta: first == 0 ? 0 : 1, c: transposed, ldc: filters)
            } else {
                // ∂W [F × K] += Δ̂ [F × cP] · X̂ᵀ [cP × K]
                Gemm.sgemm(transposeA: false, transposeB: true, m: filters, n: k, k: np, alpha: 1, a: delta, lda: np,
                           b: columns, ldb: np, beta: 1, c: weightGradient, ldc: k)
            }
            guard let dx else { return }
            if shiftsProducts {
                return shiftedInputGradient(delta, into: dx + first * inputCount, taps: taps, padded: columns, wide: staging)
            }
            // X̂' [K × cP] = Wᵀ [K × F] · Δ̂ [F × cP], over X̂ (read for the last time above).
            Gemm.sgemm(transposeA: true, transposeB: false, m: k, n: np, k: filters, alpha: 1, a: weight, lda: k,
                       b: delta, ldb: np, beta: 0, c: columns, ldc: np)
            col2im(columns, count: m, into: dx + first * inputCount)
        }
        guard transposesWeightGradient else { return }
        for f in 0..<filters {
            let row = weightGradient + f * k
            for j in 0..<k { row[j] += transposed[j * filters + f] }
        }
    }
}

/// How a convolution cuts a shard into chunks (`Conv2D.chunking`): a shard of up to `keptUpTo`
/// samples is one chunk, whose columns are kept from forward to backward; a larger one is cut
/// into chunks of `chunk` samples (the last may be shorter), rebuilt in backward. A function of
/// the layer's shape only, so the bits of a step never depend on timing or the machine.
public struct ConvolutionChunking: Sendable, Equatable {
    /// The largest shard run as one chunk with its columns kept.
    public let keptUpTo: Int
    /// Samples per chunk of a larger shard, at least 1.
    public let chunk: Int

    /// Samples per chunk for a shard of `shard` samples.
    public func samples(shard: Int) -> Int { shard <= keptUpTo ? shard : min(shard, chunk) }
}
