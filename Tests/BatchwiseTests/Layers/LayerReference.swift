import Foundation
@testable import Batchwise
import BatchwiseTestSupport

/// Direct, naive float64 loops for every built-in layer, one sample at a time, written from
/// the layers' definitions (as PyTorch states them) and sharing no code with the engine's
/// kernels: no im2col, no GEMM, no arg-max bookkeeping. The layer tests compare the engine's
/// float32 results with these and take finite differences of them.
enum LayerReference {
    /// The output of connected `layer` for one sample `x` of shape `input`, with the layer's
    /// parameter block `theta` (its tensors laid as `ParameterTensor.layout` says), and — for
    /// dropout while training — the layer's draws and the sample's row in its shard.
    static func forward(_ layer: any Layer, _ x: [Double], input: TensorShape, theta: [Double],
                        randomness: LayerRandomness?, row: Int) -> [Double] {
        let (offsets, _) = ParameterTensor.layout(layer.parameterTensors)
        func tensor(_ j: Int) -> ArraySlice<Double> {
            let t = layer.parameterTensors[j]
            return theta[offsets[j] ..< offsets[j] + t.shape.count]
        }
        switch layer {
        case let d as Dense:
            let w = tensor(0), b = tensor(1), i = input[0]
            return (0..<d.units).map { o in b[b.startIndex + o] + (0..<i).reduce(0.0) { $0 + w[w.startIndex + o * i + $1] * x[$1] } }
        case let c as Conv2D:
            let (ch, h, wd) = input.rank == 3 ? (input[0], input[1], input[2]) : (1, input[0], input[1])
            return convolution(x, channels: ch, height: h, width: wd, filters: c.filters, kh: c.kernel, kw: c.kernel,
                               sh: c.stride, sw: c.stride, ph: c.padding, pw: c.padding, w: tensor(0), b: tensor(1))
        case let c as Conv1D:
            let (ch, l) = input.rank == 2 ? (input[0], input[1]) : (1, input[0])
            return convolution(x, channels: ch, height: 1, width: l, filters: c.filters, kh: 1, kw: c.kernel,
                               sh: 1, sw: c.stride, ph: 0, pw: c.padding, w: tensor(0), b: tensor(1))
        case let p as MaxPool2D:
            let (ch, h, w) = input.rank == 3 ? (input[0], input[1], input[2]) : (1, input[0], input[1])
            return pool(x, channels: ch, height: h, width: w, kh: p.size, kw: p.size, sh: p.stride, sw: p.stride) { $0.max()! }
        case let p as MaxPool1D:
            let (ch, l) = input.rank == 2 ? (input[0], input[1]) : (1, input[0])
            return pool(x, channels: ch, height: 1, width: l, kh: 1, kw: p.size, sh: 1, sw: p.stride) { $0.max()! }
        case let p as AvgPool2D:
            let (ch, h, w) = input.rank == 3 ? (input[0], input[1], input[2]) : (1, input[0], input[1])
            return pool(x, channels: ch, height: h, width: w, kh: p.size, kw: p.size, sh: p.stride, sw: p.stride) {
                $0.reduce(0, +) / Double($0.count)
            }
        case is GlobalAvgPool:
            let c = input[0], s = input.count / c
            return (0..<c).map { ch in (0..<s).reduce(0.0) { $0 + x[ch * s + $1] } / Double(s) }
        case is Flatten, is Reshape:
            return x
        case is ReLU: return x.map { max($0, 0) }
        case let l as LeakyReLU: return x.map { $0 > 0 ? $0 : Double(l.slope) * $0 }
        case is GELU: return x.map { 0.5 * $0 * (1 + Foundation.erf($0 / 2.0.squareRoot())) }
        case is Tanh: return x.map { Foundation.tanh($0) }
        case is Sigmoid: return x.map { 1 / (1 + Foundation.exp(-$0)) }
        case let d as Dropout:
            guard let randomness, d.probability > 0 else { return x }
            // Value k is kept when its 24-bit uniform is at least p, then scaled by 1/(1 − p).
            return x.indices.map { k in
                let w = randomness.words(row: row, block: k / 4)
                let word = [w.0, w.1, w.2, w.3][k % 4]
                let u = Double(word >> 8) / Double(1 << 24)
                return u < Double(d.probability) ? 0 : x[k] / (1 - Double(d.probability))
            }
        case is LayerNorm:
            let n = Double(x.count)
            let mean = x.reduce(0, +) / n
            let variance = x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
            let g = tensor(0), b = tensor(1)
            return x.indices.map { (x[$0] - mean) / (variance + 1e-5).squareRoot() * g[g.startIndex + $0] + b[b.startIndex + $0] }
        case let r as Residual:
            let inner = r.chain!
            let f = chain(inner, x, theta: Array(theta[0..<inner.parameterCount]), randomness: randomness, row: row)
            return zip(x, f).map(+)
        case is ChannelAffine:
            let c = input[0], s = input.count / c, g = tensor(0), b = tensor(1)
            return x.indices.map { x[$0] * g[g.startIndex + $0 / s] + b[b.startIndex + $0 / s] }
        default:
            fatalError("no reference for \(layer)")
        }
    }

