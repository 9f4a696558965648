/// The sgemm products a convolution makes on a shard, in the order its forward and backward
/// make them (see `ConvolutionGeometry` and, for stride-1 layers over 32 or more channels, the
/// shifted products): for tools that replay a step's products, such as the scaling benchmark's
/// sgemm rate. The shifted products read their input in place (leading dimension Hp·Wp); a
/// replay times them on packed operands of the same sizes.
public struct ConvolutionProducts: Sendable, Equatable {
    let geometry: ConvolutionGeometry

    /// The chunk sizes of a shard of `n` samples, in order.
    private func chunks(_ n: Int) -> [Int] {
        guard n > 0 else { return [] }
        let c = geometry.chunkSamples(n)
        return Array(repeating: c, count: n / c) + (n % c == 0 ? [] : [n % c])
    }

    private var taps: Int { geometry.kernelHeight * geometry.kernelWidth }

    /// Forward's products on a shard of `n`: per chunk Ŷ = W·X̂ (NN, F × cP × K), or per sample and
    /// tap Ŷw += W_ab · x̃ (NN, F × H'Wp × C) when shifting.
    public func forward(shard n: Int) -> [GemmShape] {
        let g = geometry
        if g.shiftsProducts {
            return (0..<(n * taps)).map {
                GemmShape(transposeA: false, transposeB: false, m: g.filters, n: g.widePositions, k: g.channels,
                          accumulates: $0 % taps > 0)
            }
        }
        return chunks(n).map { GemmShape(transposeA: false, transposeB: false, m: g.filters, n: $0 * g.positions, k: g.patch, accumulates: false) }
    }

    /// Backward's products on a shard of `n`, per chunk: ∂W += Δ̂·X̂ᵀ (NT, F × K × cP; for patches
    /// of 64 or more ∂Wᵀ (+)= X̂·Δ̂ᵀ, NT, K × F × cP) and, when `inputGradient`, X̂' = Wᵀ·Δ̂ (TN,
    /// K × cP × F) or, when shifting, per tap ∂x̃ += W_abᵀ · Δw (TN, C × H'Wp × F).
    public func backward(shard n: Int, inputGradient: Bool) -> [GemmShape] {
        let g = geometry
        var shapes: [GemmShape] = []
        for (i, m) in chunks(n).enumerated() {
            let np = m * g.positions
            shapes.append(g.transposesWeightGradient
                ? GemmShape(transposeA: false, transposeB: true, m: g.patch, n: g.filters, k: np, accumulates: i > 0)
                : GemmShape(transposeA: false, transposeB: true, m: g.filters, n: g.patch, k: np, accumulates: true))
            guard inputGradient else { continue }
            if g.shiftsProducts {
                shapes += Array(repeating: GemmShape(transposeA: true, transposeB: false, m: g.channels, n: g.widePositions, k: g.filters,
                                                     accumulates: true), count: taps)
            } else {
                shapes.append(GemmShape(transposeA: true, transposeB: false, m: g.patch, n: np, k: g.filters, accumulates: false))
            }
        }
        return shapes
    }
}
