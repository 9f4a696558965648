import Testing
@testable import Batchwise

@Suite struct ShardPlanTests {
    @Test(arguments: [1, 2, 3, 4, 7, 16], [0, 1, 2, 3, 6, 7, 8, 97, 256])
    func shardsAreContiguousBalancedAndCoverTheBatch(workers: Int, batch: Int) {
        let plan = ShardPlan(batchSize: batch, workers: workers)
        let shards = plan.shards
        #expect(shards.count == workers)
        #expect(shards.first!.lowerBound == 0)
        #expect(shards.last!.upperBound == batch)
        for (a, b) in zip(shards, shards.dropFirst()) { #expect(a.upperBound == b.lowerBound) }
        let sizes = shards.map(\.count)
        #expect(sizes.max()! - sizes.min()! <= 1)
        #expect(sizes == sizes.sorted(by: >), "longer shards first; idle workers (count 0) last")
    }

    @Test func microshardsKeepTheirGrain() {
        let plan = ShardPlan(batchSize: 50, workers: 3, grain: 8) // 7 microshards: 3, 2, 2
        #expect(plan.shards == [0..<24, 24..<40, 40..<50])
    }

    @Test(arguments: [1, 2, 3, 7], [1, 15, 16, 17, 1000, 9610])
    func parameterSlicesAreWholeCacheLines(workers: Int, parameters: Int) {
        let slices = ParameterSlices(parameterCount: parameters, workers: workers)
        var next = 0
        for w in 0..<workers {
            let s = slices.slice(w)
            #expect(s.lowerBound == next)
            #expect(s.isEmpty || s.lowerBound % FloatBuffer.floatsPerCacheLine == 0)
            next = s.upperBound
        }
        #expect(next == parameters)
    }
}
