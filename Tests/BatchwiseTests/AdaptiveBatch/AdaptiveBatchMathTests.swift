import Foundation
import Testing
@testable import Batchwise

/// The formulas of `--batch-size auto` against values worked out by hand: AdaScale's gain
/// r(s) = (tr Σ/B₀ + |G|²)/(tr Σ/B + |G|²), the efficiency E = r/s, the fitted step time
/// t(B) = α + β⌈B/W⌉, goodput T·E, and the decision rules.
struct AdaptiveBatchMathTests {
    /// |G|² = 1, tr Σ = 64 (B_noise 64), B₀ = 32.
    let statistics = StatisticalEfficiency(gradientSquared: 1, trace: 64, baseBatchSize: 32)

    @Test func gainAndEfficiencyAreAdaScalesFormulas() {
        // s = 2: r = (64/32 + 1)/(64/64 + 1) = 3/2, E = 3/4.
        #expect(abs(statistics.gain(batchSize: 64) - 1.5) < 1e-12)
        #expect(abs(statistics.efficiency(batchSize: 64) - 0.75) < 1e-12)
        // s = 4: r = 3/(0.5 + 1) = 2, E = 1/2 = (B_noise + B₀)/(B_noise + B) = 96/192.
        #expect(abs(statistics.gain(batchSize: 128) - 2) < 1e-12)
        #expect(abs(statistics.efficiency(batchSize: 128) - 0.5) < 1e-12)
        // At B₀ the gain is 1; r never exceeds s nor falls below 1.
        #expect(statistics.gain(batchSize: 32) == 1)
        #expect(statistics.noiseScale == 64)
        for b in [33, 100, 1000, 100_000] {
            let r = statistics.gain(batchSize: b)
            #expect(r >= 1 && r <= Double(b) / 32)
        }
    }

    @Test func theLimitsOfTheStatistics() {
        // All noise (|G|² estimated ≤ 0): every sample pays, r = s, E = 1.
        let noise = StatisticalEfficiency(gradientSquared: -0.3, trace: 5, baseBatchSize: 16)
        #expect(abs(noise.gain(batchSize: 64) - 4) < 1e-12)
        #expect(abs(noise.efficiency(batchSize: 64) - 1) < 1e-12)
        #expect(noise.noiseScale == .infinity)
        // No noise: a bigger batch buys nothing per step, r = 1, E = 1/s.
        let exact = StatisticalEfficiency(gradientSquared: 2, trace: 0, baseBatchSize: 16)
        #expect(exact.gain(batchSize: 64) == 1)
        #expect(abs(exact.efficiency(batchSize: 64) - 0.25) < 1e-12)
    }

