/// The sizes of one pooling (2-D; a 1-D one has height 1 and a 1-high window) and its
/// max and average kernels, over windows without padding, as PyTorch's defaults:
/// H' = ⌊(H − window) / stride⌋ + 1.
struct PoolingGeometry: Sendable, Equatable {
    var channels = 0, height = 0, width = 0
    var windowHeight = 1, windowWidth = 1
    var strideHeight = 1, strideWidth = 1

    var outHeight: Int { (height - windowHeight) / strideHeight + 1 }
    var outWidth: Int { (width - windowWidth) / strideWidth + 1 }
    var inputCount: Int { channels * height * width }
    var outputCount: Int { channels * outHeight * outWidth }

    /// The size and stride arguments of a pooling layer, checked.
    static func checkArguments(size: Int, stride: Int) throws(ConfigurationError) {
        guard size >= 1 else { throw ConfigurationError("\(parameter: "size") must be at least 1 (got \(size))") }
        guard stride >= 1 else { throw ConfigurationError("\(parameter: "stride") must be at least 1 (got \(stride))") }
    }

    /// Max over each window; keeps each output's arg-max (its index within the sample's
    /// input, as the bits of a Float) in `argmax`. The first maximum wins; a NaN wins.
    func maxForward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Float>, count n: Int) {
        let oh = outHeight, ow = outWidth, plane = height * width
        for s in 0..<n {
            let sample = x + s * inputCount
            var o = s * outputCount
            for c in 0..<channels {
                for i in 0..<oh {
                    for j in 0..<ow {
                        var best = (i * strideHeight) * width + j * strideWidth + c * plane
                        var value = sample[best]
                        for a in 0..<windowHeight {
                            let base = c * plane + (i * strideHeight + a) * width + j * strideWidth
                            for b in 0..<windowWidth {
                                let v = sample[base + b]
                                if v > value || (v.isNaN && !value.isNaN) {
                                    value = v
                                    best = base + b
                                }
                            }
                        }
                        y[o] = value
                        argmax[o] = Float(bitPattern: UInt32(truncatingIfNeeded: best))
                        o += 1
                    }
                }
            }
        }
    }

    /// ∂ℓ/∂x: each output's gradient onto its arg-max (summed where windows overlap).
    func maxBackward(outputGradient dy: UnsafePointer<Float>, argmax: UnsafePointer<Float>,
                     inputGradient dx: UnsafeMutablePointer<Float>, count n: Int) {
        dx.update(repeating: 0, count: n * inputCount)
        for s in 0..<n {
            let target = dx + s * inputCount
            for o in (s * outputCount)..<((s + 1) * outputCount) {
                target[Int(argmax[o].bitPattern)] += dy[o]
            }
        }
    }

    /// Mean over each window.
    func averageForward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count n: Int) {
        let oh = outHeight, ow = outWidth, plane = height * width
        let scale = 1 / Float(windowHeight * windowWidth)
        for s in 0..<n {
            let sample = x + s * inputCount
            var o = s * outputCount
            for c in 0..<channels {
                for i in 0..<oh {
                    for j in 0..<ow {
                        var sum: Float = 0
                        for a in 0..<windowHeight {
                            let row = sample + c * plane + (i * strideHeight + a) * width + j * strideWidth
                            for b in 0..<windowWidth { sum += row[b] }
                        }
                        y[o] = sum * scale
                        o += 1
                    }
                }
            }
        }
    }

    /// ∂ℓ/∂x: each output's gradient spread evenly over its window.
    func averageBackward(outputGradient dy: UnsafePointer<Float>, inputGradient dx: UnsafeMutablePointer<Float>, count n: Int) {
        let oh = outHeight, ow = outWidth, plane = height * width
        let scale = 1 / Float(windowHeight * windowWidth)
        dx.update(repeating: 0, count: n * inputCount)
        for s in 0..<n {
            let sample = dx + s * inputCount
            var o = s * outputCount
            for c in 0..<channels {
                for i in 0..<oh {
                    for j in 0..<ow {
                        let g = dy[o] * scale
                        for a in 0..<windowHeight {
                            let row = sample + c * plane + (i * strideHeight + a) * width + j * strideWidth
                            for b in 0..<windowWidth { row[b] += g }
                        }
                        o += 1
                    }
                }
            }
        }
    }
}
