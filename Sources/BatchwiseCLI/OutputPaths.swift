import Batchwise
import Foundation

/// The files a command will write, checked before it loads data or trains: a run must not
/// train for an hour and then fail on its plot path, nor overwrite the data it reads.
///
/// Each output must be writable where it is (its folder exists and takes new files, or it is
/// a device or FIFO this process may write), must not be a folder where a file is expected,
/// and must not be the same file as any input or another output — compared by device and
/// inode, so a symbolic link, `./data.csv` or a hard link to an input is caught too. `-`
/// (standard output) is allowed where the output is a stream.
struct OutputPaths {
    struct Output {
        enum Kind {
            /// A file replaced whole at each write (plot, predictions).
            case replacedFile
            /// A file written in place as the run goes (the metrics log).
            case appendedFile
            /// A folder that a checkpoint file is written into; created if missing.
            case checkpointFolder
        }
        let flag: String
        let path: String
        let kind: Kind
        /// Whether `-` may stand for standard output.
        var allowsStandardOutput = false
        /// The input flag this output is meant to rewrite (a resumed run's checkpoint).
        var rewrites: String?
    }

    struct Input {
        let flag: String
        let path: String
    }

    var outputs: [Output] = []
    var inputs: [Input] = []

    /// Checks every output (see the type's documentation).
    /// - Throws: `ConfigurationError` naming the flag, the path and what to do.
    func check() throws(ConfigurationError) {
        var written: [(flag: String, path: String, canonical: String, status: FileStatus?)] = []
        for output in outputs {
            guard let file = try check(output) else { continue }
            let status = try lookUp(file, flag: output.flag, shown: output.path)
            for input in inputs where input.flag != output.rewrites {
                if let status, let other = try? FileStatus(path: input.path), status.isSameFile(as: other) {
                    throw ConfigurationError("\(output.flag) '\(output.path)' is the same file as \(input.flag) '\(input.path)': writing it would destroy the input; choose another path")
                }
            }
            // Two outputs may share a device or FIFO (/dev/null), never a file.
            if let status, status.kind != .regular { continue }
            let canonical = Self.canonical(file)
            if let earlier = written.first(where: { $0.canonical == canonical || (status != nil && $0.status.map { status!.isSameFile(as: $0) } == true) }) {
                throw ConfigurationError("\(earlier.flag) '\(earlier.path)' and \(output.flag) '\(output.path)' are the same file; give each its own path")
            }
            written.append((output.flag, output.path, canonical, status))
        }
    }

