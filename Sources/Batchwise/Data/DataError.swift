/// A problem with a data file, located as precisely as it can be: file, line, column, value.
public struct DataError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file (or name given for in-memory data) the problem is in.
    public let file: String
    /// The 1-based line, for text formats; nil when the problem is not on one line.
    public let line: Int?
    /// The 1-based column (CSV cell), or nil.
    public let column: Int?
    /// What is wrong, with the parameters it names (see `ErrorText`).
    public let text: ErrorText

    /// An error at `file`, and at `line` and `column` when given (both 1-based).
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
