/// A model as a table, as Keras's `model.summary()` shows one: each layer, the shape of one
/// sample of its output and its parameter count, then the total.
///
///       #  layer                  output shape  parameters
///          input                  1×28×28
///       1  conv2d(6,5,padding=2)  6×28×28              156
///       2  relu                   6×28×28                0
///     …
///          total                                    61,706  (241.0 KiB as float32)
///
/// The layers inside a residual block follow its row, indented and numbered within it (`5.1`).
public struct ModelSummary: Sendable, Equatable, CustomStringConvertible {
    /// One layer of the table.
    public struct Row: Sendable, Equatable {
        /// `3`, or `5.2` for the second layer inside the block at position 5.
        public let position: String
        /// The layer's spec text (`conv2d(6,5,padding=2)`; `residual` for a block, whose layers
        /// have rows of their own), or its description when it has none.
        public let layer: String
        /// The shape of one sample of the layer's output.
        public let outputShape: TensorShape
        /// Values in its parameter tensors (a block's: its layers' together).
        public let parameters: Int
        /// 0 for a layer of the model, 1 inside a residual block, and so on.
        public let depth: Int
    }

    /// The shape of one input sample (the table's first line).
    public let inputShape: TensorShape
    /// The layers in order, each residual block's layers right after it.
    public let rows: [Row]
    /// Trainable values of the model (padding between tensors excluded).
    public let totalParameters: Int

    init(_ model: Sequential) {
        inputShape = model.inputShape
        var rows: [Row] = []
        Self.addRows(of: model.chain, prefix: "", depth: 0, into: &rows)
        self.rows = rows
        totalParameters = model.tensorTable.trainableCount
    }

    private static func addRows(of chain: LayerChain, prefix: String, depth: Int, into rows: inout [Row]) {
        for (i, layer) in chain.layers.enumerated() {
            let position = prefix + String(i + 1)
            let inner = (layer as? Residual)?.chain
            rows.append(Row(position: position, layer: inner == nil ? LayerSpelling.spec.name(layer) : "residual",
                            outputShape: chain.shapes[i + 1],
                            parameters: layer.parameterTensors.reduce(0) { $0 + $1.shape.count }, depth: depth))
            if let inner { addRows(of: inner, prefix: position + ".", depth: depth + 1, into: &rows) }
        }
    }

    /// The table as text, one line per row, every line ending in a newline.
    public var text: String {
        let header = ["#", "layer", "output shape", "parameters"]
        var cells = [["", "input", inputShape.description, ""]]
        cells += rows.map { [$0.position, String(repeating: "  ", count: $0.depth) + $0.layer, $0.outputShape.description,
                             Self.grouped($0.parameters)] }
        let kib = Double(totalParameters) * 4 / 1024
        cells.append(["", "total", "", Self.grouped(totalParameters)])
        let widths = (0..<header.count).map { c in ([header] + cells).map { $0[c].count }.max()! }
        func line(_ row: [String]) -> String {
            let padded = row.indices.map { c in
                let gap = String(repeating: " ", count: widths[c] - row[c].count)
                // Numbers right-aligned, text left-aligned.
                return c == 0 || c == 3 ? gap + row[c] : row[c] + gap
            }
            var text = padded.joined(separator: "  ")
            while text.last == " " { text.removeLast() }
            return text
        }
        var lines = [line(header)] + cells.map(line)
        lines[lines.count - 1] += "  (" + String(format1: kib) + " KiB as float32)"
        return lines.joined(separator: "\n") + "\n"
    }

    public var description: String { text }

    /// 61706 → `61,706`.
    static func grouped(_ n: Int) -> String {
        let digits = Array(String(n))
        var out = ""
        for (k, d) in digits.enumerated() {
            if k > 0 && (digits.count - k) % 3 == 0 { out.append(",") }
            out.append(d)
        }
        return out
    }
}

extension String {
    /// `x` with one decimal, without Foundation's locale-dependent formatting.
    fileprivate init(format1 x: Double) {
        let tenths = Int((x * 10).rounded())
        self = "\(tenths / 10).\(tenths % 10)"
    }
}

extension Sequential {
    /// The model as a table of layers, output shapes and parameter counts (see `ModelSummary`).
    public var summary: ModelSummary { ModelSummary(self) }
}
