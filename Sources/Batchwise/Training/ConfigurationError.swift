/// A configuration the user gave that cannot work: bad flags, a model that does not fit the
/// data, a placement this machine cannot honour. The message says what is wrong and how to fix it.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What is wrong and how to fix it, as one sentence for the terminal.
    public let message: String
    /// An error with this message.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
