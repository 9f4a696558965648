/// A model written as text, as `batchwise train --model` takes it: layers separated by
/// whitespace, each `name` or `name(argument, …, key=value)`:
///
///     conv2d(6,5,padding=2) relu maxpool2d(2) conv2d(16,5) relu maxpool2d(2)
///     flatten dense(120) relu dense(84) relu dense(10)
///
/// The same text may stand one layer a line (a `--model-file`): `#` starts a comment that runs
/// to the end of its line, and line breaks are whitespace like any other. Inside a residual
/// block, layers may also be separated by commas. Names are lower case. The layers, with
/// their required arguments first and the others' defaults:
///
///     dense(units)
///     conv1d(filters, kernel, stride=1, padding=0)     conv2d(filters, kernel, stride=1, padding=0)
///     maxpool1d(size, stride=size)    maxpool2d(size, stride=size)    avgpool2d(size, stride=size)
///     globalavgpool    flatten    reshape(d1, d2, …)
///     relu    leakyrelu(slope=0.01)    gelu    tanh    sigmoid
///     dropout(p)    layernorm    residual(layer …)
///
/// Any argument may also be given by its key (`conv2d(6, kernel=5)`). Sizes are whole
/// numbers; `slope` and `p` are decimal numbers.
///
/// Residual blocks nest at most 8 deep.
///
/// Parsing checks the text — names, parentheses, argument counts, keys and types — and each
/// error names the layer by its position (from 1, with its line for text of several lines)
/// and its text. The checks that need the input's shape (a kernel larger than its input, a
/// residual block that changes the shape, a size out of range) come when the layers are
/// connected, in `Sequential(spec:input:loss:)`.
public struct ModelSpec: Sendable, CustomStringConvertible {
    /// The layers, not yet connected to an input shape.
    public let layers: [any Layer]

    /// The spec's canonical text: each layer's `specText`, separated by single spaces. It parses
    /// back to the same layers.
    public let text: String

    public var description: String { text }

    /// The names of the layers the grammar knows, in the order the documentation lists them.
    public static let layerNames: [String] = ModelSpecParser.signatures.map(\.name) + ["residual"]

    /// Parses `text` (see the type's documentation for the grammar).
    ///
    /// - Throws: `ConfigurationError` naming the layer (its position and text) that is an
    ///   unknown name, has a bad argument (too many or too few, an unknown or repeated key, a
    ///   value of the wrong type) or unbalanced parentheses; or saying the text has no layers.
    public init(parsing text: String) throws(ConfigurationError) {
        let parser = ModelSpecParser(text)
        let layers = try parser.parseList(parser.scalars.indices, depth: 0)
        guard !layers.isEmpty else {
            throw ConfigurationError("the model \(parameter: "spec") has no layers; write them separated by spaces, such as 'flatten dense(128) relu dense(10)'")
        }
        self.layers = layers
        // Every layer the parser makes has a spec text.
        self.text = layers.map { $0.specText ?? $0.description }.joined(separator: " ")
    }
}

extension Sequential {
    /// The model `spec` describes (see `ModelSpec`), taking samples of shape `input`.
    ///
    /// - Throws: `ConfigurationError` for a spec that does not parse, or whose layers do not
    ///   fit `input` or each other: each message names the layer by its position and spec text,
    ///   and the shapes involved.
    public convenience init(spec: String, input: TensorShape, loss: Loss = .crossEntropy) throws(ConfigurationError) {
        try self.init(spec: ModelSpec(parsing: spec), input: input, loss: loss)
    }

    /// The model of a parsed `spec`, taking samples of shape `input`.
    public convenience init(spec: ModelSpec, input: TensorShape, loss: Loss = .crossEntropy) throws(ConfigurationError) {
        try self.init(input: input, loss: loss, layers: spec.layers, spelling: .spec)
    }

