import Foundation

/// How workers are laid out over the machine's PUs.
public enum Placement: Sendable, Hashable, CustomStringConvertible {
    /// One worker per core in core order; SMT siblings only after every core has one.
    case compact
    /// Round-robin across NUMA nodes (then packages), compact within each.
    case scatter
    /// Exactly these PUs (OS indices), worker i on the i-th.
    case explicit([Int])

    /// Parses `compact`, `scatter`, or a comma-separated PU list such as `0,2,4`.
    public init(parsing text: String) throws(ConfigurationError) {
        switch text.lowercased() {
        case "compact": self = .compact
        case "scatter": self = .scatter
        default:
            guard let indices = parseIntegerList(text), !indices.isEmpty, indices.allSatisfy({ $0 >= 0 }) else {
                throw ConfigurationError("placement '\(text)' is not 'compact', 'scatter' or a list of PU numbers such as 0,1")
            }
            self = .explicit(indices)
        }
    }

    public var description: String {
        switch self {
        case .compact: "compact"
        case .scatter: "scatter"
        case .explicit(let pus): pus.map(String.init).joined(separator: ",")
        }
    }
}

/// Which PU each worker runs on. Worker i is pinned to `units[i]` for its whole life.
public struct PlacementPlan: Sendable, Equatable {
    /// The placement policy the plan was made with.
    public let placement: Placement
    /// The PU of each worker (index = worker); a PU repeats only when oversubscribed.
    public let units: [ProcessingUnit]
    /// Number of workers planned.
    public var workerCount: Int { units.count }
    /// The most workers a pool may have (Dispatch's thread pool on Linux stops near 255).
    public static let maxWorkers = 128

    /// Plans `workers` workers on `topology`.
    ///
    /// More workers than PUs is an error unless `oversubscribe` is set; then the plan wraps
    /// around and several workers share a PU (they run, just slower).
    public init(topology: Topology, workers: Int, placement: Placement, oversubscribe: Bool = false) throws(ConfigurationError) {
        let available = topology.processingUnits
        guard workers >= 1 else { throw ConfigurationError("threads must be at least 1 (got \(workers))") }
        // Each worker holds a Dispatch thread for its whole life; Dispatch's pool is bounded.
        guard workers <= Self.maxWorkers else {
            throw ConfigurationError("\(workers) threads asked for; at most \(Self.maxWorkers) are supported")
        }
        guard !available.isEmpty else { throw ConfigurationError("hwloc reports no PU this process may run on") }
        let order: [ProcessingUnit]
        switch placement {
        case .compact:
            order = Self.compactOrder(available)
        case .scatter:
            order = Self.scatterOrder(available)
        case .explicit(let list):
            guard list.count == workers else {
                throw ConfigurationError("the placement lists \(list.count) PU(s) but \(workers) thread(s) were asked for; give one PU per thread")
            }
            order = try list.map { (os) throws(ConfigurationError) -> ProcessingUnit in
                guard let pu = topology.processingUnit(osIndex: os) else {
                    throw ConfigurationError("PU \(os) in the placement does not exist or is not available to this process (available: \(available.map { String($0.osIndex) }.joined(separator: ",")))")
                }
                return pu
            }
            if !oversubscribe, Set(list).count != list.count {
                throw ConfigurationError("the placement names a PU twice; pass \(parameter: "oversubscribe", value: "true") to share PUs between threads")
            }
        }
        if workers > available.count && !oversubscribe {
            throw ConfigurationError("\(workers) threads asked for but this machine has \(available.count) PU(s) available; use \(parameter: "workers", value: "\(available.count)") or pass \(parameter: "oversubscribe", value: "true")")
        }
        self.placement = placement
        self.units = (0..<workers).map { order[$0 % order.count] }
    }

    /// Cores in order with their first PU, then second PUs (SMT siblings), and so on.
    static func compactOrder(_ units: [ProcessingUnit]) -> [ProcessingUnit] {
        units.sorted { ($0.smtRank, $0.core) < ($1.smtRank, $1.core) }
    }

    /// Round-robin over NUMA nodes, then over packages, each compact inside.
    static func scatterOrder(_ units: [ProcessingUnit]) -> [ProcessingUnit] {
        var groups: [[ProcessingUnit]] = []
        let keyed = Dictionary(grouping: units) { [$0.numaNode, $0.package] }
        for key in keyed.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            groups.append(compactOrder(keyed[key]!))
        }
        var order: [ProcessingUnit] = []
        var i = 0
        while order.count < units.count {
            for g in groups where i < g.count { order.append(g[i]) }
            i += 1
        }
        return order
    }
}
