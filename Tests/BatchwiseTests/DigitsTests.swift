import Testing
import Batchwise

/// The built-in digits, read from the embedded `digits.csv.gz`, are exactly the samples the
/// library shipped as Swift literals before (DigitsData.swift): the same floats (pixel / 16)
/// and labels in the same order. The fingerprints are FNV-1a (64-bit) over the little-endian
/// float32 bytes, computed from that literal data.
@Suite struct DigitsTests {
    static func fnv1a(_ values: [Float]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for value in values {
            for byte in withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init) {
                hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            }
        }
        return hash
    }

    @Test func sameFloatsAndLabelsInTheSameOrder() {
        let d = Dataset.digits()
        #expect(d.name == "digits")
        #expect(Array(d.features[0..<16]) == [0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0].map { Float($0) / 16 })
        #expect(Array(d.targets[0..<12]) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1])
        #expect(Self.fnv1a(d.features) == 0xda5e_b70c_a042_134f)
        #expect(Self.fnv1a(d.targets) == 0x51be_9e1b_53c3_7135)
    }
}
