/// A problem with a data file, located as precisely as it can be: file, line, column, value.
public struct DataError: Error, CustomStringConvertible, Sendable, Equatable {
    public let file: String
    public let line: Int?
    public let column: Int?
    /// What is wrong, with the parameters it names (see `ErrorText`).
    public let text: ErrorText

    public init(file: String, line: Int? = nil, column: Int? = nil, _ text: ErrorText) {
        self.file = file
        self.line = line
        self.column = column
        self.text = text
    }

    /// The message with each parameter under its API name.
    public var message: String { text.description }

    /// `file:line:column: message`, the form editors and terminals link to.
    public var description: String { located(message) }

    /// `message` prefixed with `file:line:column: `.
    public func located(_ message: String) -> String {
        var location = file
        if let line { location += ":\(line)" }
        if let column { location += ":\(column)" }
        return "\(location): \(message)"
    }
}
