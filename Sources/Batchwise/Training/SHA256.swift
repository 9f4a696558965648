import Crypto

/// SHA-256 (FIPS 180-4), used for the digest of the final weights that lets two runs be
/// compared bit for bit, and for the checksum of a checkpoint. A thin incremental wrapper
/// over swift-crypto's `SHA256` (BoringSSL on Linux, CryptoKit on Apple platforms), kept so
/// that callers feed bytes and read the digest the same way as always.
public struct SHA256 {
    private var hash = Crypto.SHA256()

    /// An empty message.
    public init() {}

    /// Adds `bytes` to the message.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) { hash.update(bufferPointer: bytes) }

    /// Adds `bytes` to the message.
    public mutating func update(_ bytes: [UInt8]) { hash.update(data: bytes) }

    /// The 32-byte digest as 64 lowercase hex digits.
    public mutating func finalizeHex() -> String {
        finalizeBytes().map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// The 32-byte digest of everything added so far.
    public mutating func finalizeBytes() -> [UInt8] { Array(hash.finalize()) }
}