    /// The model as a spec (`ModelSpec`'s canonical text), or nil when one of its layers has
    /// no spec text (a layer written outside Batchwise). `Sequential(spec:input:loss:)` of it
    /// gives the same model.
    public var spec: String? {
        let texts = layers.map(\.specText)
        guard texts.allSatisfy({ $0 != nil }) else { return nil }
        return texts.map { $0! }.joined(separator: " ")
    }

    /// The dense stack `MLP(widths:activation:loss:)` describes — `Dense(w₁)`, the activation,
    /// `Dense(w₂)`, …, `Dense(wₙ)` on a flat input of w₀ features — as a `Sequential`, with the
    /// same errors for bad widths. (Its parameters initialise as PyTorch's `Linear`, not as
    /// `MLP`'s, and are laid out differently, so the weights differ from an `MLP`'s.)
    public static func denseStack(widths: [Int], activation: Activation = .relu, loss: Loss = .crossEntropy) throws(ConfigurationError) -> Sequential {
        _ = try MLP(widths: widths, activation: activation, loss: loss)
        var layers: [any Layer] = []
        for (i, width) in widths.dropFirst().enumerated() {
            layers.append(Dense(width))
            guard i < widths.count - 2 else { break }
            switch activation {
            case .relu: layers.append(ReLU())
            case .tanh: layers.append(Tanh())
            case .sigmoid: layers.append(Sigmoid())
            }
        }
        return try Sequential(input: [widths[0]], loss: loss, layers: layers, spelling: .spec)
    }
}

/// Reads a model spec's text into layers (see `ModelSpec`).
struct ModelSpecParser {
    /// The text, with comments blanked out (so positions stay those of the original).
    let scalars: [Unicode.Scalar]
    let multiline: Bool

    init(_ text: String) {
        var scalars: [Unicode.Scalar] = []
        var inComment = false
        for s in text.unicodeScalars {
            if s == "\n" { inComment = false } else if s == "#" { inComment = true }
            scalars.append(inComment ? " " : s)
        }
        self.scalars = scalars
        let end = scalars.lastIndex { !$0.properties.isWhitespace } ?? 0
        multiline = scalars[..<end].contains("\n")
    }

    /// A layer's name and arguments: the required ones first, then those with defaults.
    struct Signature {
        let name: String
        let parameters: [String]
        let required: Int
        let defaults: [String]

        /// `conv2d(filters, kernel, stride=1, padding=0)`.
        var usage: String {
            if parameters.isEmpty { return name }
            let optional = zip(parameters.dropFirst(required), defaults).map { "\($0)=\($1)" }
            return name + "(" + (parameters.prefix(required) + optional).joined(separator: ", ") + ")"
        }
    }

    static let signatures: [Signature] = [
        Signature(name: "dense", parameters: ["units"], required: 1, defaults: []),
        Signature(name: "conv1d", parameters: ["filters", "kernel", "stride", "padding"], required: 2, defaults: ["1", "0"]),
        Signature(name: "conv2d", parameters: ["filters", "kernel", "stride", "padding"], required: 2, defaults: ["1", "0"]),
        Signature(name: "maxpool1d", parameters: ["size", "stride"], required: 1, defaults: ["size"]),
        Signature(name: "maxpool2d", parameters: ["size", "stride"], required: 1, defaults: ["size"]),
        Signature(name: "avgpool2d", parameters: ["size", "stride"], required: 1, defaults: ["size"]),
        Signature(name: "globalavgpool", parameters: [], required: 0, defaults: []),
        Signature(name: "flatten", parameters: [], required: 0, defaults: []),
        Signature(name: "reshape", parameters: [], required: 0, defaults: []),
        Signature(name: "relu", parameters: [], required: 0, defaults: []),
        Signature(name: "leakyrelu", parameters: ["slope"], required: 0, defaults: ["0.01"]),
        Signature(name: "gelu", parameters: [], required: 0, defaults: []),
        Signature(name: "tanh", parameters: [], required: 0, defaults: []),
        Signature(name: "sigmoid", parameters: [], required: 0, defaults: []),
        Signature(name: "dropout", parameters: ["p"], required: 1, defaults: []),
        Signature(name: "layernorm", parameters: [], required: 0, defaults: []),
    ]

