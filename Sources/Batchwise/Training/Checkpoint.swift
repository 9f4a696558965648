import Foundation

/// A checkpoint: the run's configuration and state, the weights and the optimizer state,
/// in one file that is written atomically and checked on load.
///
/// Layout (little-endian): 8-byte magic `\x89BWCKPT\n`, UInt32 format version, UInt64 length
/// and UTF-8 JSON of the header (configuration, state, section names and sizes), then each
/// float section's raw bytes in header order, then the SHA-256 of everything before it.
/// Writing goes to a temporary file in the same directory, which is fsynced, renamed over
/// `checkpoint.bwck`, and the directory fsynced: a crash at any point leaves either the old
/// checkpoint or the new one, never a torn file that loads.
public struct Checkpoint: Sendable, Equatable {
    /// The checkpoint's file name inside a run's checkpoint directory.
    public static let fileName = "checkpoint.bwck"
    /// The file format version this build writes; it reads this one and every earlier one.
    /// Format 2 adds the model spec (in the configuration) and the table of named tensors of a
    /// spec's model; a format-1 file (an MLP's) loads as before.
    public static let formatVersion: UInt32 = 2
    static let magic: [UInt8] = [0x89, 0x42, 0x57, 0x43, 0x4B, 0x50, 0x54, 0x0A]

    /// The configuration of the run that wrote the checkpoint.
    public var configuration: TrainingConfiguration
    /// Where the run stood: epoch, step within it, the schedules' clock and early-stopping state.
    public var state: TrainingState
    /// The current weights: the model's flat parameter vector.
    public var parameters: [Float]
    /// The optimizer's flat state (momentum, Adam's moments): `stateSlots` vectors of the
    /// parameter count, one after the other.
    public var optimizerState: [Float]
    /// The weights of the best validation epoch so far, when early stopping tracks them.
    public var bestParameters: [Float]?

    /// A checkpoint of these parts; nothing is written until ``write(to:)``.
    public init(configuration: TrainingConfiguration, state: TrainingState, parameters: [Float],
                optimizerState: [Float], bestParameters: [Float]? = nil) {
        self.configuration = configuration
        self.state = state
        self.parameters = parameters
        self.optimizerState = optimizerState
        self.bestParameters = bestParameters
    }

    /// The weights a finished run ends with — the best validation epoch's when early stopping
    /// kept them — or the current weights of a run still in progress.
    public var finalParameters: [Float] {
        if configuration.patience != nil, state.isComplete(epochs: configuration.epochs), let best = bestParameters { return best }
        return parameters
    }

    struct Header: Codable {
        var configuration: TrainingConfiguration
        var state: TrainingState
        var sections: [Section]
        /// Where each named tensor of a spec's model sits in `parameters` (format 2; nil for an MLP).
        var tensors: [Tensor]?
        struct Section: Codable { var name: String; var count: Int }
        struct Tensor: Codable, Equatable { var name: String; var shape: [Int]; var offset: Int }
    }

    /// The tensor table of `model` as the header stores it.
    private static func tensors(of model: Sequential) -> [Header.Tensor] {
        model.tensorTable.entries.map { Header.Tensor(name: $0.name, shape: $0.shape.dimensions, offset: $0.offset) }
    }

    private var sections: [(String, [Float])] {
        [("parameters", parameters), ("optimizer_state", optimizerState)] + (bestParameters.map { [("best_parameters", $0)] } ?? [])
    }

    /// The file's bytes.
    public func encoded() throws -> [UInt8] {
        let header = Header(configuration: configuration, state: state,
                            sections: sections.map { Header.Section(name: $0.0, count: $0.1.count) },
                            tensors: try configuration.makeSequential().map(Self.tensors(of:)))
        let json = try JSONEncoder().encode(header)
        var bytes = Self.magic
        append(Self.formatVersion, to: &bytes)
        append(UInt64(json.count), to: &bytes)
        bytes.append(contentsOf: json)
        for (_, values) in sections {
            values.withUnsafeBytes { bytes.append(contentsOf: $0) }
        }
        var hash = SHA256()
        hash.update(bytes)
        bytes.append(contentsOf: hash.finalizeBytes())
        return bytes
    }

