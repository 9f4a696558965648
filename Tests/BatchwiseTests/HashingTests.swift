import Testing
import Batchwise

/// `SHA256` against FIPS 180-4 / NIST examples, `Philox4x32` against Random123's known
/// answers, and the properties the trainer relies on in `EpochPermutation` and `RandomStream`.
@Suite struct HashingTests {
    // MARK: SHA-256

    private func sha256(_ text: String) -> String {
        var h = SHA256()
        h.update(Array(text.utf8))
        return h.finalizeHex()
    }

    /// The examples of FIPS 180-4 (NIST CSRC "SHA256.pdf" and "SHA2_Additional.pdf").
    @Test(arguments: [
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        // 448 bits = 56 bytes: the length field no longer fits the block, padding takes a second one.
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    ])
    func nistExamples(_ message: String, _ digest: String) {
        #expect(sha256(message) == digest)
    }

    /// One million 'a' (FIPS 180-4 example), fed in uneven chunks so that blocks straddle
    /// `update` calls in every way: 1, 2, 3, … 127 bytes, cycling.
    @Test func oneMillionAInUnevenChunks() {
        let total = 1_000_000
        let chunkBuffer = [UInt8](repeating: UInt8(ascii: "a"), count: 127)
        var h = SHA256()
        var fed = 0
        var size = 1
        while fed < total {
            let n = min(size, total - fed)
            chunkBuffer.withUnsafeBytes { h.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            fed += n
            size = size % 127 + 1
        }
        #expect(h.finalizeHex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Messages of n × 'a' around the 55/56/64-byte padding boundaries; expected digests
    /// computed with GNU coreutils `sha256sum`.
    @Test(arguments: [
        (55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"),
        (56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"),
        (63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"),
        (64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"),
        (65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"),
        (119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"),
        (120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"),
        (128, "6836cf13bac400e9105071cd6af47084dfacad4e5e302c94bfed24e013afb73e"),
    ])
    func paddingBoundaries(_ count: Int, _ digest: String) {
        #expect(sha256(String(repeating: "a", count: count)) == digest)
    }

    /// Splitting a message at any point into two `update` calls gives the one-shot digest.
    @Test func digestDoesNotDependOnHowTheInputIsSplit() {
        let bytes = (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        var whole = SHA256()
        whole.update(bytes)
        let expected = whole.finalizeHex()
        for cut in 0...bytes.count {
            var h = SHA256()
            h.update(Array(bytes[..<cut]))
            h.update(Array(bytes[cut...]))
            #expect(h.finalizeHex() == expected, "split at \(cut)")
        }
    }

    @Test func digestIsSixtyFourLowercaseHexDigits() {
        let d = sha256("Batchwise")
        #expect(d.count == 64)
        #expect(d.allSatisfy { "0123456789abcdef".contains($0) })
    }

    // MARK: Philox4x32-10

    /// Known answers for philox4x32 with 10 rounds, from Random123's `kat_vectors`
    /// (lines `philox4x32 10 CTR[4] KEY[2] EXPECTED[4]`). The first three are the
    /// philox4x32-10 lines of DEShawResearch/random123 tests/kat_vectors (zero, all-ones and
    /// pi-digit inputs); the others come from the longer copy of kat_vectors kept in
    /// girving/random123-manual examples/kat_vectors.
    static let philoxKnownAnswers: [(counter: [UInt32], key: [UInt32], expected: [UInt32])] = [
        ([0x0000_0000, 0x0000_0000, 0x0000_0000, 0x0000_0000], [0x0000_0000, 0x0000_0000],
         [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8]),
        ([0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff], [0xffff_ffff, 0xffff_ffff],
         [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd]),
        ([0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344], [0xa409_3822, 0x299f_31d0],
         [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1]),
        ([0x0000_0001, 0x0000_0000, 0x0000_0000, 0x0000_0000], [0x0000_0001, 0x0000_0000],
         [0xac08_141b, 0xdfc5_ccbe, 0x79c0_7a47, 0xa7f6_6093]),
        ([0x0000_0000, 0x0000_0000, 0x0000_0000, 0x0000_0001], [0x0000_0001, 0x0000_0000],
         [0x127b_ee41, 0x1e04_7488, 0x4884_2b20, 0x0a39_3496]),
        ([0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344], [0x0000_0001, 0x0000_0000],
         [0x3852_7b8f, 0xfad9_a48c, 0x20e6_75c0, 0xf2fe_a26a]),
        ([0x0000_0000, 0x0000_0000, 0x0000_0001, 0x0000_0000], [0x0000_0000, 0x0000_0001],
         [0x7f6c_13ff, 0x114b_2447, 0x0550_eced, 0xea1f_c805]),
        ([0x0000_0000, 0xffff_ffff, 0x0000_0000, 0x0000_0000], [0x0000_0000, 0xffff_ffff],
         [0x5f9c_47aa, 0x1986_1d86, 0xff2b_e81d, 0x4c7d_b17e]),
        ([0x4528_21e6, 0x38d0_1377, 0xbe54_66cf, 0x34e9_0c6c], [0x0000_0000, 0x8000_0000],
         [0x94ca_5566, 0x1492_4b2f, 0x2821_4292, 0x59fa_eaee]),
    ]

    @Test(arguments: philoxKnownAnswers.indices)
    func philoxKnownAnswer(_ i: Int) {
        let v = Self.philoxKnownAnswers[i]
        let out = Philox4x32(key: (v.key[0], v.key[1])).block((v.counter[0], v.counter[1], v.counter[2], v.counter[3]))
        #expect([out.0, out.1, out.2, out.3] == v.expected)
    }

    // MARK: EpochPermutation

    @Test(arguments: [0, 1, 2, 3, 10, 1797])
    func epochPermutationIsAPermutation(_ count: Int) {
        let p = EpochPermutation.indices(count: count, seed: 42, epoch: 3)
        #expect(p.count == count)
        #expect(p.sorted() == (0..<Int32(count)).map { $0 })
    }

    @Test func epochPermutationDependsOnlyOnSeedAndEpoch() {
        let a = EpochPermutation.indices(count: 1000, seed: 42, epoch: 5)
        // Recomputing epoch 5 alone, or after other epochs, gives the same order.
        _ = EpochPermutation.indices(count: 1000, seed: 42, epoch: 4)
        #expect(EpochPermutation.indices(count: 1000, seed: 42, epoch: 5) == a)
        #expect(a != (0..<1000).map { Int32($0) }, "a shuffle actually moves samples")
    }

    @Test func epochPermutationDiffersAcrossEpochsAndSeeds() {
        let base = EpochPermutation.indices(count: 1000, seed: 42, epoch: 0)
        var seen: Set<[Int32]> = [base]
        for epoch in 1..<10 {
            let p = EpochPermutation.indices(count: 1000, seed: 42, epoch: epoch)
            #expect(!seen.contains(p), "epoch \(epoch) repeats an earlier order")
            seen.insert(p)
        }
        for seed: UInt64 in [0, 1, 43, 1 << 32, UInt64.max] {
            let p = EpochPermutation.indices(count: 1000, seed: seed, epoch: 0)
            #expect(p != base, "seed \(seed) gives seed 42's order")
        }
        // Seeds that differ only in the high word must still differ (both key words are used).
        #expect(EpochPermutation.indices(count: 1000, seed: 7, epoch: 0)
                != EpochPermutation.indices(count: 1000, seed: 7 | 1 << 40, epoch: 0))
    }

    // MARK: RandomStream

    @Test(arguments: [1, 2, 3, 7, 10, 1000, 0x8000_0001, UInt32.max] as [UInt32])
    func nextBelowStaysInRange(_ bound: UInt32) {
        var r = RandomStream(seed: 9, purpose: .shuffle)
        for _ in 0..<10_000 {
            #expect(r.next(below: bound) < bound)
        }
    }

    @Test func nextBelowOneIsAlwaysZeroAndSmallBoundsHitEveryValue() {
        var r = RandomStream(seed: 3, purpose: .split)
        for _ in 0..<100 { #expect(r.next(below: 1) == 0) }
        var counts = [Int](repeating: 0, count: 6)
        for _ in 0..<6000 { counts[Int(r.next(below: 6))] += 1 }
        #expect(counts.allSatisfy { $0 > 0 }, "every face of a die turns up in 6000 throws: \(counts)")
    }

    @Test func streamIsDeterministicAndPurposesAreIndependent() {
        var a = RandomStream(seed: 5, stream: 2, purpose: .initialization)
        var b = RandomStream(seed: 5, stream: 2, purpose: .initialization)
        var c = RandomStream(seed: 5, stream: 2, purpose: .shuffle)
        let xa = (0..<16).map { _ in a.next() }
        let xb = (0..<16).map { _ in b.next() }
        let xc = (0..<16).map { _ in c.next() }
        #expect(xa == xb)
        #expect(xa != xc)
    }

    @Test func unitFloatIsInHalfOpenInterval() {
        var r = RandomStream(seed: 11, purpose: .synthetic)
        for _ in 0..<10_000 {
            let x = r.nextUnitFloat()
            #expect(x >= 0 && x < 1)
        }
    }
}
