import Foundation

/// The integers of a comma-separated list such as `1, 2,4` (spaces allowed around each), or
/// nil when a part is empty or not an integer. Every list flag (`--layers`, `--threads`,
/// `--batch-sizes`, a PU list) is read by this one function.
public func parseIntegerList(_ text: String) -> [Int]? {
    let parts = text.split(separator: ",", omittingEmptySubsequences: false)
    let values = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    return values.count == parts.count ? values : nil
}

extension MLP {
    /// Layer widths from `--layers`, input first, such as `64,128,10`.
    public static func widths(parsing text: String) throws(ConfigurationError) -> [Int] {
        guard let widths = parseIntegerList(text), widths.count >= 2 else {
            throw ConfigurationError("\(parameter: "widths") '\(text)' is not a list of at least two widths, input first, such as 64,128,10")
        }
        return widths
    }
}
