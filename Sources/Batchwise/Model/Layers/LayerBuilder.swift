/// Builds a list of layers from statements, one layer a line:
///
///     try Sequential(input: [1, 28, 28], loss: .crossEntropy) {
///         Conv2D(6, kernel: 5, padding: 2); ReLU(); MaxPool2D(2)
///         Flatten(); Dense(10)
///     }
///
/// `if`, `if`/`else` and `for` work as in any result builder.
@resultBuilder
public enum LayerBuilder {
    /// One layer statement.
    public static func buildExpression(_ layer: some Layer) -> [any Layer] { [layer] }
    /// A statement that is a list of layers, spliced in order.
    public static func buildExpression(_ layers: [any Layer]) -> [any Layer] { layers }
    /// The statements of a block, in order.
    public static func buildBlock(_ parts: [any Layer]...) -> [any Layer] { parts.flatMap { $0 } }
    /// An `if` without `else`: its layers, or none.
    public static func buildOptional(_ part: [any Layer]?) -> [any Layer] { part ?? [] }
    /// The `if` branch of an `if`/`else`.
    public static func buildEither(first part: [any Layer]) -> [any Layer] { part }
    /// The `else` branch of an `if`/`else`.
    public static func buildEither(second part: [any Layer]) -> [any Layer] { part }
    /// A `for` loop: each iteration's layers, in order.
    public static func buildArray(_ parts: [[any Layer]]) -> [any Layer] { parts.flatMap { $0 } }
}

extension ErrorText.StringInterpolation {
    /// Appends another error's text, keeping the parameters it names.
    mutating func appendInterpolation(_ text: ErrorText) {
        for piece in text.pieces {
            switch piece {
            case .text(let s): appendLiteral(s)
            case .parameter(let name, let value): appendInterpolation(parameter: name, value: value)
            }
        }
    }
}