    /// Checks one output; returns the file it writes (nil for standard output).
    private func check(_ output: Output) throws(ConfigurationError) -> String? {
        let shown = "\(output.flag) '\(output.path)'"
        if output.path.isEmpty { throw ConfigurationError("\(output.flag) needs a path (got an empty one)") }
        if output.path == "-" {
            if output.allowsStandardOutput { return nil }
            throw ConfigurationError("\(output.flag) - : this file is rewritten as the run goes, so it cannot be standard output; give a file name")
        }
        switch output.kind {
        case .checkpointFolder:
            let folder = output.path
            if let status = try lookUp(folder, flag: output.flag, shown: output.path) {
                guard status.kind == .directory else {
                    throw ConfigurationError("\(shown) is a file, not a folder; give a folder for the checkpoints")
                }
                if let error = FileStatus.cannotCreateFiles(in: folder) {
                    throw ConfigurationError("\(shown): cannot create files in this folder (\(error)); choose another one")
                }
                let file = folder + "/" + Checkpoint.fileName
                if let inside = try lookUp(file, flag: output.flag, shown: output.path), inside.kind != .regular {
                    throw ConfigurationError("\(shown) holds '\(Checkpoint.fileName)', which is not a regular file; remove it or choose another folder")
                }
                return file
            }
            // Created with its missing parents: the nearest folder that exists must take them.
            var ancestor = folder.parentPath
            while !ancestor.isEmpty, ancestor != "/", (try? FileStatus(path: ancestor)) == nil {
                ancestor = ancestor.parentPath
            }
            let existing = ancestor.isEmpty ? "." : ancestor
            let status = try lookUp(existing, flag: output.flag, shown: output.path)
            guard status?.kind == .directory else {
                throw ConfigurationError("\(shown) cannot be created: '\(existing)' is a file, not a folder")
            }
            if let error = FileStatus.cannotCreateFiles(in: existing) {
                throw ConfigurationError("\(shown) cannot be created: cannot create anything in '\(existing)' (\(error)); choose another path")
            }
            return folder + "/" + Checkpoint.fileName
        case .replacedFile, .appendedFile:
            // What the kernel finds there, through every link (/dev/stdout included).
            if let status = try lookUp(output.path, flag: output.flag, shown: output.path) {
                if status.kind == .directory {
                    throw ConfigurationError("\(shown) is a folder; give a file name, such as '\((output.path as NSString).appendingPathComponent(Self.exampleName(output.flag)))'")
                }
                // A device or FIFO is written as it is; a metrics log is written in place.
                if status.kind != .regular || output.kind == .appendedFile {
                    guard FileStatus.isWritable(output.path) else {
                        throw ConfigurationError("\(shown): you may not write this file; choose another path")
                    }
                    return output.path
                }
            }
            // A regular file is replaced by a rename in the folder of the file a link names.
            let file = FileStatus.destination(of: output.path)
            let through = file == output.path ? "" : " (the link's target '\(file)')"
            let parent = file.parentPath
            let folder = parent.isEmpty ? "." : parent
            guard let status = try lookUp(folder, flag: output.flag, shown: output.path) else {
                throw ConfigurationError("\(shown)\(through): the folder '\(folder)' does not exist; create it first or choose another path")
            }
            guard status.kind == .directory else {
                throw ConfigurationError("\(shown)\(through): '\(folder)' is a file, not a folder")
            }
            if let error = FileStatus.cannotCreateFiles(in: folder) {
                throw ConfigurationError("\(shown)\(through): cannot create files in the folder '\(folder)' (\(error)); choose another path")
            }
            return file
        }
    }

    private func lookUp(_ path: String, flag: String, shown: String) throws(ConfigurationError) -> FileStatus? {
        do {
            return try FileStatus(path: path)
        } catch {
            throw ConfigurationError("\(flag) '\(shown)': cannot look at '\(path)': \(error)")
        }
    }

    /// `path` with its folder resolved (symbolic links, `.` and `..`), for comparing outputs
    /// that do not exist yet.
    private static func canonical(_ path: String) -> String {
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent().resolvingSymlinksInPath().standardizedFileURL
            .appendingPathComponent(url.lastPathComponent).path
    }

    private static func exampleName(_ flag: String) -> String {
        switch flag {
        case "--metrics": "metrics.jsonl"
        case "--plot": "run.svg"
        default: "predictions.csv"
        }
    }
}

extension TrainCommand {
    /// The outputs of this run and the inputs they must not overwrite, checked before anything
    /// is loaded or trained.
    func checkOutputPaths() throws(ConfigurationError) {
        var paths = OutputPaths()
        let given: [(String, String?)] = [("--data", data), ("--labels", labels), ("--test", test), ("--test-labels", testLabels)]
        for case let (flag, path?) in given { paths.inputs.append(.init(flag: flag, path: path)) }
        // `--resume auto` names --checkpoint-dir's folder (whether or not it holds a checkpoint yet).
        let resume = self.resume == "auto" ? checkpointDir : self.resume
        if let resume { paths.inputs.append(.init(flag: "--resume", path: resume + "/" + Checkpoint.fileName)) }
        if let directory = checkpointDir ?? resume {
            paths.outputs.append(.init(flag: checkpointDir != nil ? "--checkpoint-dir" : "--resume", path: directory,
                                       kind: .checkpointFolder, rewrites: "--resume"))
        }
        if let metrics { paths.outputs.append(.init(flag: "--metrics", path: metrics, kind: .appendedFile, allowsStandardOutput: true)) }
        if let plot { paths.outputs.append(.init(flag: "--plot", path: plot, kind: .replacedFile)) }
        try paths.check()
    }
}