    // MARK: Layers

    /// How deep residual blocks may nest. Each level is a recursion of the parser (and of the
    /// model built from it), so text nested thousands deep would overflow the stack; no model
    /// needs more than a few levels.
    static let maximumNesting = 8

    /// The layers in `range`, inside `depth` residual blocks: whitespace-separated at the top
    /// level, whitespace- or comma-separated inside a residual block (depth above 0).
    func parseList(_ range: Range<Int>, depth: Int) throws(ConfigurationError) -> [any Layer] {
        let nested = depth > 0
        var layers: [any Layer] = []
        var i = range.lowerBound
        while true {
            while i < range.upperBound && isSeparator(scalars[i], nested: nested) { i += 1 }
            guard i < range.upperBound else { return layers }
            let c = scalars[i]
            guard c != ")" else { throw ConfigurationError("the ')' \(place(i)) closes no '('") }
            guard c != "(" else {
                throw ConfigurationError("the '(' \(place(i)) follows no layer name; write a layer as name(arguments), such as dense(10)")
            }
            let start = i
            while i < range.upperBound && isNameCharacter(scalars[i]) { i += 1 }
            let name = String(String.UnicodeScalarView(scalars[start..<i]))
            guard !name.isEmpty else {
                throw ConfigurationError("unexpected '\(c)' \(place(i)); a layer is a name such as relu, or a name and its arguments in parentheses, such as dense(10)")
            }
            // `name (…)`: spaces may stand before the parenthesis, on the same line.
            var j = i
            while j < range.upperBound && (scalars[j] == " " || scalars[j] == "\t") { j += 1 }
            var arguments: Range<Int>? = nil
            if j < range.upperBound && scalars[j] == "(" {
                guard let close = matchingParenthesis(j, within: range) else {
                    throw ConfigurationError("\(position(layers.count + 1, start)), \(quoted(start..<range.upperBound)): the '(' \(place(j)) is never closed")
                }
                arguments = (j + 1)..<close
                i = close + 1
            }
            let text = quoted(start..<i)
            if i < range.upperBound && !isSeparator(scalars[i], nested: nested) && scalars[i] != ")" {
                throw ConfigurationError("\(position(layers.count + 1, start)), \(text): put a space between it and what follows \(place(i))")
            }
            do {
                layers.append(try layer(name, arguments: arguments, depth: depth))
            } catch {
                throw ConfigurationError("\(position(layers.count + 1, start)), \(text): \(error.text)")
            }
        }
    }

