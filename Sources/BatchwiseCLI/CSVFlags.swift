import Batchwise
import Foundation

/// The CSV and task flags of `train` (--delimiter, --header, --drop, --classes,
/// --normalize-targets): parsed and checked here, stored in the run's `DataSource`.
enum CSVFlags {
    /// `--header yes|no|auto` as the loader takes it: true, false, or nil to detect.
    static func header(_ text: String?) throws -> Bool? {
        switch text?.lowercased() {
        case nil, "auto": return nil
        case "yes", "true", "1": return true
        case "no", "false", "0": return false
        default: throw ConfigurationError("--header must be yes, no or auto (got '\(text!)')")
        }
    }

    /// `--drop id,0` as the list of columns it names.
    static func columns(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The checks that need no data: a valid delimiter, --classes and --normalize-targets
    /// where they apply.
    static func check(_ source: DataSource, loss lossValue: Loss) throws {
        if let d = source.delimiter {
            do { _ = try CSVLoader.delimiter(parsing: d) } catch { throw ConfigurationError(ErrorText(FlagNames.render(error.text))) }
        }
        if let classes = source.classes {
            guard lossValue.isClassification else { throw ConfigurationError("--classes is for class labels (--loss cross-entropy), not --loss \(lossValue.rawValue)") }
            guard classes >= 2 else { throw ConfigurationError("--classes must be at least 2 (got \(classes))") }
        }
        if source.normalizeTargets == true, lossValue.isClassification {
            throw ConfigurationError("--normalize-targets standardises numeric targets; give --loss mse or l1 with it")
        }
        if source.drop?.isEmpty == true { throw ConfigurationError("--drop needs at least one column name or number") }
    }
}
