import Foundation
import Testing
@testable import Batchwise

/// Each learning-rate schedule against the PyTorch scheduler the README names as its
/// equivalent, written out from PyTorch's documented closed forms (torch.optim.lr_scheduler),
/// so a change of convention fails here first.
struct ScheduleConventionTests {
    /// `step:0.1@30,60` decays at the start of (1-based) epochs 30 and 60: PyTorch's
    /// MultiStepLR(milestones=[29, 59], gamma=0.1) stepped once per epoch, whose rate in
    /// 0-based epoch e is base·γ^|{m ∈ milestones : m ≤ e}|.
    @Test func stepDecayIsMultiStepLRWithMilestonesOneEpochEarlier() throws {
        let schedule = try LearningRateSchedule(base: 0.5, shape: .step(gamma: 0.1, epochs: [30, 60]))
        for e in 0..<90 {
            let pytorch = 0.5 * pow(0.1, Double([29, 59].filter { $0 <= e }.count))
            let ours = schedule.rate(step: e * 10 + 3, epoch: e + 1, epochs: 90, stepInEpoch: 3, stepsInEpoch: 10, batchSize: 32)
            #expect(abs(Double(ours) - pytorch) <= 1e-6 * pytorch, "0-based epoch \(e)")
        }
    }

    /// `cosine:FLOOR` is CosineAnnealingLR(T_max = epochs × steps per epoch, eta_min = FLOOR)
    /// stepped once per optimizer step: η_t = η_min + (η₀ − η_min)(1 + cos(π t / T_max))/2.
    /// Under `--lr-scaling linear` both η₀ and the floor are multiplied by B/B₀ (PyTorch:
    /// pass eta_min = FLOOR·B/B₀ with the scaled rate).
    @Test func cosineIsCosineAnnealingLRPerStep() throws {
        let steps = 12, epochs = 5, total = Double(steps * epochs)
        for (scaling, batch) in [(nil, 32), (Optional(16), 64)] {
            let schedule = try LearningRateSchedule(base: 0.2, shape: .cosine(floor: 0.01), scalingBaseBatchSize: scaling)
            let k = scaling.map { Double(batch) / Double($0) } ?? 1
            for t in 0..<(steps * epochs) {
                let pytorch = 0.01 * k + (0.2 * k - 0.01 * k) * (1 + cos(Double.pi * Double(t) / total)) / 2
                let ours = schedule.rate(step: t, epoch: t / steps + 1, epochs: epochs, stepInEpoch: t % steps,
                                         stepsInEpoch: steps, batchSize: batch)
                #expect(abs(Double(ours) - pytorch) <= 1e-6 * pytorch, "step \(t), scale \(k)")
            }
        }
    }

    /// `--warmup-steps N` multiplies by (t + 1)/N for t < N: PyTorch's LinearLR(start_factor =
    /// 1/N, end_factor = 1, total_iters = N − 1), whose factor is 1/N + (1 − 1/N)·min(t, N−1)/(N−1).
    @Test func warmupIsLinearLR() throws {
        let n = 8
        let schedule = try LearningRateSchedule(base: 0.1, warmupSteps: n)
        for t in 0..<20 {
            let factor = 1 / Double(n) + (1 - 1 / Double(n)) * Double(min(t, n - 1)) / Double(n - 1)
            let ours = schedule.rate(step: t, epoch: 1, epochs: 1, stepInEpoch: t, stepsInEpoch: 20, batchSize: 32)
            #expect(abs(Double(ours) - 0.1 * factor) <= 1e-6 * 0.1 * factor, "step \(t)")
        }
    }

    /// Under `--batch-size auto` the same shapes read the scale-invariant clock τ (base-batch
    /// steps): a step at gain r advances τ by r, so a schedule reaches its milestones after the
    /// same progress at any batch. Two half-speed clocks meet the step clock at twice the steps.
    @Test func theAutoClockAdvancesByTheGain() throws {
        let schedule = try LearningRateSchedule(base: 0.1, shape: .step(gamma: 0.5, epochs: [2]), warmupSteps: 4)
        // 10 base-batch steps an epoch: the decay at τ = 10, reached after 5 steps at gain 2.
        let before = schedule.rate(scaleInvariantStep: 2 * 4, stepsPerEpoch: 10, epochs: 3, factor: 2)
        let after = schedule.rate(scaleInvariantStep: 2 * 5, stepsPerEpoch: 10, epochs: 3, factor: 2)
        #expect(abs(before - 0.2) < 1e-7 && abs(after - 0.1) < 1e-7)
        // Warmup: (τ + 1)/N, capped at 1.
        #expect(abs(schedule.rate(scaleInvariantStep: 1, stepsPerEpoch: 10, epochs: 3, factor: 1) - 0.05) < 1e-7)
        #expect(abs(schedule.rate(scaleInvariantStep: 3.5, stepsPerEpoch: 10, epochs: 3, factor: 1) - 0.1) < 1e-7)
    }
}
