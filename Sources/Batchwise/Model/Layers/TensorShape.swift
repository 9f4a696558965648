/// The shape of one sample's tensor, outermost dimension first: `[F]` for flat features,
/// `[C, L]` for a signal, `[C, H, W]` for an image. A shard of n samples is laid out
/// sample first, row-major: n × C × H × W.
public struct TensorShape: Sendable, Hashable, ExpressibleByArrayLiteral, CustomStringConvertible {
    /// The sizes, outermost first.
    public let dimensions: [Int]
    /// The number of floats one sample holds: the product of the dimensions, or `Int.max` when
    /// that product overflows (so that every size check refuses the shape; a wrapped product
    /// could be small, even 0, and pass them).
    public let count: Int

    /// A shape of `dimensions`, outermost first.
    public init(_ dimensions: [Int]) {
        self.dimensions = dimensions
        count = dimensions.reduce(1) { product, size in
            let (result, overflow) = product.multipliedReportingOverflow(by: max(size, 0))
            return overflow ? Int.max : result
        }
    }

    public init(arrayLiteral elements: Int...) { self.init(elements) }

    /// The number of dimensions (0 for a scalar).
    public var rank: Int { dimensions.count }

    /// The size along `axis`, 0 being the outermost.
    public subscript(axis: Int) -> Int { dimensions[axis] }

    /// `1×28×28`.
    public var description: String { dimensions.isEmpty ? "scalar" : dimensions.map(String.init).joined(separator: "×") }
}
