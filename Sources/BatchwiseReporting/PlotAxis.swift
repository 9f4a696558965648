import Foundation

/// One axis of a figure's panel: a data range widened to round tick values, and the map
/// from data values to pixels along the axis.
///
/// Linear ticks are k·s for a step s in {1, 2, 5}·10ⁿ, the smallest such step giving at most
/// `maxIntervals` intervals; the axis runs from the tick at or below the data minimum to the one
/// at or above the maximum. Logarithmic ticks are powers of ten (with 2· and 5· when the data
/// spans less than two decades).
package struct PlotAxis {
    /// Data value at the low and the high end of the axis (positive when logarithmic).
    package let lower: Double
    package let upper: Double
    /// Whether positions follow log10 of the values rather than the values.
    package let logarithmic: Bool
    /// Tick values in data units, ascending, all within lower…upper.
    package let ticks: [Double]
    /// The tick labels, one per tick.
    package let labels: [String]

    /// An axis covering the finite `values` (and, when logarithmic, the positive ones), or
    /// nil when there are none. `integers` keeps the step at 1 or more (epoch numbers).
    package init?(covering values: [Double], logarithmic: Bool = false, integers: Bool = false, maxIntervals: Int = 6) {
        let usable = values.filter { $0.isFinite && (!logarithmic || $0 > 0) }
        guard var low = usable.min(), var high = usable.max() else { return nil }
        self.logarithmic = logarithmic
        if logarithmic {
            var lowDecade = log10(low).rounded(.down), highDecade = log10(high).rounded(.up)
            if highDecade == lowDecade { highDecade += 1 }
            let decades = Int(highDecade - lowDecade)
            let every = max(1, Int((Double(decades) / Double(maxIntervals)).rounded(.up)))
            lowDecade = (lowDecade / Double(every)).rounded(.down) * Double(every)
            var ticks: [Double] = []
            for decade in stride(from: Int(lowDecade), through: Int(highDecade), by: every) {
                let power = pow(10, Double(decade))
                ticks.append(power)
                if decades <= 2 && decade < Int(highDecade) { ticks += [2 * power, 5 * power] }
            }
            lower = pow(10, lowDecade)
            upper = pow(10, highDecade)
            self.ticks = ticks
            labels = ticks.map { PlotAxis.label($0, step: nil) }
            return
        }
        if low == high {   // one value: centre it in a range of its own size (or ±1 around 0 or 1)
            let spread = integers || low == 0 ? 1 : abs(low) * 0.1
            low -= spread
            high += spread
        }
        var step = PlotAxis.niceStep(atLeast: (high - low) / Double(maxIntervals), integers: integers)
        while ((high / step).rounded(.up) - (low / step).rounded(.down)) > Double(maxIntervals) {
            step = PlotAxis.niceStep(atLeast: step * 1.5, integers: integers)
        }
        let first = Int((low / step).rounded(.down)), last = Int((high / step).rounded(.up))
        // k·step rather than a running sum, so no rounding drift (and 0 is exactly 0).
        ticks = (first...last).map { Double($0) * step }
        lower = ticks.first!
        upper = ticks.last!
        labels = ticks.map { PlotAxis.label($0, step: step) }
    }

    /// The smallest value of the form {1, 2, 5}·10ⁿ that is at least `raw` (at least 1 for integers).
    static func niceStep(atLeast raw: Double, integers: Bool) -> Double {
        let target = integers ? max(raw, 1) : max(raw, .leastNormalMagnitude)
        let power = pow(10, log10(target).rounded(.down))
        for multiple in [1.0, 2, 5, 10] where multiple * power >= target * (1 - 1e-9) {
            return multiple * power
        }
        return 10 * power
    }

    /// A tick label: as many decimals as the step needs (for round numbers of ordinary size),
    /// else the shortest `%g` form ("1e-05", "2e+06").
    static func label(_ value: Double, step: Double?) -> String {
        guard let step, abs(value) < 1e6, step >= 1e-5 else { return String(format: "%g", value) }
        let decimals = max(0, Int((-log10(step) - 1e-9).rounded(.up)))
        return String(format: "%.\(decimals)f", value)
    }

    /// Where `value` falls between `start` (the pixel of ``lower``) and `end` (that of
    /// ``upper``); nil for a value the axis cannot show (not finite, or not positive on a log axis).
    package func position(_ value: Double, from start: Double, to end: Double) -> Double? {
        guard value.isFinite, !logarithmic || value > 0 else { return nil }
        let t = logarithmic ? (log10(value) - log10(lower)) / (log10(upper) - log10(lower))
                            : (value - lower) / (upper - lower)
        return start + t * (end - start)
    }
}

extension PlotAxis {
    /// A logarithmic axis for batch sizes, ticked at powers of two ("16", "32", … "1024")
    /// from the one at or below the smallest positive value to the one at or above the largest;
    /// every second (fourth, …) power when more than `maxTicks` would be needed. Nil without a
    /// positive finite value.
    package init?(powersOfTwoCovering values: [Double], maxTicks: Int = 9) {
        let usable = values.filter { $0.isFinite && $0 > 0 }
        guard let low = usable.min(), let high = usable.max() else { return nil }
        let first = Int(log2(low).rounded(.down))
        var last = Int(log2(high).rounded(.up))
        if last == first { last += 1 }
        let every = max(1, (last - first + maxTicks - 2) / max(1, maxTicks - 1))
        last = first + ((last - first + every - 1) / every) * every
        let exponents = Array(stride(from: first, through: last, by: every))
        ticks = exponents.map { pow(2, Double($0)) }
        labels = ticks.map { $0 >= 1 ? String(Int($0)) : String(format: "%g", $0) }
        lower = ticks.first!
        upper = ticks.last!
        logarithmic = true
    }
}
