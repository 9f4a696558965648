/// An update rule applied slice by slice inside the fused all-reduce.
///
/// The all-reduce hands the optimizer one chunk of the *averaged* gradient at a time (a few
/// kilobytes that stay in L1), together with the matching parameters and state; the averaged
/// gradient is never written out whole. State is `stateSlots` flat vectors of the parameter
/// count, laid one after the other in one buffer and sliced exactly like the parameters.
public protocol Optimizer: Sendable {
    /// Floats of state per parameter (1 for SGD with momentum, 0 without).
    var stateSlots: Int { get }

    /// Updates `parameters[range]` in place.
    /// - Parameters:
    ///   - parameters: the whole flat parameter vector.
    ///   - gradient: the averaged gradient of `range`; `gradient[k]` belongs to parameter
    ///     `range.lowerBound + k`.
    ///   - state: the whole state buffer; slot s of parameter i is at `s * parameterCount + i`.
    ///   - parameterCount: the length of the whole parameter vector, the stride between state slots.
    ///   - range: the parameter indices to update, a contiguous run of all-reduce chunks.
    ///   - step: 1 for the first update, counting every optimizer step taken.
    ///   - learningRate: the rate for this step.
    func update(parameters: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>,
                state: UnsafeMutablePointer<Float>, parameterCount: Int,
                range: Range<Int>, step: Int, learningRate: Float)
}
