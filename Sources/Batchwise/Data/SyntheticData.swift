extension Dataset {
    /// A seeded synthetic dataset of any size and shape, for benchmarks and tests.
    ///
    /// Features are standard normal. With `classes` set, each label is the arg-max of a random
    /// linear teacher's scores (so the task is learnable); otherwise targets are the teacher's
    /// `outputs` values plus Gaussian noise of standard deviation `noise`.
    public static func synthetic(samples: Int, features: Int, classes: Int? = nil, outputs: Int = 1,
                                 noise: Float = 0.1, seed: UInt64 = 0) -> Dataset {
        precondition(samples >= 0 && features >= 1 && outputs >= 1 && (classes ?? 2) >= 2)
        var random = RandomStream(seed: seed, purpose: .synthetic)
        let width = classes ?? outputs
        let teacher = (0..<(features * width)).map { _ in random.nextNormal() / Float(features).squareRoot() }
        var x = [Float](repeating: 0, count: samples * features)
        var t = [Float](repeating: 0, count: samples * (classes == nil ? outputs : 1))
        var scores = [Float](repeating: 0, count: width)
        for i in 0..<samples {
            for j in 0..<features { x[i * features + j] = random.nextNormal() }
            for c in 0..<width {
                var s: Float = 0
                for j in 0..<features { s += x[i * features + j] * teacher[j * width + c] }
                scores[c] = s
            }
            if classes != nil {
                t[i] = Float(scores.indices.max { scores[$0] < scores[$1] }!)
            } else {
                for c in 0..<outputs { t[i * outputs + c] = scores[c] + noise * random.nextNormal() }
            }
        }
        return Dataset(name: "synthetic", features: x, targets: t, featureWidth: features,
                       targetWidth: classes == nil ? outputs : 1, classCount: classes)
    }
}
