import Testing
@testable import Batchwise

/// `ModelSummary`: the table Keras's `model.summary()` would show — each layer's spec text,
/// output shape and parameter count, then the total.
@Suite struct ModelSummaryTests {
    @Test func leNetAsATable() throws {
        let model = try Sequential(spec: ModelSpecTests.lenet, input: [1, 28, 28])
        let summary = model.summary
        #expect(summary.rows.map(\.parameters) == [156, 0, 0, 2_416, 0, 0, 0, 48_120, 0, 10_164, 0, 850])
        #expect(summary.totalParameters == 61_706)
        #expect(summary.text == """
             #  layer                  output shape  parameters
                input                  1×28×28
             1  conv2d(6,5,padding=2)  6×28×28              156
             2  relu                   6×28×28                0
             3  maxpool2d(2)           6×14×14                0
             4  conv2d(16,5)           16×10×10           2,416
             5  relu                   16×10×10               0
             6  maxpool2d(2)           16×5×5                 0
             7  flatten                400                    0
             8  dense(120)             120               48,120
             9  relu                   120                    0
            10  dense(84)              84                10,164
            11  relu                   84                     0
            12  dense(10)              10                   850
                total                                    61,706  (241.0 KiB as float32)

            """)
    }

    /// A residual block's layers follow its row, indented and numbered inside it; the block
    /// counts their parameters, and the total counts them once.
    @Test func residualBlocksShowTheirLayers() throws {
        let model = try Sequential(spec: "conv2d(2,3,padding=1) residual(conv2d(2,3,padding=1) relu layernorm) flatten dense(3)",
                                   input: [1, 4, 4])
        let rows = model.summary.rows
        #expect(rows.map(\.position) == ["1", "2", "2.1", "2.2", "2.3", "3", "4"])
        #expect(rows.map(\.layer) == ["conv2d(2,3,padding=1)", "residual", "conv2d(2,3,padding=1)", "relu", "layernorm", "flatten", "dense(3)"])
        #expect(rows.map(\.depth) == [0, 0, 1, 1, 1, 0, 0])
        #expect(rows.map(\.parameters) == [20, 38 + 64, 38, 0, 64, 0, 99])
        #expect(model.summary.totalParameters == 20 + 102 + 99)
        #expect(model.summary.text.contains("\n2.1    conv2d(2,3,padding=1)  2×4×4"))
    }

    @Test func aLayerWithoutSpecTextShowsItsDescription() throws {
        let model = try Sequential(input: [2, 3]) { ChannelAffine(); Flatten(); Dense(2) }
        #expect(model.spec == nil)
        #expect(model.summary.rows.map(\.layer) == ["ChannelAffine()", "flatten", "dense(2)"])
        #expect(model.summary.rows[0].parameters == 4)
        #expect(ModelSummary.grouped(1_234_567) == "1,234,567" && ModelSummary.grouped(999) == "999")
    }
}
