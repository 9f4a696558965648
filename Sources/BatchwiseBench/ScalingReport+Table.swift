import Batchwise
import BatchwiseReporting
import Foundation

extension ScalingReport {
    /// The report as text for a terminal: what ran where, one row per thread count, then the
    /// sgemm rates the peak shares are taken against, with the shapes they were measured on.
    public func table() -> String {
        let table = TextTable<ScalingRow>(columns: [
            ("threads", { String($0.threads) }),
            ("samples/s", { Self.grouped($0.samplesPerSecond) }),
            ("step median", { Self.duration($0.stepSecondsMedian) }),
            ("p10", { Self.duration($0.stepSecondsP10) }),
            ("p90", { Self.duration($0.stepSecondsP90) }),
            ("speedup", { String(format: "%.2f×", $0.speedup) }),
            ("efficiency", { Self.percent($0.efficiency) }),
            ("GFLOP/s", { String(format: "%.1f", $0.gflops) }),
            ("of peak", { Self.percent($0.peakShare) }),
            ("compute", { Self.percent($0.computeShare) }),
            ("barrier", { Self.percent($0.barrierShare) }),
            ("all-reduce", { Self.percent($0.allreduceShare) }),
            ("other", { Self.percent($0.otherShare) }),
            ("peak RSS", { Self.mebibytes($0.peakRSSBytes) + ($0.peakRSSCumulative ? "*" : "") }),
        ])
        return table.report(header: header(), rows: rows, notes: notes())
    }

    private func header() -> [String] {
        let s = setup
        return [
            "machine: \(s.machine); BLAS \(s.blas); \(s.date)",
            "model: \(s.modelName), cross-entropy, \(Self.grouped(Double(s.parameters))) parameters, "
                + String(format: "%.2f", s.flopsPerSample / 1e6) + " MFLOP/sample (useful work: 6 × dense parameters, 6 × outputs × channels × kernel per convolution); batch \(s.batchSize); "
                + "SGD momentum 0.9, lr \(s.learningRate)",
            "run: \(s.warmupSteps) warm-up + \(s.timedSteps) timed steps per thread count, placement \(s.placement), "
                + "seed \(s.seed), \(s.data); PUs: "
                + rows.map { "\($0.threads)→\($0.processingUnits.map(String.init).joined(separator: ","))" }.joined(separator: "  ")
                + "; all-reduce: " + rows.map { "\($0.threads)→\($0.allReduce)" }.joined(separator: "  "),
        ]
    }

    private func notes() -> [String] {
        var notes: [String] = []
        let baseline = baselineThreads
        notes.append(baseline == 1
            ? "speedup and efficiency: relative to 1 thread's median step."
            : "speedup and efficiency: relative to \(baseline) threads, the smallest count measured (1 thread was not), so \(baseline) threads count as 1.00×.")
        notes.append("compute, barrier, all-reduce (+update): the workers' mean time in each phase as a share of the step's wall time; other: handing the step to the workers and back.")
        if rows.contains(where: \.peakRSSCumulative) {
            notes.append("peak RSS*: /proc/self/clear_refs could not be reset, so the figure is the process's peak so far (getrusage), not per thread count.")
        } else {
            notes.append("peak RSS: the process's peak resident memory while that thread count was set up and run (VmHWM after resetting /proc/self/clear_refs).")
        }
        notes.append("of peak: GFLOP/s / (one thread's sgemm rate × threads); the rate is this model's products at the thread count's shard, timed on the calling thread in this run (median of 7):")
        if let first = rows.first, first.executedFlopsPerSample < first.flopsPerSample * 0.995 {
            let uncounted = 1 - first.executedFlopsPerSample / first.flopsPerSample
            notes.append("  the useful-work count includes work a step never does (the first layer's input gradient, dense biases): "
                         + Self.percent(uncounted) + " of it here, so 'of peak' can pass 100%. Counting only the products run: "
                         + rows.map { "\($0.threads) thread(s) " + Self.percent($0.executedPeakShare) }.joined(separator: ", ") + ".")
        }
        var seen = Set<Int>()
        for m in measurements where seen.insert(m.sgemm.shard).inserted {
            let counts = measurements.filter { $0.sgemm.shard == m.sgemm.shard }.map { String($0.threads) }.joined(separator: ",")
            notes.append("  shard \(m.sgemm.shard) (threads \(counts)): " + String(format: "%.1f", m.sgemm.gflops) + " GFLOP/s over")
            // A shape a step calls several times (a convolution's chunks) is one line, "× calls",
            // where it first appears.
            var lines: [(name: String, first: Int)] = []
            var calls: [GemmShape: Int] = [:]
            for shape in m.sgemm.shapes { calls[shape, default: 0] += 1 }
            var listed = Set<GemmShape>()
            for (i, shape) in m.sgemm.shapes.enumerated() where listed.insert(shape).inserted {
                let count = calls[shape] ?? 1
                lines.append((shape.description + (count > 1 ? " × \(count)" : ""), i))
            }
            let width = lines.map(\.name.count).max() ?? 0
            for (name, i) in lines {
                notes.append("    " + name + String(repeating: " ", count: width - name.count)
                             + String(format: "  %8.3f MFLOP  %7.1f GFLOP/s", m.sgemm.shapes[i].flops / 1e6, m.sgemm.gflops(ofShape: i)))
            }
        }
        return notes
    }

    /// "41.5 ms", "812 µs", "1.23 s": three significant digits.
    static func duration(_ seconds: Double) -> String {
        let (value, unit) = seconds >= 1 ? (seconds, "s") : seconds >= 1e-3 ? (seconds * 1e3, "ms") : (seconds * 1e6, "µs")
        return String(format: value >= 100 ? "%.0f" : value >= 10 ? "%.1f" : "%.2f", value) + " " + unit
    }

    static func percent(_ share: Double) -> String { String(format: "%.1f%%", share * 100) }

    static func mebibytes(_ bytes: UInt64) -> String { String(format: "%.1f MiB", Double(bytes) / 1_048_576) }

    /// "1,234,567" (rounded to a whole number).
    static func grouped(_ value: Double) -> String { ProgressLine.grouped(Int(value.rounded())) }
}
