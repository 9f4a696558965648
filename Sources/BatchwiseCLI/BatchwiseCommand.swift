import ArgumentParser
import Batchwise
import BatchwiseMPI
import BatchwiseReporting
import Foundation

/// `batchwise`: data-parallel minibatch SGD on pinned CPU threads.
@main
struct BatchwiseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batchwise",
        abstract: "Train neural networks by synchronous data-parallel minibatch SGD on the cores of this machine.",
        subcommands: [TrainCommand.self, EvalCommand.self, PredictCommand.self, TopologyCommand.self, BenchCommand.self],
        defaultSubcommand: nil)

    /// Runs the command and turns every failure into one `error:` line and a non-zero exit.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            fail(describe(error), code: code == .validationFailure ? code.rawValue : 1)
        }
    }

    /// One line a person can act on, whatever the error's origin.
    static func describe(_ error: Error) -> String {
        if let message = FlagNames.message(for: error) { return message }
        switch error {
        case let e as TopologyError: return e.message
        case let e as OutputFileError: return e.description
        case let e as AtomicFileError: return e.description
        case let e as MPIError: return e.description
        default:
            let message = BatchwiseCommand.message(for: error)
            let firstLine = message.split(separator: "\n").first.map(String.init) ?? message
            let trimmed = firstLine.hasPrefix("Error: ") ? String(firstLine.dropFirst(7)) : firstLine
            return trimmed + " (see 'batchwise help')"
        }
    }

    /// The MPI job this process belongs to, once `train --distributed mpi` has joined one.
    nonisolated(unsafe) static var processGroup: MPIProcessGroup?

    static func fail(_ message: String, code: Int32) -> Never {
        let rank = processGroup.map { $0.size > 1 && $0.rank > 0 ? "rank \($0.rank): " : "" } ?? ""
        FileHandle.standardError.write(Data(("error: " + rank + message + "\n").utf8))
        // Another rank may be waiting in a collective for this one: end the whole job.
        if let group = processGroup {
            if group.size > 1 { group.abort(code: code) }
            group.finalize()
        }
        Foundation.exit(code)
    }
}

/// Options shared by the commands that place worker threads.
struct PlacementOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Worker threads (default: one per physical core).")
    var threads: Int?

    @Option(help: "Where workers go: compact (one per core, in order), scatter (round-robin over NUMA nodes), or a PU list such as 0,2.")
    var placement: String = "compact"

    @Flag(help: "Allow more threads than PUs (they share PUs; slower, but it runs).")
    var oversubscribe = false

    func plan(on topology: Topology) throws -> PlacementPlan {
        let placement = try Placement(parsing: self.placement)
        var workers = threads ?? max(1, min(topology.coreCount, topology.processingUnitCount))
        if threads == nil, case .explicit(let list) = placement { workers = list.count }
        guard workers >= 1 else { throw ConfigurationError("--threads must be at least 1 (got \(workers))") }
        return try PlacementPlan(topology: topology, workers: workers, placement: placement, oversubscribe: oversubscribe)
    }
}
