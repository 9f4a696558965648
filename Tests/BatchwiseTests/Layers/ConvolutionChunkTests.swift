import BatchwiseTestSupport
import Testing
@testable import Batchwise

/// A convolution over a shard too large to keep whole (`ConvolutionGeometry.keptBudget`), cut
/// into several chunks (`ConvolutionGeometry.chunkSamples`), the last one shorter, against naive float64 loops for the forward output, the weight and
/// bias gradients and the input gradient of the whole shard. The per-layer tests of
/// `LayerGradientTests` run 3 small samples, one chunk kept from forward to backward; these do not.
@Suite struct ConvolutionChunkTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let layer: any Layer
        let input: TensorShape
        let samples: Int
        var testDescription: String { "\(layer) on \(input), \(samples) samples" }
    }

    static let cases: [Case] = [
        // (18 + 3) · 10·17 = 3 570 floats a sample, 37 samples over the kept budget: chunks of 2, then 1.
        Case(layer: Conv2D(3, kernel: 3, stride: 2, padding: 1), input: [2, 20, 34], samples: 37),
        // (9 + 2) · 64·64 floats a sample, more than the budget: one sample a chunk.
        Case(layer: Conv2D(2, kernel: 3, padding: 1), input: [1, 64, 64], samples: 3),
        // (15 + 4) · 150 = 2 850 floats a sample, 47 samples: chunks of 2, then 1.
        Case(layer: Conv1D(4, kernel: 5, stride: 2, padding: 2), input: [3, 300], samples: 47),
        // Lines of 1 100 + 2 padding floats, over the 1-D walk's limit (LINE_1D_LIMIT in layers.c,
        // 1 024): the general walk; (3 + 2) · 550 = 2 750 floats a sample, 50 samples: chunks of 2.
        Case(layer: Conv1D(2, kernel: 3, stride: 2, padding: 1), input: [1, 1100], samples: 50),
        // A patch of 8·3·3 = 72 (≥ 64: ∂W formed transposed, summed over the chunks), (72 + 3) ·
        // 144 = 10 800 floats a sample, 13 samples over the kept budget: one sample a chunk.
        Case(layer: Conv2D(3, kernel: 3, padding: 1), input: [8, 12, 12], samples: 13),
        // Stride 1 over 32 or more channels: the shifted products (ConvolutionShifted.swift), one
        // sample a chunk. A 5 × 5 kernel on an odd plane (wide rows of 41 for 37 outputs); a
        // 3 × 3 one without padding over 33 channels; a 2 × 2 one whose padding the kernel does
        // not cover (4 × 18 outputs from 3 × 17).
        Case(layer: Conv2D(5, kernel: 5, padding: 2), input: [32, 9, 37], samples: 3),
        Case(layer: Conv2D(3, kernel: 3), input: [33, 7, 20], samples: 2),
        Case(layer: Conv2D(2, kernel: 2, padding: 1), input: [32, 3, 17], samples: 3),
    ]

    /// The geometry of the case's connected layer, its sizes in the 2-D form (a 1-D one is 1 high).
    static func geometry(_ c: Case) throws -> ConvolutionGeometry {
        var layer = c.layer
        let output = try layer.connect(input: c.input)
        let (channels, height, width) = c.input.rank == 3 ? (c.input[0], c.input[1], c.input[2]) : (c.input[0], 1, c.input[1])
        let (kernel, stride, padding, filters): (Int, Int, Int, Int)
        if let conv = layer as? Conv2D {
            (kernel, stride, padding, filters) = (conv.kernel, conv.stride, conv.padding, conv.filters)
            return ConvolutionGeometry(channels: channels, height: height, width: width, filters: filters, kernelHeight: kernel,
                                       kernelWidth: kernel, strideHeight: stride, strideWidth: stride, paddingHeight: padding,
                                       paddingWidth: padding)
        }
        let conv = try #require(layer as? Conv1D)
        #expect(output[0] == conv.filters)
        return ConvolutionGeometry(channels: channels, height: 1, width: width, filters: conv.filters, kernelHeight: 1,
                                   kernelWidth: conv.kernel, strideHeight: 1, strideWidth: conv.stride, paddingHeight: 0,
                                   paddingWidth: conv.padding)
    }

    @Test(arguments: cases)
    func aShardOfSeveralChunksMatchesTheNaiveLoops(_ c: Case) throws {
        let g = try Self.geometry(c)
        let chunk = g.chunkSamples(c.samples)
        #expect(chunk < c.samples, "the case must cut the shard into several chunks")
        let h = try LayerHarness(c.layer, input: c.input)
        var values = TestValues(seed: 77)
        let weights = values.normal(g.filters * g.patch).map { 0.5 * $0 }, bias = values.normal(g.filters)
        var theta = [Float](repeating: 0, count: h.chain.parameterCount)
        let offsets = ParameterTensor.layout(h.chain.tensors).offsets
        for (k, v) in weights.enumerated() { theta[offsets[0] + k] = v }
        for (k, v) in bias.enumerated() { theta[offsets[1] + k] = v }
        let x = values.normal(c.samples * g.inputCount), dy = values.uniform(c.samples * g.outputCount)
        let run = h.run(theta: theta, x: x, count: c.samples, capacity: c.samples + 1, dy: dy, position: nil)

        let (oh, ow, p) = (g.outHeight, g.outWidth, g.positions)
        var y = [Double](repeating: 0, count: c.samples * g.outputCount)
        var dw = [Double](repeating: 0, count: weights.count), db = [Double](repeating: 0, count: g.filters)
        var dx = [Double](repeating: 0, count: x.count)
        // Σ|term| of every sum: the scale of its float32 rounding error (|fl(Σ) − Σ| ≤ γₙ·Σ|term|).
        var yScale = [Double](repeating: 0, count: y.count), dwScale = [Double](repeating: 0, count: dw.count)
        var dbScale = [Double](repeating: 0, count: db.count), dxScale = [Double](repeating: 0, count: dx.count)
        // Every (sample, filter, output position, patch entry) pair, once: y, ∂W, ∂b and ∂x together.
        for s in 0..<c.samples {
            for f in 0..<g.filters {
                for r in 0..<oh {
                    for q in 0..<ow {
                        let o = s * g.outputCount + f * p + r * ow + q
                        var sum = Double(bias[f]), scale = abs(Double(bias[f]))
                        db[f] += Double(dy[o])
                        dbScale[f] += abs(Double(dy[o]))
                        for ch in 0..<g.channels {
                            for i in 0..<g.kernelHeight {
                                for j in 0..<g.kernelWidth {
                                    let ih = r * g.strideHeight - g.paddingHeight + i, iw = q * g.strideWidth - g.paddingWidth + j
                                    guard ih >= 0 && ih < g.height && iw >= 0 && iw < g.width else { continue }
                                    let wi = ((f * g.channels + ch) * g.kernelHeight + i) * g.kernelWidth + j
                                    let xi = s * g.inputCount + (ch * g.height + ih) * g.width + iw
                                    sum += Double(weights[wi]) * Double(x[xi])
                                    scale += abs(Double(weights[wi]) * Double(x[xi]))
                                    dw[wi] += Double(dy[o]) * Double(x[xi])
                                    dwScale[wi] += abs(Double(dy[o]) * Double(x[xi]))
                                    dx[xi] += Double(dy[o]) * Double(weights[wi])
                                    dxScale[xi] += abs(Double(dy[o]) * Double(weights[wi]))
                                }
                            }
                        }
                        y[o] = sum
                        yScale[o] = scale
                    }
                }
            }
        }
        // Each error against its sum's Σ|term|: float32 sums of up to 7 050 terms (∂W here) in any
        // order stay within about 2e-7 of that scale (measured: 1e-9 to 2.1e-7), while a lost or doubled chunk, tap or
        // sample moves a sum by a share of it of order 1e-2. (Against max(1, |sum|) instead, a
        // ∂W entry whose terms cancel to near 0 fails on some BLAS kernels: 2.08e-5 on Zen 2.)
        func worst(_ engine: some Collection<Float>, _ reference: [Double], _ scale: [Double]) -> Double {
            zip(zip(engine, reference), scale).map { abs(Double($0.0) - $0.1) / max($1, 1e-30) }.max() ?? 0
        }
        let tolerance = 2e-6
        #expect(worst(run.y, y, yScale) < tolerance, "forward")
        #expect(worst(run.gradient[offsets[0]..<(offsets[0] + weights.count)], dw, dwScale) < tolerance, "weight gradient")
        #expect(worst(run.gradient[offsets[1]..<(offsets[1] + g.filters)], db, dbScale) < tolerance, "bias gradient")
        #expect(worst(try #require(run.dx), dx, dxScale) < tolerance, "input gradient")
    }

    /// The chunk size depends on the shape and the shard only: the whole shard up to the kept
    /// budget, then the chunk budget's worth (at least 1); the scratch for a shard holds the
    /// chunk of every smaller one.
    @Test func theChunkSizeIsBoundedByTheShardAndTheBudget() throws {
        let g = try Self.geometry(Self.cases[0])
        let perSample = (g.patch + g.filters) * g.positions
        #expect(g.chunkSamples(1) == 1 && g.keepsColumns(1))
        let kept = ConvolutionGeometry.keptBudget / perSample
        #expect(g.chunking == ConvolutionChunking(keptUpTo: kept, chunk: ConvolutionGeometry.chunkBudget / perSample))
        #expect(g.chunkSamples(kept) == kept && g.keepsColumns(kept))
        #expect(g.chunkSamples(kept + 1) == ConvolutionGeometry.chunkBudget / perSample && !g.keepsColumns(kept + 1))
        #expect(g.chunkSamples(1000) == ConvolutionGeometry.chunkBudget / perSample)
        for n in 1...100 {
            #expect(g.scratchCount(samples: n) >= g.scratchCount(samples: max(1, n - 1)))
            #expect(g.scratchCount(samples: n) >= g.chunkSamples(n) * perSample)
        }
        let wide = try Self.geometry(Self.cases[1])
        #expect(wide.chunkSamples(1000) == 1 && wide.chunkSamples(2) == 2)
    }

    /// The shifted products are a rule by shape: stride 1, a 2-D kernel, 32 channels or more,
    /// wide rows at most an eighth longer; they go one sample a chunk and keep no columns.
    @Test func theShiftedProductsAreARuleByShape() throws {
        func geometry(_ c: Int, _ h: Int, _ w: Int, kernel: Int = 3, stride: Int = 1, padding: Int = 1) -> ConvolutionGeometry {
            ConvolutionGeometry(channels: c, height: h, width: w, filters: 8, kernelHeight: kernel, kernelWidth: kernel,
                                strideHeight: stride, strideWidth: stride, paddingHeight: padding, paddingWidth: padding)
        }
        // The CIFAR-shaped net's second to fourth convolutions shift; its first (3 channels) does not.
        #expect(geometry(32, 32, 32).shiftsProducts && geometry(32, 16, 16).shiftsProducts && geometry(64, 16, 16).shiftsProducts)
        #expect(!geometry(3, 32, 32).shiftsProducts && !geometry(31, 32, 32).shiftsProducts)
        #expect(!geometry(32, 32, 32, stride: 2).shiftsProducts)
        // 8 × 8 with padding 1: rows of 10 for 8 outputs, a quarter more.
        #expect(!geometry(32, 8, 8).shiftsProducts)
        // A 1-D convolution (a kernel one row high) keeps im2col.
        #expect(!ConvolutionGeometry(channels: 64, height: 1, width: 100, filters: 8, kernelHeight: 1, kernelWidth: 3,
                                     strideHeight: 1, strideWidth: 1, paddingHeight: 0, paddingWidth: 1).shiftsProducts)
        let g = geometry(32, 16, 16)
        #expect(g.chunkSamples(1) == 1 && !g.keepsColumns(1) && g.chunkSamples(64) == 1)
        for c in Self.cases.suffix(3) { #expect(try Self.geometry(c).shiftsProducts, "\(c.testDescription)") }
    }

    /// A shard of no samples leaves the gradients as they were, on both weight-gradient forms
    /// (a patch of 72 sums ∂Wᵀ in scratch, which then holds nothing to add) and the shifted products.
    @Test func aShardOfNoSamplesAddsNothing() throws {
        for c in [Self.cases[0], Self.cases[3], Self.cases[5]] {
            let h = try LayerHarness(c.layer, input: c.input)
            var values = TestValues(seed: 5)
            let theta = values.normal(h.chain.parameterCount)
            let run = h.run(theta: theta, x: [], count: 0, capacity: 4, dy: [], position: nil)
            #expect(run.gradient.allSatisfy { $0 == 0 }, "\(c.testDescription)")
        }
    }
}
