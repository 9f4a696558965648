import Testing
@testable import Batchwise

/// Fixed known values: single layers built from their spec text give, for fixed inputs and
/// parameters, the outputs PyTorch computed for the same layer (in float64, from the same
/// float32 values; see `tools/make-layer-fixtures.py`, which wrote `LayerFixtureValues`).
/// The tolerance is float32 rounding over a few dozen terms: |y − y_torch| ≤ 1e-5·(1 + |y_torch|).
@Suite struct LayerFixtureTests {
    @Test(arguments: LayerFixtureValues.cases.indices)
    func forwardEqualsPyTorch(_ index: Int) throws {
        let c = LayerFixtureValues.cases[index]
        let spec = try ModelSpec(parsing: c.spec)
        #expect(spec.text == c.spec)
        let harness = try LayerHarness(try #require(spec.layers.first), input: TensorShape(c.input))
        // Lay each named tensor at its offset in the layer's block.
        let table = TensorTable(harness.chain.tensors)
        var theta = [Float](repeating: 0, count: table.count)
        #expect(Set(table.entries.map(\.name)) == Set(c.parameters.keys.map { "0." + $0 }))
        for entry in table.entries {
            let values = try #require(c.parameters[String(entry.name.dropFirst(2))])
            #expect(values.count == entry.shape.count, "\(entry.name)")
            for (k, v) in values.enumerated() { theta[entry.offset + k] = v }
        }
        #expect(harness.output.count * c.count == c.y.count, "output shape \(harness.output)")
        let y = harness.run(theta: theta, x: c.x, count: c.count, capacity: c.count + 1,
                            dy: [Float](repeating: 0, count: c.y.count), position: nil, inputGradient: false).y
        for (k, (got, want)) in zip(y, c.y).enumerated() {
            #expect(abs(Double(got) - want) <= 1e-5 * (1 + abs(want)), "\(c.spec) output \(k): \(got) vs PyTorch's \(want)")
        }
    }

    @Test func theFixtureCoversTheLayersTheIssueNames() {
        let names = Set(LayerFixtureValues.cases.map { String($0.spec.prefix { $0 != "(" }) })
        #expect(names.isSuperset(of: ["conv1d", "conv2d", "maxpool1d", "maxpool2d", "layernorm", "gelu"]))
    }
}