    /// The layer `name` with the arguments between its parentheses (nil: none were written),
    /// inside `depth` residual blocks.
    private func layer(_ name: String, arguments range: Range<Int>?, depth: Int) throws(ConfigurationError) -> any Layer {
        if name == "residual" {
            guard let range else {
                throw ConfigurationError("a residual block needs its layers in parentheses, such as residual(conv2d(8,3,padding=1) relu)")
            }
            guard depth < Self.maximumNesting else {
                throw ConfigurationError("residual blocks nest at most \(Self.maximumNesting) deep")
            }
            let body = try parseList(range, depth: depth + 1)
            guard !body.isEmpty else { throw ConfigurationError("a residual block needs at least one layer inside") }
            var block = Residual(body)
            block.spelling = .spec
            return block
        }
        guard let signature = Self.signatures.first(where: { $0.name == name }) else {
            throw ConfigurationError(unknownName(name))
        }
        let given = try range.map(arguments) ?? []
        if name == "reshape" {
            guard !given.isEmpty, given.allSatisfy({ $0.key == nil }) else {
                throw ConfigurationError("reshape takes the new shape's sizes, such as reshape(1,28,28)")
            }
            var sizes: [Int] = []
            for (k, a) in given.enumerated() { sizes.append(try Self.integer(a.value, "size \(k + 1)")) }
            return Reshape(sizes)
        }
        let a = try SpecArguments(given, signature)
        switch name {
        case "dense": return Dense(try a.integer("units")!)
        case "conv1d":
            return Conv1D(try a.integer("filters")!, kernel: try a.integer("kernel")!, stride: try a.integer("stride") ?? 1,
                          padding: try a.integer("padding") ?? 0)
        case "conv2d":
            return Conv2D(try a.integer("filters")!, kernel: try a.integer("kernel")!, stride: try a.integer("stride") ?? 1,
                          padding: try a.integer("padding") ?? 0)
        case "maxpool1d": return MaxPool1D(try a.integer("size")!, stride: try a.integer("stride"))
        case "maxpool2d": return MaxPool2D(try a.integer("size")!, stride: try a.integer("stride"))
        case "avgpool2d": return AvgPool2D(try a.integer("size")!, stride: try a.integer("stride"))
        case "globalavgpool": return GlobalAvgPool()
        case "flatten": return Flatten()
        case "relu": return ReLU()
        case "leakyrelu": return LeakyReLU(slope: try a.number("slope") ?? 0.01)
        case "gelu": return GELU()
        case "tanh": return Tanh()
        case "sigmoid": return Sigmoid()
        case "dropout": return Dropout(try a.number("p")!)
        case "layernorm": return LayerNorm()
        default: preconditionFailure("a signature without a layer: \(name)")
        }
    }

    private func unknownName(_ name: String) -> ErrorText {
        let names = ModelSpec.layerNames
        if names.contains(name.lowercased()) { return "layer names are lower case: write \(name.lowercased())" }
        let near = names.filter { Self.editDistance($0, name.lowercased()) <= 2 }
        let suggestion = near.isEmpty ? "" : " (did you mean \(near.joined(separator: " or "))?)"
        return "unknown layer '\(name)'\(suggestion); the layers are \(names.joined(separator: ", "))"
    }

    // MARK: Arguments

    /// One argument as written: `5`, or `padding=2`.
    struct Argument {
        let key: String?
        let value: String
    }

