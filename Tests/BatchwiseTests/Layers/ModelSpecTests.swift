import BatchwiseTestSupport
import Testing
@testable import Batchwise

/// `ModelSpec`: the text grammar of `--model` and `--model-file` parses to the layers it
/// names, every layer prints its spec text, and text parses back to the same model; every bad
/// spec is one `ConfigurationError` naming the layer (position and text) — never a trap.
@Suite struct ModelSpecTests {
    static let lenet = "conv2d(6,5,padding=2) relu maxpool2d(2) conv2d(16,5) relu maxpool2d(2) flatten dense(120) relu dense(84) relu dense(10)"

    /// The error `text` gives on `input` (parsing, or connecting when parsing succeeds), which
    /// must mention every one of `words`.
    static func error(_ text: String, input: TensorShape = [1, 8, 8], loss: Loss = .crossEntropy, _ words: [String],
                      sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try Sequential(spec: text, input: input, loss: loss)
            Issue.record("expected an error mentioning \(words) for '\(text)'", sourceLocation: sourceLocation)
        } catch {
            for w in words {
                #expect(error.message.contains(w), "'\(w)' missing from: \(error.message)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test func leNetParsesToTheLayersItNames() throws {
        let model = try Sequential(spec: Self.lenet, input: [1, 28, 28])
        #expect(model.layers.map(\.description) == [
            "Conv2D(6, kernel: 5, padding: 2)", "ReLU()", "MaxPool2D(2)", "Conv2D(16, kernel: 5)", "ReLU()", "MaxPool2D(2)",
            "Flatten()", "Dense(120)", "ReLU()", "Dense(84)", "ReLU()", "Dense(10)",
        ])
        #expect(model.layerOutputShapes.map(\.description) == ["6×28×28", "6×28×28", "6×14×14", "16×10×10", "16×10×10", "16×5×5",
                                                               "400", "120", "120", "84", "84", "10"])
        // LeNet-5's well-known count: 156 + 2,416 + 48,120 + 10,164 + 850.
        #expect(model.tensorTable.trainableCount == 61_706)
        #expect(model.spec == Self.lenet)
    }

    /// Every layer of the grammar, with defaults written out, keys, spaces and `()`: the
    /// model is the one the builder makes, and its canonical text is as given.
    @Test func everyLayerNameAndItsArguments() throws {
        let text = """
            reshape(2, 32) conv1d(4, 3, stride = 2, padding=1) maxpool1d(2, stride=1) leakyrelu(slope=0.2)
            reshape(1,6,10) conv2d(filters=3, kernel=1) maxpool2d(1) avgpool2d(1,stride=1) relu() gelu tanh sigmoid
            residual(conv2d(3,1), leakyrelu  layernorm) globalavgpool flatten dropout(p=0.25) dense(units=4) dropout(0.5) dense(3)
            """
        let parsed = try Sequential(spec: text, input: [64])
        let built = try Sequential(input: [64]) {
            Reshape(2, 32); Conv1D(4, kernel: 3, stride: 2, padding: 1); MaxPool1D(2, stride: 1); LeakyReLU(slope: 0.2)
            Reshape(1, 6, 10); Conv2D(3, kernel: 1); MaxPool2D(1); AvgPool2D(1, stride: 1); ReLU(); GELU(); Tanh(); Sigmoid()
            Residual { Conv2D(3, kernel: 1); LeakyReLU(); LayerNorm() }
            GlobalAvgPool(); Flatten(); Dropout(0.25); Dense(4); Dropout(0.5); Dense(3)
        }
        #expect(parsed.layers.map(\.description) == built.layers.map(\.description))
        #expect(parsed.tensorTable == built.tensorTable)
        #expect(parsed.layerOutputShapes == built.layerOutputShapes)
        #expect(parsed.spec == """
            reshape(2,32) conv1d(4,3,stride=2,padding=1) maxpool1d(2,stride=1) leakyrelu(slope=0.2) \
            reshape(1,6,10) conv2d(3,1) maxpool2d(1) avgpool2d(1) relu gelu tanh sigmoid \
            residual(conv2d(3,1) leakyrelu layernorm) globalavgpool flatten dropout(0.25) dense(4) dropout(0.5) dense(3)
            """)
        #expect(Set(ModelSpec.layerNames) == ["dense", "conv1d", "conv2d", "maxpool1d", "maxpool2d", "avgpool2d", "globalavgpool",
                                              "flatten", "reshape", "relu", "leakyrelu", "gelu", "tanh", "sigmoid", "dropout",
                                              "layernorm", "residual"])
    }

    /// Canonical text parses back to itself, and the model it gives has the same tensors and
    /// the same outputs for the same weights.
    @Test(arguments: [
        lenet,
        "conv1d(25,5,stride=2,padding=1) relu conv1d(25,3,stride=2,padding=1) relu conv1d(25,3,stride=2,padding=1) relu flatten dense(10)",
        "conv2d(4,3,padding=1) residual(conv2d(4,3,padding=1) relu residual(conv2d(4,1) tanh) layernorm) maxpool2d(3,stride=2) flatten dropout(0.1) dense(10)",
        "flatten dense(16) leakyrelu(slope=0.3) dense(16) gelu dense(10)",
    ])
    func canonicalTextRoundTrips(_ text: String) throws {
        let input: TensorShape = text.hasPrefix("conv1d") ? [40] : text.hasPrefix("flatten") ? [64] : [1, 28, 28]
        let first = try ModelSpec(parsing: text)
        #expect(first.text == text)
        let second = try ModelSpec(parsing: first.text)
        #expect(second.text == first.text)
        let a = try Sequential(spec: first, input: input), b = try Sequential(spec: try #require(a.spec), input: input)
        #expect(a.tensorTable == b.tensorTable)
        #expect(a.layers.map(\.description) == b.layers.map(\.description))
    }

    /// A model file: one layer a line, comments, blank lines and a block over several lines.
    @Test func aModelFileWithCommentsAndLines() throws {
        let file = """
            # LeNet-like, for the digits
            conv2d(4,3,padding=1)   # 4×8×8
            relu

            residual(               # keeps 4×8×8
                conv2d(4,3,padding=1)
                relu
            )
            maxpool2d(2)
            flatten
            dense(10)  # the classes
            """
        let spec = try ModelSpec(parsing: file)
        #expect(spec.text == "conv2d(4,3,padding=1) relu residual(conv2d(4,3,padding=1) relu) maxpool2d(2) flatten dense(10)")
        #expect(try Sequential(spec: spec, input: [1, 8, 8]).outputShape == [10])
        // Positions in a file also say the line.
        Self.error("flatten\n# a comment\ndense(10)\nconv3d(2,3)\n", ["layer 3 (line 4)", "conv3d(2,3)", "unknown layer 'conv3d'"])
    }

    @Test func theDenseStackShorthand() throws {
        let stack = try Sequential.denseStack(widths: [64, 32, 16, 10], activation: .tanh)
        #expect(stack.spec == "dense(32) tanh dense(16) tanh dense(10)")
        #expect(stack.inputShape == [64])
        #expect(try stack.tensorTable.trainableCount == MLP(widths: [64, 32, 16, 10]).layout.trainableCount)
        #expect(try Sequential.denseStack(widths: [4, 3], loss: .mse).spec == "dense(3)")
        // The same errors as the MLP for the same widths.
        for widths in [[64], [64, 0, 10], [64, 1]] {
            let mlp = #expect(throws: ConfigurationError.self) { try MLP(widths: widths) }
            let stack = #expect(throws: ConfigurationError.self) { try Sequential.denseStack(widths: widths) }
            #expect(mlp == stack)
        }
    }

    // MARK: Bad specs

    @Test func unknownLayers() {
        Self.error("flatten dense(10) softmax", ["layer 3, softmax", "unknown layer 'softmax'", "the layers are dense, conv1d"])
        Self.error("conv3d(2,3) flatten dense(10)", ["layer 1, conv3d(2,3)", "did you mean conv1d or conv2d?"])
        Self.error("Conv2D(2,3) flatten dense(10)", ["layer 1, Conv2D(2,3)", "lower case: write conv2d"])
        Self.error("flatten dense(10) 7", ["layer 3, 7", "unknown layer '7'"])
        Self.error("flatten dense(10) =", ["unexpected '='", "column 19"])
    }

    @Test func badArguments() {
        Self.error("flatten dense", ["layer 2, dense", "dense needs its units", "dense(units)"])
        Self.error("conv2d(6) flatten dense(10)", ["layer 1, conv2d(6)", "needs its kernel", "conv2d(filters, kernel, stride=1, padding=0)"])
        Self.error("flatten dense(10,2)", ["layer 2, dense(10,2)", "at most 1 argument but got 2"])
        Self.error("flatten relu(2) dense(10)", ["layer 2, relu(2)", "relu takes no arguments"])
        Self.error("conv2d(6,5,pad=2) flatten dense(10)", ["layer 1", "conv2d has no argument 'pad'", "filters, kernel, stride, padding"])
        Self.error("conv2d(6,5,kernel=3) flatten dense(10)", ["'kernel' is given twice"])
        Self.error("conv2d(6,kernel=5,1) flatten dense(10)", ["argument 3 has no key but follows one that has"])
        Self.error("conv2d(6,2.5) flatten dense(10)", ["layer 1, conv2d(6,2.5)", "'kernel' must be a whole number (got '2.5')"])
        Self.error("flatten dense(ten)", ["'units' must be a whole number (got 'ten')"])
        Self.error("flatten dropout(high) dense(10)", ["layer 2, dropout(high)", "'p' must be a number"])
        Self.error("flatten dropout(nan) dense(10)", ["'p' must be a number"])
        Self.error("flatten dense(10,) ", ["argument 2 is empty"])
        Self.error("flatten dense(=10)", ["argument 1 is empty"])
        Self.error("reshape(8,x) flatten dense(10)", ["size 2 must be a whole number"])
        Self.error("reshape flatten dense(10)", ["reshape takes the new shape's sizes"])
        Self.error("flatten dense(99999999999999999999)", ["whole number"])
        // Out of range: found when the layers are connected, naming the layer and its input.
        Self.error("flatten dense(0)", ["layer 2, dense(0), cannot take input 64", "`units` must be between 1"])
        Self.error("conv2d(0,3) flatten dense(10)", ["layer 1, conv2d(0,3), cannot take input 1×8×8", "`filters`"])
        Self.error("conv2d(2,3,stride=0) flatten dense(10)", ["conv2d(2,3,stride=0)", "`stride` must be at least 1"])
        Self.error("flatten dropout(1.5) dense(10)", ["layer 2, dropout(1.5)", "`probability`"])
        Self.error("flatten leakyrelu(slope=1e39) dense(10)", ["'slope' must be a number"])
    }

    /// Residual blocks nested thousands deep (found probing the parser for its fuzz runs)
    /// overflowed the stack (each level is a recursion of the parser). Now they nest at most 8
    /// deep, and deeper text is an error.
    @Test func residualBlocksNestAtMostEightDeep() throws {
        func nested(_ depth: Int) -> String {
            String(repeating: "residual(", count: depth) + "dense(4)" + String(repeating: ")", count: depth) + " dense(2)"
        }
        let eight = try Sequential(spec: nested(8), input: [4])
        #expect(eight.spec == nested(8))
        for depth in [9, 5_000] {
            do {
                _ = try ModelSpec(parsing: nested(depth))
                Issue.record("residual blocks \(depth) deep parsed")
            } catch {
                #expect(error.message.contains("residual blocks nest at most 8 deep"), "\(error.message.prefix(300))")
            }
        }
    }

    /// A shape whose element count overflows `Int` is refused, not wrapped: 2³² × 2³² × 4 used to
    /// count 0 floats, which passed the input's size check (a checkpoint's header could give it).
    @Test func aShapeTooLargeToCountIsRefused() {
        #expect(TensorShape([1 << 32, 1 << 32, 4]).count == Int.max)
        #expect(TensorShape([1 << 40, 1 << 40]).count == Int.max)
        #expect(TensorShape([3, 0, 1 << 62]).count == 0)
        Self.error("conv2d(1,1) flatten dense(2)", input: [1 << 32, 1 << 32, 4], ["input", "more than Int.max values per sample", "at most 268435456"])
        Self.error("flatten dense(2)", input: [1 << 15, 1 << 14], ["input", "536870912 values per sample", "at most 268435456"])
        Self.error("flatten dense(2)", input: [3, 0], ["positive sizes", "[1, 28, 28]"])
        Self.error("reshape(1099511627776,1099511627776) flatten dense(2)", input: [4], ["reshape"])
    }

    @Test func unbalancedParentheses() {
        Self.error("conv2d(6,5 relu flatten dense(10)", ["layer 1, conv2d(6,5 relu flatten dense(10)", "'(' at column 7 is never closed"])
        Self.error("flatten dense(10))", ["the ')' at column 18 closes no '('"])
        Self.error("(10) flatten dense(10)", ["'(' at column 1 follows no layer name"])
        Self.error("flatten (10) dense(10)", ["layer 1, flatten (10)", "flatten takes no arguments"])
        Self.error("flatten dense((10)) ", ["layer 2", "unexpected '(' at column 15"])
        Self.error("residual(relu dense(10)", ["layer 1", "never closed"])
        Self.error("flatten dense(10)relu", ["layer 2, dense(10): put a space between it and what follows at column 18"])
        Self.error("", ["has no layers"])
        Self.error("  # only a comment\n", ["has no layers"])
    }

    @Test func shapesTheSpecCannotTake() {
        // A kernel larger than its input.
        Self.error("conv2d(2,3) maxpool2d(2) conv2d(4,5) flatten dense(10)",
                   ["layer 3, conv2d(4,5), cannot take input 2×3×3", "`kernel` 5 is larger than the input's 3×3"])
        Self.error("conv1d(2,50) flatten dense(10)", input: [40], ["layer 1, conv1d(2,50), cannot take input 40", "longer than the input's length 40"])
        // A residual block that changes the shape, and a bad layer inside one.
        Self.error("flatten residual(dense(3)) dense(10)",
                   ["layer 2, residual(dense(3)), cannot take input 64", "map 64 to 3", "must give back the shape it takes"])
        Self.error("flatten residual(relu dropout(2)) dense(10)", ["layer 2, residual(relu dropout(2.0))", "layer 2, dropout(2.0)", "`probability`"])
        Self.error("flatten residual(relu frobnicate) dense(10)", ["layer 2, residual(relu frobnicate)", "layer 2, frobnicate", "unknown layer"])
        Self.error("flatten residual() dense(10)", ["at least one layer inside"])
        Self.error("flatten residual dense(10)", ["needs its layers in parentheses"])
        // Data of a shape the spec cannot take: 2-D layers on flat data, dense on an image.
        Self.error("conv2d(6,5) flatten dense(10)", input: [784],
                   ["layer 1, conv2d(6,5), cannot take input 784", "channels × height × width", "`input: [1, 28, 28]`", "reshape"])
        Self.error("maxpool2d(2) flatten dense(10)", input: [784], ["layer 1, maxpool2d(2)", "`input: [1, 28, 28]`"])
        Self.error("dense(10)", ["layer 1, dense(10), cannot take input 1×8×8", "flatten in a spec"])
        Self.error("conv2d(2,3)", ["the last layer, conv2d(2,3), outputs 2×6×6", "flatten then dense(k)"])
        Self.error("flatten dense(1)", ["at least 2 classes", "the last layer, dense(1)"])
        Self.error("flatten relu", ["no parameters", "add a dense"])
    }

    /// A flat input of L features is 1 × L to `conv1d` and `maxpool1d`; `reshape` gives flat
    /// data any shape of its size.
    @Test func flatInputsToOneDimensionalLayersAndReshape() throws {
        let signal = try Sequential(spec: "conv1d(3,5) maxpool1d(2) flatten dense(2)", input: [40])
        #expect(signal.layerOutputShapes.prefix(2) == [[3, 36], [3, 18]])
        let image = try Sequential(spec: "reshape(1,8,8) conv2d(2,3) flatten dense(10)", input: [64])
        #expect(image.layerOutputShapes[1] == [2, 6, 6])
    }
}
