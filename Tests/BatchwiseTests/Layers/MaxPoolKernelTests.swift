import BatchwiseTestSupport
import Testing
@testable import Batchwise

/// The max-pool kernel's rule on ties and NaN — the first maximum wins, and the window's first
/// NaN wins over every number — in both of its paths: the C kernel takes eight outputs at a
/// time through vector masks and the last few of a sample one by one.
@Suite struct MaxPoolKernelTests {
    /// Windows of 2 × 2 over a 2 × 20 input: 10 outputs, 8 through the vector path, 2 alone.
    /// Each window's values in row-major order, and the position within it that must win.
    static let windows: [([Float], Int)] = [
        ([1, 1, 1, 1], 0),
        ([.nan, 5, .nan, 1], 0),
        ([1, 5, 5, 2], 1),
        ([1, 2, 3, .nan], 3),
        ([-3, -2, -2, -7], 1),
        ([0, -0.0, 0, 0], 0),
        ([-.infinity, -.infinity, -.infinity, -.infinity], 0),
        ([2, .infinity, .nan, .infinity], 2),
        ([4, 3, 9, 9], 2),
        ([7, .nan, 8, .nan], 1),
    ]

    @Test func tiesGoToTheFirstMaximumAndNaNWinsInBothPaths() throws {
        let h = try LayerHarness(MaxPool2D(2), input: [1, 2, 20])
        #expect(h.output == [1, 1, 10])
        var x = [Float](repeating: 0, count: 40)
        for (j, (values, _)) in Self.windows.enumerated() {
            x[2 * j] = values[0]
            x[2 * j + 1] = values[1]
            x[20 + 2 * j] = values[2]
            x[20 + 2 * j + 1] = values[3]
        }
        // Two samples: the second starts the vector path at a sample's first output again.
        let dy = (0..<20).map { Float($0 + 1) }
        let run = h.run(theta: [], x: x + x, count: 2, capacity: 2, dy: dy, position: nil)
        let dx = try #require(run.dx)
        for s in 0..<2 {
            for (j, (values, winner)) in Self.windows.enumerated() {
                let y = run.y[s * 10 + j], expected = values[winner]
                #expect(y.isNaN == expected.isNaN && (y.isNaN || y == expected), "sample \(s), output \(j): \(y), not \(expected)")
                let positions = [2 * j, 2 * j + 1, 20 + 2 * j, 20 + 2 * j + 1]
                for (k, position) in positions.enumerated() {
                    #expect(dx[s * 40 + position] == (k == winner ? dy[s * 10 + j] : 0), "sample \(s), output \(j), value \(k)")
                }
            }
        }
    }
}
