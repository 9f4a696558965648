/// Inverted dropout: while training, each value is kept with probability 1 − p and scaled by
/// 1 / (1 − p), or set to 0; in evaluation and prediction it is the identity. Any shape;
/// no parameters; keeps its mask in the workspace.
///
/// The draws are keyed by the run's seed, the step, the sample's position in the epoch and
/// the layer (see `LayerRandomness`): value k of a sample is dropped when the 24-bit uniform
/// u_k = ⌊w_k / 2⁸⌋ / 2²⁴ of its Philox word w_k is below p. So a sample's mask does not
/// depend on which worker or shard computes it, and data-parallel training equals serial.
public struct Dropout: Layer {
    /// p, the chance that a value is dropped while training, in 0 ≤ p < 1.
    public let probability: Float
    private var width = 0

    /// `probability` is p, the chance that a value is dropped, in 0 ≤ p < 1.
    public init(_ probability: Float) { self.probability = probability }

    public var description: String { "Dropout(\(probability))" }

    public mutating func connect(input: TensorShape) throws(ConfigurationError) -> TensorShape {
        guard probability >= 0 && probability < 1 else {
            throw ConfigurationError("the drop \(parameter: "probability") must be at least 0 and below 1 (got \(probability))")
        }
        width = input.count
        return input
    }

    public func scratchCount(samples: Int) -> Int { samples * width }

    /// The mask's value for draw `word`: 0 or 1 / (1 − p).
    @inline(__always)
    static func maskValue(_ word: UInt32, probability p: Float, scale: Float) -> Float {
        Float(word >> 8) * 0x1p-24 < p ? 0 : scale
    }

    /// Writes each sample's mask into `mask` (`count × width`).
    func drawMask(_ mask: UnsafeMutablePointer<Float>, count: Int, randomness: LayerRandomness) {
        let p = probability, scale = 1 / (1 - probability)
        for row in 0..<count {
            let m = mask + row * width
            var block = 0, k = 0
            while k < width {
                let w = randomness.words(row: row, block: block)
                m[k] = Self.maskValue(w.0, probability: p, scale: scale)
                if k + 1 < width { m[k + 1] = Self.maskValue(w.1, probability: p, scale: scale) }
                if k + 2 < width { m[k + 2] = Self.maskValue(w.2, probability: p, scale: scale) }
                if k + 3 < width { m[k + 3] = Self.maskValue(w.3, probability: p, scale: scale) }
                block += 1
                k += 4
            }
        }
    }

    public func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, pass: LayerPass) {
        let n = pass.count * width
        guard let randomness = pass.randomness, probability > 0 else {
            y.update(from: x, count: n)
            return
        }
        drawMask(pass.scratch, count: pass.count, randomness: randomness)
        let mask = pass.scratch
        for i in 0..<n { y[i] = x[i] * mask[i] }
    }

    public func backward(input: UnsafePointer<Float>, output: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
                         inputGradient dx: UnsafeMutablePointer<Float>?, pass: LayerPass) {
        guard let dx else { return }
        let n = pass.count * width
        guard pass.randomness != nil, probability > 0 else {
            dx.update(from: dy, count: n)
            return
        }
        let mask = pass.scratch
        for i in 0..<n { dx[i] = dy[i] * mask[i] }
    }
}
