/// The text of a Batchwise error, which may name the API parameters it is about.
///
/// Written as a string literal with `\(parameter:)` interpolations:
///
///     ConfigurationError("\(parameter: "learningRate") must be a finite number above 0 (got \(rate))")
///
/// The library shows a parameter under its API name, between backticks (`learningRate`); a
/// front end such as the `batchwise` command renders the same text with its own names for
/// them (`--lr`) through ``rendered(naming:)``. So a Swift program that embeds Batchwise is told about the
/// arguments it passed, and a person at the terminal about the flags they typed.
public struct ErrorText: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringInterpolation {
    /// A run of the text: plain words, or a reference to an API parameter, with the value
    /// the advice suggests for it (as in "use `workers: 2`"). A name may be qualified by its
    /// type (`BatchSizeTarget.loss`) where the bare name alone would be ambiguous to a front
    /// end; it shows as the bare name.
    public enum Piece: Sendable, Hashable {
        /// Plain words, shown as they are.
        case text(String)
        /// An API parameter `name` (possibly qualified by its type), with the value suggested for
        /// it, if any.
        case parameter(name: String, value: String?)
    }

    /// The pieces in order; neighbouring text pieces are always merged.
    public let pieces: [Piece]

    /// Plain text naming no parameter.
    public init(_ text: String) { pieces = text.isEmpty ? [] : [.text(text)] }

    /// Plain text naming no parameter.
    public init(stringLiteral value: String) { self.init(value) }

    /// The text a literal with interpolations built.
    public init(stringInterpolation: StringInterpolation) { pieces = stringInterpolation.pieces }

    /// `a` followed by `b` (neighbouring text pieces merged).
    public static func + (a: ErrorText, b: ErrorText) -> ErrorText {
        var interpolation = StringInterpolation(literalCapacity: 0, interpolationCount: 0)
        for piece in a.pieces + b.pieces {
            switch piece {
            case .text(let t): interpolation.appendLiteral(t)
            case .parameter(let name, let value): interpolation.appendInterpolation(parameter: name, value: value)
            }
        }
        return ErrorText(stringInterpolation: interpolation)
    }

    /// With each parameter under its API name between backticks, followed by `: ` and the
    /// suggested value when there is one (`workers: 2`, backticks included).
    public var description: String {
        rendered { name, value in "`" + Self.bareName(name) + (value.map { ": " + $0 } ?? "") + "`" }
    }

    /// `name` without the type that qualifies it: `loss` for `BatchSizeTarget.loss`.
    public static func bareName(_ name: String) -> String {
        name.split(separator: ".").last.map(String.init) ?? name
    }

    /// With each parameter as `name(parameter, value)` says.
    public func rendered(naming name: (_ parameter: String, _ value: String?) -> String) -> String {
        var out = ""
        for piece in pieces {
            switch piece {
            case .text(let s): out += s
            case .parameter(let parameter, let value): out += name(parameter, value)
            }
        }
        return out
    }

    /// Builds an `ErrorText` from a literal: literal runs and interpolated values become text;
    /// `\(parameter: name)` and `\(parameter: name, value: v)` become references.
    public struct StringInterpolation: StringInterpolationProtocol {
        fileprivate var pieces: [Piece] = []

        /// Room for `literalCapacity` characters in `interpolationCount` interpolations.
        public init(literalCapacity: Int, interpolationCount: Int) {}

        /// Appends literal text.
        public mutating func appendLiteral(_ literal: String) { appendText(literal) }

        /// Appends a value as it prints.
        public mutating func appendInterpolation<T>(_ value: T) { appendText(String(describing: value)) }

        /// Appends a reference to the API parameter `name`, with a suggested `value`.
        public mutating func appendInterpolation(parameter name: String, value: String? = nil) {
            pieces.append(.parameter(name: name, value: value))
        }

        private mutating func appendText(_ s: String) {
            guard !s.isEmpty else { return }
            if case .text(let last)? = pieces.last {
                pieces[pieces.count - 1] = .text(last + s)
            } else {
                pieces.append(.text(s))
            }
        }
    }
}
