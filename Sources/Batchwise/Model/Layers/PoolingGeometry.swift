import CBatchwiseKernels

/// The sizes of one pooling (2-D; a 1-D one has height 1 and a 1-high window) and its
/// max and average kernels, over windows without padding, as PyTorch's defaults:
/// H' = ⌊(H − window) / stride⌋ + 1.
///
/// The average kernels are one walk over the windows, `forEachWindow`, specialised for what
/// each does with a window's values; the max forward is a C kernel with the same walk, and the
/// max backward a scatter through the arg-maxes. Each costs O(n · outputCount · window).
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

    /// Calls `visitor` for every window of `n` samples, in output order (sample, channel, row,
    /// column), and within a window for each value in row-major order, the first included.
    @inline(__always)
    private func forEachWindow<Visitor: PoolingWindowVisitor>(count n: Int, _ visitor: inout Visitor) {
        let oh = outHeight, ow = outWidth, plane = height * width
        var o = 0
        for s in 0..<n {
            for c in 0..<channels {
                for i in 0..<oh {
                    for j in 0..<ow {
                        let corner = c * plane + (i * strideHeight) * width + j * strideWidth
                        visitor.begin(sample: s, output: o, first: corner)
                        for a in 0..<windowHeight {
                            let base = corner + a * width
                            for b in 0..<windowWidth { visitor.visit(base + b) }
                        }
                        visitor.end(output: o)
                        o += 1
                    }
                }
            }
        }
    }

    /// Max over each window; keeps each output's arg-max (its index within the sample's
    /// input, as the bits of a Float) in `argmax`. The first maximum wins; a NaN wins. The C
    /// kernel `bw_maxpool_forward`: the comparisons are a coin toss on real data, and Swift's
    /// branches for them cost 18 % of a LeNet-5 step; C's selects do not.
    func maxForward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Float>, count n: Int) {
        bw_maxpool_forward(x, y, argmax, Int64(n), Int64(channels), Int64(height), Int64(width), Int64(windowHeight),
                           Int64(windowWidth), Int64(strideHeight), Int64(strideWidth))
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
        var visitor = MeanWindow(x: x, y: y, inputCount: inputCount, scale: 1 / Float(windowHeight * windowWidth))
        forEachWindow(count: n, &visitor)
    }

    /// ∂ℓ/∂x: each output's gradient spread evenly over its window.
    func averageBackward(outputGradient dy: UnsafePointer<Float>, inputGradient dx: UnsafeMutablePointer<Float>, count n: Int) {
        dx.update(repeating: 0, count: n * inputCount)
        var visitor = MeanWindowGradient(dy: dy, dx: dx, inputCount: inputCount, scale: 1 / Float(windowHeight * windowWidth))
        forEachWindow(count: n, &visitor)
    }
}

extension PoolingGeometry {
    /// Windows of `size` along a C × L (or L) input.
    static func line(input: TensorShape, size: Int, stride: Int) throws(ConfigurationError) -> PoolingGeometry {
        try checkArguments(size: size, stride: stride)
        let (c, l): (Int, Int)
        switch input.rank {
        case 2: (c, l) = (input[0], input[1])
        case 1: (c, l) = (1, input[0])
        default: throw ConfigurationError("1-D pooling needs input channels × length")
        }
        guard size <= l else { throw ConfigurationError("the window \(parameter: "size") \(size) is longer than the input length \(l)") }
        return PoolingGeometry(channels: c, height: 1, width: l, windowHeight: 1, windowWidth: size, strideHeight: 1, strideWidth: stride)
    }

    /// Square windows over a C × H × W (or H × W) input.
    static func square(input: TensorShape, size: Int, stride: Int) throws(ConfigurationError) -> PoolingGeometry {
        try checkArguments(size: size, stride: stride)
        let (c, h, w): (Int, Int, Int)
        switch input.rank {
        case 3: (c, h, w) = (input[0], input[1], input[2])
        case 2: (c, h, w) = (1, input[0], input[1])
        default:
            throw ConfigurationError("2-D pooling needs input channels × height × width; give flat data its shape, such as \(parameter: "input", value: "[1, 28, 28]"), or put a reshape before it")
        }
        guard size <= h && size <= w else {
            throw ConfigurationError("the window \(parameter: "size") \(size) is larger than the input's \(h)×\(w)")
        }
        return PoolingGeometry(channels: c, height: h, width: w, windowHeight: size, windowWidth: size,
                               strideHeight: stride, strideWidth: stride)
    }
}

/// What a kernel does with each window of `PoolingGeometry.forEachWindow`: indices are within
/// one sample's input, outputs are numbered across the shard. A struct, so that the walk is
/// specialised and inlined for it (no call per value).
private protocol PoolingWindowVisitor {
    /// Starts output `o`'s window of sample `s`, whose top-left value is at `first`.
    mutating func begin(sample s: Int, output o: Int, first: Int)
    /// One value of the window.
    mutating func visit(_ index: Int)
    /// Ends output `o`'s window.
    mutating func end(output o: Int)
}

/// Average forward: the window's sum, in row-major order, times 1 / window.
private struct MeanWindow: PoolingWindowVisitor {
    let x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>
    let inputCount: Int, scale: Float
    var sample: UnsafePointer<Float>
    var sum: Float = 0

    init(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, inputCount: Int, scale: Float) {
        (self.x, self.y, self.inputCount, self.scale, sample) = (x, y, inputCount, scale, x)
    }

    @inline(__always)
    mutating func begin(sample s: Int, output o: Int, first: Int) {
        sample = x + s * inputCount
        sum = 0
    }

    @inline(__always)
    mutating func visit(_ index: Int) { sum += sample[index] }

    @inline(__always)
    mutating func end(output o: Int) { y[o] = sum * scale }
}

/// Average backward: adds the output's gradient times 1 / window onto every value of its window.
private struct MeanWindowGradient: PoolingWindowVisitor {
    let dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>
    let inputCount: Int, scale: Float
    var target: UnsafeMutablePointer<Float>
    var g: Float = 0

    init(dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, inputCount: Int, scale: Float) {
        (self.dy, self.dx, self.inputCount, self.scale, target) = (dy, dx, inputCount, scale, dx)
    }

    @inline(__always)
    mutating func begin(sample s: Int, output o: Int, first: Int) {
        target = dx + s * inputCount
        g = dy[o] * scale
    }

    @inline(__always)
    mutating func visit(_ index: Int) { target[index] += g }

    @inline(__always)
    mutating func end(output o: Int) {}
}