    @Test func theGridIsPowersOfTwoAndTheirMidpointsWithTheEnds() throws {
        #expect(try AdaptiveBatchSize(minimum: 32, maximum: 1024, scaling: .adascale).grid
                == [32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024])
        #expect(try AdaptiveBatchSize(minimum: 20, maximum: 359, scaling: .adascale).grid
                == [20, 24, 32, 48, 64, 96, 128, 192, 256, 359])
        #expect(try AdaptiveBatchSize(minimum: 7, maximum: 7, scaling: .none).grid == [7])
    }

    @Test func badSettingsAreRefused() {
        #expect(throws: ConfigurationError.self) { try AdaptiveBatchSize(minimum: 0, maximum: 8, scaling: .none) }
        #expect(throws: ConfigurationError.self) { try AdaptiveBatchSize(minimum: 64, maximum: 32, scaling: .none) }
        #expect(throws: ConfigurationError.self) { try AdaptiveBatchSize(minimum: 8, maximum: 32, adaptEvery: 0, scaling: .none) }
        #expect(throws: ConfigurationError.self) { try AdaptiveBatchSize(minimum: 8, maximum: 32, minimumEfficiency: 1.5, scaling: .none) }
        #expect(throws: ConfigurationError.self) { try AdaptiveBatchSize(minimum: 8, maximum: 32, minimumEfficiency: .nan, scaling: .none) }
    }

    /// Points exactly on t = 0.002 + 0.0005·⌈B/4⌉ give back α and β.
    @Test func theThroughputFitRecoversAKnownLine() throws {
        var model = ThroughputModel(workers: 4)
        for b in [32, 64, 128, 256] {
            model.record(batchSize: b, stepSeconds: Array(repeating: 0.002 + 0.0005 * Double((b + 3) / 4), count: 5))
        }
        let fit = try #require(model.fit())
        #expect(abs(fit.alpha - 0.002) < 1e-12 && abs(fit.beta - 0.0005) < 1e-12)
        // T(B) = B / t(B).
        #expect(abs(model.samplesPerSecond(batchSize: 100, fit: fit)! - 100 / (0.002 + 0.0005 * 25)) < 1e-9)
    }

    /// Each size counts by its median: a stray slow step does not move the fit; sizes are kept
    /// sorted; only the most recent times are kept.
    @Test func theFitReadsMediansOfRecentSteps() throws {
        var model = ThroughputModel(workers: 1)
        model.record(batchSize: 64, stepSeconds: [0.02, 0.02, 5.0, 0.02])
        model.record(batchSize: 32, stepSeconds: [0.01, 0.01, 0.01, .nan, -1])
        #expect(model.observations.map(\.batchSize) == [32, 64])
        #expect(model.observations[0].seconds.count == 3)
        let fit = try #require(model.fit())
        #expect(abs(fit.alpha) < 1e-12 && abs(fit.beta - 0.01 / 32) < 1e-12)
        model.record(batchSize: 32, stepSeconds: Array(repeating: 0.03, count: ThroughputModel.kept))
        #expect(model.observations[0].seconds == Array(repeating: 0.03, count: ThroughputModel.kept))
    }

    /// One size measured: AdaptDL's optimistic split, half fixed cost and half per sample.
    /// A line through negative time at B = 0 is refitted through the origin; larger shards
    /// measured no slower make the time all fixed cost.
    @Test func theFitsSpecialCases() throws {
        var one = ThroughputModel(workers: 2)
        one.record(batchSize: 32, stepSeconds: [0.04])
        let guess = try #require(one.fit())
        #expect(abs(guess.alpha - 0.02) < 1e-15 && abs(guess.beta - 0.02 / 16) < 1e-15)
        #expect(ThroughputModel(workers: 2).fit() == nil)
        var steep = ThroughputModel(workers: 1)
        steep.record(batchSize: 10, stepSeconds: [0.001])
        steep.record(batchSize: 20, stepSeconds: [0.004])
        let origin = try #require(steep.fit())
        // Σxy/Σx² = (0.01 + 0.08)/(100 + 400).
        #expect(origin.alpha == 0 && abs(origin.beta - 0.09 / 500) < 1e-15)
        var flat = ThroughputModel(workers: 1)
        flat.record(batchSize: 10, stepSeconds: [0.005])
        flat.record(batchSize: 20, stepSeconds: [0.003])
        let guessAtLargest = try #require(flat.fit())
        #expect(abs(guessAtLargest.alpha - 0.0015) < 1e-15 && abs(guessAtLargest.beta - 0.0015 / 20) < 1e-15)
    }

    /// Two close step times, the larger batch a shade faster (timing noise), and much noise in
    /// the gradient: the next decision goes one step beyond the sizes measured, not to the
    /// largest allowed. (Under the old all-fixed-cost reading it went from 64 to 4096 in one
    /// decision, and back.) With t(64) = 1 ms, W = 2: α = 0.5 ms, β = 0.5 ms / 32; B_noise =
    /// 2000, B₀ = 32: goodput 64 → 64/0.001 × 2032/2064 = 63,008; 128 → 128/0.0015 × 2032/2128 =
    /// 81,484; 192 → 192/0.002 × 2032/2192 = 88,993; 256 → 256/0.0025 × 2032/2256 = 92,232;
    /// 384 → 384/0.0035 × 2032/2384 = 93,514; 512 → 512/0.0045 × 2032/2512 = 92,036.
    @Test func closeStepTimesDoNotSendTheBatchToTheLargestAllowed() throws {
        let settings = try AdaptiveBatchSize(minimum: 32, maximum: 4096, scaling: .adascale)
        var model = ThroughputModel(workers: 2)
        model.record(batchSize: 32, stepSeconds: [0.00101, 0.00100, 0.00102])
        model.record(batchSize: 64, stepSeconds: [0.00100, 0.00099, 0.00101])
        let fit = try #require(model.fit())
        #expect(abs(fit.alpha - 0.0005) < 1e-15 && abs(fit.beta - 0.0005 / 32) < 1e-15)
        let noisy = StatisticalEfficiency(gradientSquared: 1, trace: 2000, baseBatchSize: 32)
        let d = settings.decide(statistics: noisy, throughput: fit, model: model, reproducible: false, current: 64)
        #expect(d.batchSize == 384)
    }

    /// With α = 0.1 s, β = 1 ms per shard sample, W = 2 and B_noise = 64, B₀ = 32, goodput
    /// T(B)·E(B) over the grid is (hand-computed): 32 → 32/0.116 = 275.9; 64 → 64/0.132 × 0.75
    /// = 363.6; 128 → 128/0.164 × 0.5 = 390.2; 192 → 192/0.196 × 0.375 = 367.3; 256 → 336.8.
    @Test func theDecisionMaximisesGoodput() throws {
        let settings = try AdaptiveBatchSize(minimum: 32, maximum: 256, scaling: .adascale)
        let model = ThroughputModel(workers: 2)
        let d = settings.decide(statistics: statistics, throughput: (0.1, 0.001), model: model, reproducible: false)
        #expect(d.batchSize == 128)
        #expect(abs(d.goodput! - 128 / 0.164 * 0.5) < 1e-9)
        #expect(abs(d.gain - 2) < 1e-12 && abs(d.efficiency - 0.5) < 1e-12 && d.noiseScale == 64)
        // Fixed cost small against the per-sample cost: the extra samples do not pay, B₀ wins
        // (32 → 32/0.026 = 1230.8 against 64 → 64/0.042 × 0.75 = 1142.9).
        #expect(settings.decide(statistics: statistics, throughput: (0.01, 0.001), model: model, reproducible: false).batchSize == 32)
        // All fixed cost and all noise: the largest batch.
        let noise = StatisticalEfficiency(gradientSquared: 0, trace: 1, baseBatchSize: 32)
        #expect(settings.decide(statistics: noise, throughput: (0.1, 0), model: model, reproducible: false).batchSize == 256)
        // The batch in use is kept when within 5% of the best: from 192 (367.3 × 1.05 = 385.7 <
        // 390.2) it moves to 128; from 96 (389.2, 0.3% behind) it stays.
        #expect(settings.decide(statistics: statistics, throughput: (0.1, 0.001), model: model, reproducible: false, current: 192).batchSize == 128)
        let near = StatisticalEfficiency(gradientSquared: 1, trace: 64, baseBatchSize: 32)
        let kept = settings.decide(statistics: near, throughput: (0.1, 0.001), model: model, reproducible: false, current: 96)
        // 96 → 96/0.148 × 96/160 = 389.2, within 5% of 128's 390.2.
        #expect(kept.batchSize == 96 && abs(kept.goodput! - 96 / 0.148 * 0.6) < 1e-9)
    }

    /// Under --reproducible: the largest grid size with E(B) = 96/(64 + B) ≥ 0.5, that is 128;
    /// with 0.75, B ≤ 64. Timing takes no part (the throughput fit is ignored).
    @Test func theReproducibleDecisionUsesEfficiencyAlone() throws {
        let model = ThroughputModel(workers: 2)
        let half = try AdaptiveBatchSize(minimum: 32, maximum: 1024, scaling: .adascale)
        let d = half.decide(statistics: statistics, throughput: (0.01, 0.001), model: model, reproducible: true)
        #expect(d.batchSize == 128 && d.goodput == nil)
        let strict = try AdaptiveBatchSize(minimum: 32, maximum: 1024, minimumEfficiency: 0.75, scaling: .adascale)
        #expect(strict.decide(statistics: statistics, throughput: nil, model: model, reproducible: true).batchSize == 64)
    }

    @Test func theLearningRateFollowsTheBatchByItsRule() throws {
        func factor(_ scaling: AdaptiveBatchSize.Scaling) throws -> Double {
            try AdaptiveBatchSize(minimum: 32, maximum: 512, scaling: scaling).learningRateFactor(batchSize: 128, gain: 2.5)
        }
        #expect(try factor(.adascale) == 2.5)
        #expect(try factor(.sqrt) == 2)
        #expect(try factor(.linear) == 4)
        #expect(try factor(.none) == 1)
    }
}