    private func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Writes `checkpoint.bwck` in `directory` atomically (creating the directory if needed).
    public func write(to directory: String) throws(DataError) {
        let temporary = try writeTemporary(in: directory)
        try Self.commit(temporary: temporary, in: directory)
    }

    /// First half of `write`: the complete file under a temporary name, flushed to disk
    /// (``AtomicFile/writeTemporary(_:for:)``). Until `commit` renames it, loading the
    /// directory still finds the previous checkpoint.
    public func writeTemporary(in directory: String) throws(DataError) -> String {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw DataError(file: directory, "cannot create the checkpoint directory: \(error.localizedDescription)")
        }
        let bytes: [UInt8]
        do { bytes = try encoded() } catch { throw DataError(file: directory, "cannot encode the checkpoint: \(error)") }
        do {
            return try AtomicFile.writeTemporary(bytes, for: directory + "/" + Self.fileName)
        } catch {
            throw Self.dataError(error)
        }
    }

    /// Second half of `write`: renames the temporary file over the checkpoint and fsyncs the
    /// directory (``AtomicFile/commit(temporary:to:)``).
    public static func commit(temporary: String, in directory: String) throws(DataError) {
        do {
            try AtomicFile.commit(temporary: temporary, to: directory + "/" + fileName)
        } catch {
            throw dataError(error)
        }
    }

    /// A failed atomic write in the words checkpoints have always used, naming the file the
    /// failed call was on.
    private static func dataError(_ error: AtomicFileError) -> DataError {
        let reason = error.reason + (error.errno.fileRemedy.map { "; " + $0 } ?? "")
        return switch error.step {
        case .create: DataError(file: error.temporaryPath, "cannot create the checkpoint file: \(reason)")
        case .write: DataError(file: error.temporaryPath, "cannot write the checkpoint: \(error.reason) (is the disk full?)")
        case .flush: DataError(file: error.temporaryPath, "cannot flush the checkpoint to disk: \(reason)")
        case .replace: DataError(file: error.path, "cannot move the new checkpoint into place: \(reason)")
        case .flushDirectory: DataError(file: error.path, "the new checkpoint is in place but its directory could not be flushed to disk: \(reason)")
        }
    }

    /// Loads `checkpoint.bwck` from `directory`, checking magic, version and checksum first.
    public static func load(from directory: String) throws(DataError) -> Checkpoint {
        let path = directory + "/" + fileName
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            throw DataError(file: directory, "no such checkpoint directory")
        }
        guard isDirectory.boolValue else {
            // The checkpoint file itself, given where its directory belongs.
            let parent = directory.parentPath
            throw DataError(file: directory, "this is a file, not a checkpoint directory; give the directory that holds \(fileName): \(parent.isEmpty ? "." : parent)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError(file: path, "no checkpoint here yet (it is written after the first \(parameter: "checkpointEvery") steps or epoch)")
        }
        return try decode([UInt8](data), name: path)
    }

    /// Parses checkpoint bytes; `name` is used in errors.
    public static func decode(_ bytes: [UInt8], name: String) throws(DataError) -> Checkpoint {
        let fixed = magic.count + 4 + 8
        guard bytes.count >= fixed + 32, Array(bytes[0..<magic.count]) == magic else {
            throw DataError(file: name, "not a Batchwise checkpoint (wrong magic number or too short)")
        }
        let version = read(UInt32.self, bytes, at: magic.count)
        // A format number no Batchwise has written (0, or far beyond this one) is damage, not
        // a newer file: say so rather than ask for an upgrade that cannot help.
        guard version >= 1, version <= formatVersion + 64 else {
            throw DataError(file: name, "checkpoint is damaged: its format number \(version) is not one any Batchwise writes (this one writes format \(formatVersion)); use an earlier copy or start again")
        }
        guard version <= formatVersion else {
            throw DataError(file: name, "checkpoint format \(version) was written by a newer Batchwise; this one reads format \(formatVersion) — upgrade Batchwise to load it")
        }
        var hash = SHA256()
        bytes.withUnsafeBytes { hash.update(UnsafeRawBufferPointer(rebasing: $0[..<(bytes.count - 32)])) }
        guard hash.finalizeBytes() == Array(bytes[(bytes.count - 32)...]) else {
            throw DataError(file: name, "checkpoint is damaged or truncated (its SHA-256 checksum does not match); use an earlier copy or start again")
        }
        let headerLength = read(UInt64.self, bytes, at: magic.count + 4)
        guard headerLength <= UInt64(bytes.count - fixed - 32) else {
            throw DataError(file: name, "checkpoint header length \(headerLength) runs past the end of the file")
        }
        let headerEnd = fixed + Int(headerLength)
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(bytes[fixed..<headerEnd]))
            // Decoding skips the checks the initialisers make; run them on what was read.
            let c = header.configuration
            _ = try BatchSizeSchedule(entries: c.batchSizes.entries)
            _ = try LearningRateSchedule(base: c.learningRate.base, shape: c.learningRate.shape,
                                         warmupSteps: c.learningRate.warmupSteps, scalingBaseBatchSize: c.learningRate.scalingBaseBatchSize)
            _ = try TrainingConfiguration(layers: c.layers, activation: c.activation, loss: c.loss, optimizer: c.optimizer,
                                          learningRate: c.learningRate, batchSizes: c.batchSizes, lastBatch: c.lastBatch,
                                          epochs: c.epochs, seed: c.seed, patience: c.patience, onNonFinite: c.onNonFinite,
                                          data: c.data, scaling: c.scaling, threads: c.threads, microsharding: c.microsharding)
            if let model = try c.makeSequential() {
                guard header.tensors == Self.tensors(of: model) else {
                    throw ConfigurationError("its table of named tensors does not match the model '\(c.modelSpec!)' on \(TensorShape(c.inputShape ?? [])); it was written by another version of Batchwise")
                }
            } else {
                _ = try c.makeModel()
            }
            if let every = c.checkpointEvery, every < 1 {
                throw ConfigurationError("checkpointEvery must be at least 1 step (got \(every))")
            }
        } catch let error as DecodingError {
            throw DataError(file: name, "checkpoint header cannot be read (\(Self.describe(error))); it was written by another version of Batchwise")
        } catch {
            throw DataError(file: name, "checkpoint header cannot be read: \(error)")
        }
        var offset = headerEnd
        var values: [String: [Float]] = [:]
        for section in header.sections {
            let (byteCount, overflow) = section.count.multipliedReportingOverflow(by: 4)
            guard section.count >= 0, !overflow, byteCount <= bytes.count - 32 - offset else {
                throw DataError(file: name, "checkpoint section '\(section.name)' of \(section.count) floats runs past the end of the file")
            }
            values[section.name] = [Float](unsafeUninitializedCapacity: section.count) { out, initialized in
                bytes[offset..<(offset + byteCount)].withUnsafeBytes { UnsafeMutableRawBufferPointer(out).copyMemory(from: $0) }
                initialized = section.count
            }
            offset += byteCount
        }
        guard offset == bytes.count - 32, let parameters = values["parameters"], let optimizerState = values["optimizer_state"] else {
            throw DataError(file: name, "checkpoint sections do not add up to the file (parameters or optimizer state missing)")
        }
        return Checkpoint(configuration: header.configuration, state: header.state, parameters: parameters,
                          optimizerState: optimizerState, bestParameters: values["best_parameters"])
    }

    /// A decoding failure in a few words: which field, and what was wrong with it.
    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context, _ key: CodingKey? = nil) -> String {
            (context.codingPath + (key.map { [$0] } ?? [])).map(\.stringValue).joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context): return "field '\(path(context, key))' is missing"
        case .valueNotFound(_, let context): return "field '\(path(context))' is empty"
        case .typeMismatch(_, let context): return "field '\(path(context))' has the wrong type"
        case .dataCorrupted(let context): return "field '\(path(context))': \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    private static func read<T: FixedWidthInteger>(_: T.Type, _ bytes: [UInt8], at offset: Int) -> T {
        var value: T = 0
        withUnsafeMutableBytes(of: &value) { $0.copyBytes(from: bytes[offset..<(offset + MemoryLayout<T>.size)]) }
        return T(littleEndian: value)
    }
}