    /// The comma-separated arguments in `range` (empty for `relu()`).
    private func arguments(_ range: Range<Int>) throws(ConfigurationError) -> [Argument] {
        if let k = range.first(where: { scalars[$0] == "(" || scalars[$0] == ")" }) {
            throw ConfigurationError("unexpected '\(scalars[k])' \(place(k)) among the arguments, which are numbers")
        }
        let text = String(String.UnicodeScalarView(scalars[range]))
        if text.allSatisfy(\.isWhitespace) { return [] }
        var result: [Argument] = []
        for (k, piece) in text.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            let parts = piece.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(Self.trimmed)
            guard parts.allSatisfy({ !$0.isEmpty }) else { throw ConfigurationError("argument \(k + 1) is empty") }
            if parts.count == 2 {
                guard parts[0].unicodeScalars.allSatisfy(isNameCharacter) else {
                    throw ConfigurationError("argument \(k + 1), '\(Self.trimmed(piece))', is not key=value with a name for key")
                }
                result.append(Argument(key: parts[0], value: parts[1]))
            } else {
                result.append(Argument(key: nil, value: parts[0]))
            }
        }
        return result
    }

    /// Arguments matched to a signature's parameters, by position then by key.
    struct SpecArguments {
        let values: [String: String]

        init(_ given: [Argument], _ signature: Signature) throws(ConfigurationError) {
            let p = signature.parameters
            let usage = "write it as \(signature.usage)"
            guard !(p.isEmpty && !given.isEmpty) else { throw ConfigurationError("\(signature.name) takes no arguments") }
            var values: [String: String] = [:]
            var sawKey = false
            for (k, argument) in given.enumerated() {
                let name: String
                if let key = argument.key {
                    guard p.contains(key) else {
                        throw ConfigurationError("\(signature.name) has no argument '\(key)'; its arguments are \(p.joined(separator: ", ")) (\(usage))")
                    }
                    name = key
                    sawKey = true
                } else {
                    guard !sawKey else { throw ConfigurationError("argument \(k + 1) has no key but follows one that has; \(usage)") }
                    guard k < p.count else {
                        throw ConfigurationError("\(signature.name) takes at most \(p.count) argument\(p.count == 1 ? "" : "s") but got \(given.count); \(usage)")
                    }
                    name = p[k]
                }
                guard values[name] == nil else { throw ConfigurationError("'\(name)' is given twice") }
                values[name] = argument.value
            }
            let missing = p.prefix(signature.required).filter { values[$0] == nil }
            guard missing.isEmpty else {
                throw ConfigurationError("\(signature.name) needs its \(missing.joined(separator: " and ")); \(usage)")
            }
            self.values = values
        }

        func integer(_ name: String) throws(ConfigurationError) -> Int? {
            guard let v = values[name] else { return nil }
            return try ModelSpecParser.integer(v, "'\(name)'")
        }

        func number(_ name: String) throws(ConfigurationError) -> Float? {
            guard let v = values[name] else { return nil }
            guard let x = Float(v), x.isFinite, v.unicodeScalars.allSatisfy({ "0123456789.eE+-".unicodeScalars.contains($0) }) else {
                throw ConfigurationError("'\(name)' must be a number such as 0.5 (got '\(v)')")
            }
            return x
        }
    }

    static func integer(_ v: String, _ what: String) throws(ConfigurationError) -> Int {
        guard let n = Int(v), abs(n) <= 1 << 40 else { throw ConfigurationError("\(what) must be a whole number (got '\(v)')") }
        return n
    }

    // MARK: Text

    private func isSeparator(_ c: Unicode.Scalar, nested: Bool) -> Bool {
        c.properties.isWhitespace || (nested && c == ",")
    }

    private func isNameCharacter(_ c: Unicode.Scalar) -> Bool {
        c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_"
    }

    /// The index of the ')' that closes the '(' at `open`, or nil when `range` ends first.
    private func matchingParenthesis(_ open: Int, within range: Range<Int>) -> Int? {
        var depth = 0
        for k in open..<range.upperBound {
            if scalars[k] == "(" { depth += 1 }
            if scalars[k] == ")" {
                depth -= 1
                if depth == 0 { return k }
            }
        }
        return nil
    }

    /// (line, column), both from 1, of scalar `k`.
    private func lineAndColumn(_ k: Int) -> (Int, Int) {
        var line = 1, column = 1
        for s in scalars[..<min(k, scalars.count)] {
            if s == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        return (line, column)
    }

    /// "at column 12", or "at line 3, column 4" in text of several lines; "at the end" past it.
    private func place(_ k: Int) -> String {
        guard k < scalars.count else { return "at the end" }
        let (line, column) = lineAndColumn(k)
        return multiline ? "at line \(line), column \(column)" : "at column \(column)"
    }

    /// "layer 3", or "layer 3 (line 5)" in text of several lines.
    private func position(_ number: Int, _ start: Int) -> String {
        multiline ? "layer \(number) (line \(lineAndColumn(start).0))" : "layer \(number)"
    }

    /// The text in `range` with each run of whitespace as one space, shortened past 60 characters.
    private func quoted(_ range: Range<Int>) -> String {
        let words = String(String.UnicodeScalarView(scalars[range])).split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return words.count <= 60 ? words : String(words.prefix(59)) + "…"
    }

    private static func trimmed(_ s: Substring) -> String {
        String(s.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }

    /// Levenshtein distance, for suggestions.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in a.indices {
            var previous = row[0]
            row[0] = i + 1
            for j in b.indices {
                let saved = row[j + 1]
                row[j + 1] = min(row[j + 1] + 1, row[j] + 1, previous + (a[i] == b[j] ? 0 : 1))
                previous = saved
            }
        }
        return row[b.count]
    }
}
