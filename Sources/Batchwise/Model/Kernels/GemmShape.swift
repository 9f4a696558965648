/// One single-precision matrix product of a training step, `C[m×n] (+)= op(A)[m×k] · op(B)[k×n]`,
/// row-major as `Gemm.sgemm` takes it: what the scaling benchmark times to know the limit a
/// step's products can reach.
public struct GemmShape: Sendable, Hashable, CustomStringConvertible {
    /// Whether A is stored transposed (`op(A) = Aᵀ`, stored k×m).
    public let transposeA: Bool
    /// Whether B is stored transposed (`op(B) = Bᵀ`, stored n×k).
    public let transposeB: Bool
    /// Rows of C and of op(A).
    public let m: Int
    /// Columns of C and of op(B).
    public let n: Int
    /// The inner dimension: columns of op(A), rows of op(B).
    public let k: Int
    /// Whether the product is added to C (beta 1) rather than written over it (beta 0).
    public let accumulates: Bool

    /// A product of these sizes; each size must be 0 or more.
    public init(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, accumulates: Bool) {
        precondition(m >= 0 && n >= 0 && k >= 0)
        self.transposeA = transposeA
        self.transposeB = transposeB
        self.m = m
        self.n = n
        self.k = k
        self.accumulates = accumulates
    }

    /// 2·m·n·k: one multiply and one add per term.
    public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }

    /// "NN m=512 n=1024 k=784": transposes of A and B, then the sizes.
    public var description: String {
        "\(transposeA ? "T" : "N")\(transposeB ? "T" : "N") m=\(m) n=\(n) k=\(k)"
    }

    /// The products `MLP.accumulateGradient` makes for a shard of `shard` samples, layer by
    /// layer: forward `A·W` (NN), weight gradient `Aᵀ·Δ` (TN), and the input gradient `Δ·Wᵀ`
    /// (NT) for every layer but the first, whose input gradient is never needed.
    public static func trainingStep(widths: [Int], shard: Int) -> [GemmShape] {
        precondition(widths.count >= 2 && shard >= 1)
        let layers = zip(widths.dropLast(), widths.dropFirst()).map { (inputs: $0, outputs: $1) }
        var shapes = layers.map {
            GemmShape(transposeA: false, transposeB: false, m: shard, n: $0.outputs, k: $0.inputs, accumulates: true)
        }
        for (l, layer) in layers.enumerated().reversed() {
            shapes.append(GemmShape(transposeA: true, transposeB: false, m: layer.inputs, n: layer.outputs, k: shard, accumulates: true))
            if l > 0 {
                shapes.append(GemmShape(transposeA: false, transposeB: true, m: shard, n: layer.inputs, k: layer.outputs, accumulates: false))
            }
        }
        return shapes
    }
}
