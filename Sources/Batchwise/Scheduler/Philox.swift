import Foundation

/// Philox4x32-10, the counter-based generator of Salmon, Moraes, Dror and Shaw,
/// "Parallel Random Numbers: As Easy as 1, 2, 3" (SC 2011), as in the Random123 library.
///
/// A pure function of (key, counter): any block of random bits can be computed without the
/// ones before it, which is what makes an epoch's shuffle recomputable from (seed, epoch).
public struct Philox4x32: Sendable {
    /// The 64-bit key (for Batchwise: the seed's low and high halves).
    public var key: (UInt32, UInt32)

    /// A generator with this key.
    public init(key: (UInt32, UInt32)) { self.key = key }

    /// The 128 random bits for `counter`.
    @inline(__always)
    public func block(_ counter: (UInt32, UInt32, UInt32, UInt32)) -> (UInt32, UInt32, UInt32, UInt32) {
        var c = counter
        var k = key
        for round in 0..<10 {
            if round > 0 {
                k.0 &+= 0x9E37_79B9
                k.1 &+= 0xBB67_AE85
            }
            let p0 = UInt64(0xD251_1F53) &* UInt64(c.0)
            let p1 = UInt64(0xCD9E_8D57) &* UInt64(c.2)
            c = (UInt32(truncatingIfNeeded: p1 >> 32) ^ c.1 ^ k.0, UInt32(truncatingIfNeeded: p1),
                 UInt32(truncatingIfNeeded: p0 >> 32) ^ c.3 ^ k.1, UInt32(truncatingIfNeeded: p0))
        }
        return c
    }
}

/// A stream of random numbers drawn from Philox blocks with counters
/// (position, stream.low, stream.high, purpose). Deterministic for a given (seed, stream, purpose).
public struct RandomStream: Sendable {
    private let philox: Philox4x32
    private let stream: UInt64
    private let purpose: UInt32
    private var position: UInt32 = 0
    private var buffer: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
    private var used = 4

    /// Purposes keep independent uses of one seed apart.
    public enum Purpose: UInt32, Sendable {
        /// Epoch shuffles, parameter initialization, train/test splits and synthetic data; the raw
        /// value is the last word of every counter, so renumbering one changes all its streams.
        case shuffle = 1, initialization = 2, split = 3, synthetic = 4
    }

    /// The stream `stream` of `purpose` for `seed`, starting at its first number.
    public init(seed: UInt64, stream: UInt64 = 0, purpose: Purpose) {
        philox = Philox4x32(key: (UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32)))
        self.stream = stream
        self.purpose = purpose.rawValue
    }

    /// 32 uniformly random bits.
    @inline(__always)
    public mutating func next() -> UInt32 {
        if used == 4 {
            buffer = philox.block((position, UInt32(truncatingIfNeeded: stream), UInt32(truncatingIfNeeded: stream >> 32), purpose))
            position &+= 1
            used = 0
        }
        defer { used += 1 }
        switch used {
        case 0: return buffer.0
        case 1: return buffer.1
        case 2: return buffer.2
        default: return buffer.3
        }
    }

    /// A uniform integer in 0..<bound, without modulo bias (Lemire 2019, "Fast Random Integer
    /// Generation in an Interval").
    public mutating func next(below bound: UInt32) -> UInt32 {
        precondition(bound > 0)
        var m = UInt64(next()) &* UInt64(bound)
        if UInt32(truncatingIfNeeded: m) < bound {
            let threshold = (0 &- bound) % bound
            while UInt32(truncatingIfNeeded: m) < threshold {
                m = UInt64(next()) &* UInt64(bound)
            }
        }
        return UInt32(truncatingIfNeeded: m >> 32)
    }

    /// A uniform float in [0, 1) with 24 random bits.
    public mutating func nextUnitFloat() -> Float { Float(next() >> 8) * 0x1p-24 }

    /// A uniform double in (0, 1].
    public mutating func nextOpenUnitDouble() -> Double { (Double(next()) + 1) * 0x1p-32 }

    /// A standard normal sample (Box–Muller).
    public mutating func nextNormal() -> Float {
        let u1 = nextOpenUnitDouble(), u2 = nextOpenUnitDouble()
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }
}
