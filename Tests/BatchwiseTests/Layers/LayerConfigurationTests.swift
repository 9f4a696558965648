import BatchwiseTestSupport
import Testing
@testable import Batchwise

/// A model that cannot work is refused when it is built, with one `ConfigurationError` that
/// names the layer (its position and description) and the shapes involved — never a trap.
@Suite struct LayerConfigurationTests {
    /// The error building `layers` on `input` gives, which must mention every one of `words`.
    static func error(_ input: TensorShape, loss: Loss = .crossEntropy, _ words: [String], parameter: String? = nil,
                      @LayerBuilder _ layers: () -> [any Layer]) {
        do {
            _ = try Sequential(input: input, loss: loss, layers: layers())
            Issue.record("expected an error mentioning \(words)")
        } catch {
            for w in words { #expect(error.message.contains(w), "'\(w)' missing from: \(error.message)") }
            if let parameter {
                #expect(error.text.pieces.contains(.parameter(name: parameter, value: nil)), "names \(parameter): \(error.text.pieces)")
            }
        }
    }

    @Test func aKernelLargerThanItsInput() {
        Self.error([1, 8, 8], ["layer 4", "Conv2D(4, kernel: 5)", "larger than the input's 3×3", "input 3×3×3"], parameter: "kernel") {
            Conv2D(2, kernel: 3); MaxPool2D(2); Conv2D(3, kernel: 1); Conv2D(4, kernel: 5); Flatten(); Dense(2)
        }
        Self.error([5], ["layer 1", "Conv1D(2, kernel: 7, stride: 2)", "length 5"], parameter: "kernel") {
            Conv1D(2, kernel: 7, stride: 2); Flatten(); Dense(2)
        }
        Self.error([2, 3, 4], ["Conv1D(1, kernel: 3)", "2×3×4", "channels × length"]) { Conv1D(1, kernel: 3); Flatten(); Dense(2) }
        Self.error([1, 8, 8], ["MaxPool2D(3)", "2×2", "layer 3"], parameter: "size") {
            Conv2D(2, kernel: 3, stride: 3); ReLU(); MaxPool2D(3); Flatten(); Dense(2)
        }
        Self.error([4, 3], ["MaxPool1D(4)", "length 3"], parameter: "size") { MaxPool1D(4); Flatten(); Dense(2) }
    }

    @Test func aResidualBlockThatChangesTheShape() {
        Self.error([5], ["layer 1", "Residual { Dense(3) }", "map 5 to 3"]) { Residual { Dense(3) }; Dense(2) }
        Self.error([2, 6, 6], ["Residual { Conv2D(2, kernel: 3) }", "2×6×6", "2×4×4"]) {
            Residual { Conv2D(2, kernel: 3) }; Flatten(); Dense(2)
        }
        // A bad layer inside a block is named inside the block's message.
        Self.error([5], ["layer 2, Residual", "layer 1, Dropout(1.5)"], parameter: "probability") {
            Dense(5); Residual { Dropout(1.5) }; Dense(2)
        }
        Self.error([5], ["residual block needs at least one layer"]) { Residual {}; Dense(2) }
    }

    @Test func badArguments() {
        Self.error([1, 8, 8], ["Conv2D(0, kernel: 3)", "filters"], parameter: "filters") { Conv2D(0, kernel: 3); Flatten(); Dense(2) }
        Self.error([1, 8, 8], ["stride"], parameter: "stride") { Conv2D(2, kernel: 3, stride: 0); Flatten(); Dense(2) }
        Self.error([1, 8, 8], ["padding"], parameter: "padding") { Conv2D(2, kernel: 3, padding: -1); Flatten(); Dense(2) }
        Self.error([1, 8, 8], ["kernel"], parameter: "kernel") { Conv2D(2, kernel: 0); Flatten(); Dense(2) }
        Self.error([8], ["Dense(0)"], parameter: "units") { Dense(0) }
        Self.error([8], ["Dropout(1.0)"], parameter: "probability") { Dropout(1); Dense(2) }
        Self.error([8], ["Dropout(-0.1)"], parameter: "probability") { Dropout(-0.1); Dense(2) }
        Self.error([1, 8, 8], ["MaxPool2D(0)"], parameter: "size") { MaxPool2D(0); Flatten(); Dense(2) }
        Self.error([1, 8, 8], ["AvgPool2D(2, stride: 0)"], parameter: "stride") { AvgPool2D(2, stride: 0); Flatten(); Dense(2) }
        Self.error([8], ["LeakyReLU"], parameter: "slope") { LeakyReLU(slope: .nan); Dense(2) }
        Self.error([24], ["Reshape(5, 5)", "holds 25", "holds 24"]) { Reshape(5, 5); Flatten(); Dense(2) }
        Self.error([24], ["Reshape(0, 24)"], parameter: "dimensions") { Reshape(0, 24); Flatten(); Dense(2) }
    }

    @Test func shapesTheLayersCannotTake() {
        Self.error([2, 3, 4], ["layer 1", "Dense(5)", "2×3×4", "Flatten()"]) { Dense(5) }
        Self.error([12], ["Conv2D(2, kernel: 1)", "12", "channels × height × width"]) { Conv2D(2, kernel: 1); Flatten(); Dense(2) }
        Self.error([12], ["GlobalAvgPool()", "12"]) { GlobalAvgPool(); Dense(2) }
        Self.error([1, 8, 8], ["Conv2D(2, kernel: 3)", "2×6×6", "flat"]) { Conv2D(2, kernel: 3) }
        Self.error([8], ["at least 2 classes", "Dense(1)"]) { Dense(1) }
        Self.error([0, 3], ["input"], parameter: "input") { Dense(2) }
        Self.error([8], ["at least one layer"]) {}
        Self.error([8], ["no parameters"]) { ReLU() }
    }

    @Test func theTrainerRefusesDataOfAnotherWidth() throws {
        let model = try Sequential(input: [1, 7, 7]) { Flatten(); Dense(10) }
        let trainer = try LayersFixture.trainer(model, workers: 1, maxBatchSize: 8)
        #expect(throws: ConfigurationError.self) { try trainer.evaluate(on: Dataset.digits()) }
    }
}
