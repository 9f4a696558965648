import BatchwiseTestSupport
import Testing
@testable import Batchwise

/// ReLU's rule on NaN and −0 — both are kept forward, and a NaN or positive output passes the
/// gradient back — in both of its paths: 16-lane vectors and the few values after the last
/// full vector. The same value must give the same bits wherever the shard's length puts it.
@Suite struct ReLUKernelTests {
    /// Positions 0…3 go through the vector path, 16…19 (the same values) through the tail.
    static let specials: [Float] = [.nan, -0.0, 0, -1.5]
    static let input: [Float] = specials + (4..<16).map { Float($0) - 9.5 } + specials

    static func sameBits(_ a: Float, _ b: Float) -> Bool { a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN) }

    @Test func theVectorLanesAndTheTailAgreeOnNaNAndNegativeZero() throws {
        let h = try LayerHarness(ReLU(), input: [20])
        let dy = (0..<20).map { Float($0 + 1) }
        let run = h.run(theta: [], x: Self.input, count: 1, capacity: 1, dy: dy, position: nil)
        let dx = try #require(run.dx)
        for i in 0..<4 {
            #expect(Self.sameBits(run.y[i], run.y[16 + i]), "output \(i): \(run.y[i]) in a vector, \(run.y[16 + i]) in the tail")
            #expect(dx[i] == 0 ? dx[16 + i] == 0 : dx[16 + i] == dy[16 + i], "gradient \(i): \(dx[i]) in a vector, \(dx[16 + i]) in the tail")
        }
        #expect(run.y[0].isNaN && run.y[16].isNaN)
        #expect(run.y[1].bitPattern == (-0.0 as Float).bitPattern && run.y[17].bitPattern == (-0.0 as Float).bitPattern)
        #expect(run.y[3] == 0 && run.y[19] == 0)
        #expect(dx[0] == dy[0] && dx[16] == dy[16], "a NaN output passes its gradient on")
        #expect(dx[1] == 0 && dx[2] == 0 && dx[3] == 0 && dx[17] == 0 && dx[18] == 0 && dx[19] == 0)
    }

    /// The MLP's in-place activation (the dense stack of `--layers`) follows the same rule.
    @Test func theInPlaceActivationAgreesToo() {
        var x = Self.input
        x.withUnsafeMutableBufferPointer { Activation.relu.forward($0.baseAddress!, count: 20) }
        var delta = (0..<20).map { Float($0 + 1) }
        x.withUnsafeBufferPointer { a in
            delta.withUnsafeMutableBufferPointer { Activation.relu.backward(output: a.baseAddress!, delta: $0.baseAddress!, count: 20) }
        }
        for i in 0..<4 {
            #expect(Self.sameBits(x[i], x[16 + i]), "output \(i): \(x[i]) in a vector, \(x[16 + i]) in the tail")
            #expect((delta[i] == 0) == (delta[16 + i] == 0), "gradient \(i): \(delta[i]) in a vector, \(delta[16 + i]) in the tail")
        }
    }
}
