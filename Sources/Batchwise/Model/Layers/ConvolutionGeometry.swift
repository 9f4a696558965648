/// The sizes of one convolution (2-D; a 1-D one has height 1 and a 1-wide kernel
/// vertically) and the GEMM formulation both `Conv1D` and `Conv2D` run.
///
/// Over a shard of n samples with P = outHeight·outWidth output positions and a patch of
/// K = channels·kernelHeight·kernelWidth inputs:
/// - forward: im2col writes the columns X̂ [K × nP] (column s·P + p holds the patch under
///   output position p of sample s), one sgemm Ŷ [F × nP] = W [F × K] · X̂, then a scatter to
///   the sample-first output with the bias added;
/// - backward: Δ̂ [F × nP] gathered from ∂ℓ/∂y, ∂b += row sums of Δ̂, ∂W += Δ̂ · X̂ᵀ (one
///   sgemm), and — only when the input gradient is needed — X̂' = Wᵀ · Δ̂ (one sgemm, into
///   X̂'s place, which is no longer needed) and col2im adds it back onto ∂ℓ/∂x.
/// There is one kernel for every shape (no run-time choice), so bits never depend on timing.
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

    func scratchCount(samples n: Int) -> Int {
        ParameterTensor.aligned(patch * n * positions) + ParameterTensor.aligned(filters * n * positions)
    }

    /// ⌈a / b⌉ for b > 0, and 0 for a ≤ 0.
    @inline(__always)
    private static func ceilingNonNegative(_ a: Int, _ b: Int) -> Int { a <= 0 ? 0 : (a + b - 1) / b }

    /// The output columns ow whose input column ow·stride − padding + kj lies inside the input.
    @inline(__always)
    private func validColumns(_ kj: Int) -> Range<Int> {
        let lo = min(outWidth, Self.ceilingNonNegative(paddingWidth - kj, strideWidth))
        let hi = max(lo, min(outWidth, Self.ceilingNonNegative(width + paddingWidth - kj, strideWidth)))
        return lo..<hi
    }

    /// Calls `visitor` once for every line of X̂ [patch × n·positions] that one output row of
    /// one sample makes: for each patch row (c, ki, kj), each sample s and each output row oh,
    /// with the line's offset in X̂ (ow columns), the offset in x of the input row it reads
    /// (nil where that row lies in the padding), the output columns that read inside the input
    /// and the column shift kj − paddingWidth. One walk for im2col and col2im, so that the two
    /// are each other's transpose by construction.
    @inline(__always)
    private func forEachPatchLine<Visitor: PatchLineVisitor>(count n: Int, _ visitor: inout Visitor) {
        let p = positions, ld = n * p, plane = height * width, sample = channels * plane
        let ow = outWidth
        for c in 0..<channels {
            for ki in 0..<kernelHeight {
                for kj in 0..<kernelWidth {
                    let row = ((c * kernelHeight + ki) * kernelWidth + kj) * ld
                    let valid = validColumns(kj)
                    let shift = kj - paddingWidth
                    for s in 0..<n {
                        let source = s * sample + c * plane
                        for oh in 0..<outHeight {
                            let ih = oh * strideHeight - paddingHeight + ki
                            visitor.line(row + s * p + oh * ow, input: ih >= 0 && ih < height ? source + ih * width : nil,
                                         valid: valid, shift: shift)
                        }
                    }
                }
            }
        }
    }

    /// X̂ [patch × n·positions] from n samples of channels × height × width.
    func im2col(_ x: UnsafePointer<Float>, count n: Int, into columns: UnsafeMutablePointer<Float>) {
        var visitor = Im2colLine(x: x, columns: columns, outWidth: outWidth, stride: strideWidth)
        forEachPatchLine(count: n, &visitor)
    }

    /// Writes ∂ℓ/∂x: the columns' gradient [patch × n·positions] summed back onto the n input
    /// samples (zero where no patch reads).
    func col2im(_ columns: UnsafePointer<Float>, count n: Int, into dx: UnsafeMutablePointer<Float>) {
        dx.update(repeating: 0, count: n * channels * height * width)
        var visitor = Col2imLine(columns: columns, dx: dx, stride: strideWidth)
        forEachPatchLine(count: n, &visitor)
    }

    /// y [n × filters × positions] = W ∗ x + b, through im2col and one sgemm.
    func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count n: Int,
                 weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let p = positions, np = n * p, k = patch
        let columns = scratch, product = scratch + ParameterTensor.aligned(k * np)
        im2col(x, count: n, into: columns)
        Gemm.sgemm(transposeA: false, transposeB: false, m: filters, n: np, k: k, alpha: 1, a: weight, lda: k,
                   b: columns, ldb: np, beta: 0, c: product, ldc: np)
        for s in 0..<n {
            for f in 0..<filters {
                let source = product + f * np + s * p, target = y + (s * filters + f) * p
                let b = bias[f]
                for j in 0..<p { target[j] = source[j] + b }
            }
        }
    }

    /// Adds ∂W and ∂b and, when `dx` is given, writes ∂ℓ/∂x, after `forward` left X̂ in `scratch`.
    func backward(outputGradient dy: UnsafePointer<Float>, inputGradient dx: UnsafeMutablePointer<Float>?, count n: Int,
                  weight: UnsafePointer<Float>, weightGradient: UnsafeMutablePointer<Float>,
                  biasGradient: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let p = positions, np = n * p, k = patch
        let columns = scratch, delta = scratch + ParameterTensor.aligned(k * np)
        for s in 0..<n {
            for f in 0..<filters {
                (delta + f * np + s * p).update(from: dy + (s * filters + f) * p, count: p)
            }
        }
        for f in 0..<filters {
            let row = delta + f * np
            var sum: Float = 0
            for j in 0..<np { sum += row[j] }
            biasGradient[f] += sum
        }
        // ∂W [F × K] += Δ̂ [F × nP] · X̂ᵀ [nP × K]
        Gemm.sgemm(transposeA: false, transposeB: true, m: filters, n: k, k: np, alpha: 1, a: delta, lda: np,
                   b: columns, ldb: np, beta: 1, c: weightGradient, ldc: k)
        guard let dx else { return }
        // X̂' [K × nP] = Wᵀ [K × F] · Δ̂ [F × nP], over X̂ (read for the last time above).
        Gemm.sgemm(transposeA: true, transposeB: false, m: k, n: np, k: filters, alpha: 1, a: weight, lda: k,
                   b: delta, ldb: np, beta: 0, c: columns, ldc: np)
        col2im(columns, count: n, into: dx)
    }
}