    /// The output of every layer of `chain` in turn, each layer's draws on its own stream
    /// under the chain's (as `LayerChain` derives them).
    static func chain(_ chain: LayerChain, _ x: [Double], theta: [Double], randomness: LayerRandomness?, row: Int) -> [Double] {
        var a = x
        for (i, layer) in chain.layers.enumerated() {
            let block = Array(theta[chain.blockStarts[i] ..< chain.blockStarts[i + 1]])
            let r = randomness.map { LayerRandomness(position: $0.position, stream: LayerChain.stream($0.stream, i)) }
            a = forward(layer, a, input: chain.shapes[i], theta: block, randomness: r, row: row)
        }
        return a
    }

    /// y[f, oh, ow] = b[f] + Σ_{c, i, j} w[f, c, i, j] · x[c, oh·sh − ph + i, ow·sw − pw + j],
    /// x taken as 0 outside the input.
    static func convolution(_ x: [Double], channels: Int, height: Int, width: Int, filters: Int, kh: Int, kw: Int,
                            sh: Int, sw: Int, ph: Int, pw: Int, w: ArraySlice<Double>, b: ArraySlice<Double>) -> [Double] {
        let oh = (height + 2 * ph - kh) / sh + 1, ow = (width + 2 * pw - kw) / sw + 1
        var y = [Double](repeating: 0, count: filters * oh * ow)
        for f in 0..<filters {
            for r in 0..<oh {
                for s in 0..<ow {
                    var sum = b[b.startIndex + f]
                    for c in 0..<channels {
                        for i in 0..<kh {
                            for j in 0..<kw {
                                let ih = r * sh - ph + i, iw = s * sw - pw + j
                                guard ih >= 0 && ih < height && iw >= 0 && iw < width else { continue }
                                sum += w[w.startIndex + ((f * channels + c) * kh + i) * kw + j] * x[(c * height + ih) * width + iw]
                            }
                        }
                    }
                    y[(f * oh + r) * ow + s] = sum
                }
            }
        }
        return y
    }

    /// `reduce` over each window of each channel, without padding.
    static func pool(_ x: [Double], channels: Int, height: Int, width: Int, kh: Int, kw: Int, sh: Int, sw: Int,
                     reduce: ([Double]) -> Double) -> [Double] {
        let oh = (height - kh) / sh + 1, ow = (width - kw) / sw + 1
        var y: [Double] = []
        for c in 0..<channels {
            for r in 0..<oh {
                for s in 0..<ow {
                    var window: [Double] = []
                    for i in 0..<kh { for j in 0..<kw { window.append(x[(c * height + r * sh + i) * width + s * sw + j]) } }
                    y.append(reduce(window))
                }
            }
        }
        return y
    }
}

/// A user-written layer, defined here in the test target and plugged in through the `Layer`
/// protocol alone: a learnable scale and shift per channel, y[c, …] = γ_c · x[c, …] + β_c.
struct ChannelAffine: Layer {
    private var channels = 0, positions = 0

    var description: String { "ChannelAffine()" }

    mutating func connect(input: TensorShape) throws(ConfigurationError) -> TensorShape {
        guard input.rank >= 2 else { throw ConfigurationError("ChannelAffine needs channels × positions") }
        channels = input[0]
        positions = input.count / channels
        return input
    }

    var parameterTensors: [ParameterTensor] {
        [ParameterTensor("scale", shape: [channels], initializer: .ones), ParameterTensor("shift", shape: [channels], initializer: .zeros)]
    }

    func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, pass: LayerPass) {
        let g = pass.parameter(0), b = pass.parameter(1)
        for s in 0..<pass.count {
            for c in 0..<channels {
                let base = (s * channels + c) * positions
                for j in 0..<positions { y[base + j] = g[c] * x[base + j] + b[c] }
            }
        }
    }

    func backward(input x: UnsafePointer<Float>, output: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
                  inputGradient dx: UnsafeMutablePointer<Float>?, pass: LayerPass) {
        let g = pass.parameter(0), dg = pass.gradient(0), db = pass.gradient(1)
        for s in 0..<pass.count {
            for c in 0..<channels {
                let base = (s * channels + c) * positions
                for j in 0..<positions {
                    dg[c] += dy[base + j] * x[base + j]
                    db[c] += dy[base + j]
                    dx?[base + j] = g[c] * dy[base + j]
                }
            }
        }
    }
}
