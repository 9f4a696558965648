/// A configuration the user gave that cannot work: bad arguments, a model that does not fit
/// the data, a placement this machine cannot honour. The message says what is wrong and how to
/// fix it, naming the API parameters involved (see `ErrorText`).
public struct ConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What is wrong, with the parameters it names.
    public let text: ErrorText
    /// Creates the error; a literal may name parameters with `\(parameter:)`.
    public init(_ text: ErrorText) { self.text = text }
    /// The message with each parameter under its API name.
    public var message: String { text.description }
    /// The same as `message`.
    public var description: String { message }
}