/// What im2col or col2im does with one line of `ConvolutionGeometry.forEachPatchLine`. A
/// struct, so that the walk is specialised and inlined for it.
private protocol PatchLineVisitor {
    mutating func line(_ column: Int, input: Int?, valid: Range<Int>, shift: Int)
}

/// im2col: the line's columns are the input row's values under the kernel, 0 in the padding.
private struct Im2colLine: PatchLineVisitor {
    let x: UnsafePointer<Float>, columns: UnsafeMutablePointer<Float>
    let outWidth: Int, stride: Int

    @inline(__always)
    func line(_ column: Int, input: Int?, valid: Range<Int>, shift: Int) {
        let d = columns + column
        guard let input else {
            d.update(repeating: 0, count: outWidth)
            return
        }
        let line = x + input
        d.update(repeating: 0, count: valid.lowerBound)
        if stride == 1 {
            (d + valid.lowerBound).update(from: line + valid.lowerBound + shift, count: valid.count)
        } else {
            for o in valid { d[o] = line[o * stride + shift] }
        }
        (d + valid.upperBound).update(repeating: 0, count: outWidth - valid.upperBound)
    }
}

/// col2im: the line's columns are added back onto the input row's values they came from.
private struct Col2imLine: PatchLineVisitor {
    let columns: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>
    let stride: Int

    @inline(__always)
    func line(_ column: Int, input: Int?, valid: Range<Int>, shift: Int) {
        guard let input else { return }
        let d = columns + column
        let line = dx + input + shift
        for o in valid { line[o * stride] += d[o] }
    }
}
