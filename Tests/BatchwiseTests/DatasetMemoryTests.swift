import Batchwise
import BatchwiseTestSupport
import Foundation
import Testing

/// The memory check before a dataset is allocated: the verdicts at a quarter of the physical
/// memory and at the memory available, the estimates of the loaders and the synthetic
/// generator, and the refusal before a file is read.
@Suite struct DatasetMemoryTests {
    let machine = DatasetMemory(physicalBytes: 16_000_000_000, availableBytes: 10_000_000_000)

    @Test func aQuarterOfThePhysicalMemoryIsLargeAndMoreThanTheAvailableIsRefused() {
        #expect(machine.verdict(4_000_000_000) == .fits)
        #expect(machine.verdict(4_000_000_001) == .large)
        #expect(machine.verdict(10_000_000_000) == .large)
        #expect(machine.verdict(10_000_000_001) == .tooLarge)
        #expect(machine.note("x", needs: 1_000) == nil && machine.refusal("x", needs: 1_000) == nil)
        #expect(machine.note("loading f", needs: 5_000_000_000) == "loading f needs about 5.0 GB of memory, more than a quarter of this machine's 16 GB (10 GB available)")
        let refusal = machine.refusal("--synthetic 10", needs: 12_300_000_000)?.description
        #expect(refusal == "--synthetic 10 needs about 12 GB of memory, but only 10 GB is available (of 16 GB); use a smaller dataset or a machine with more memory")
        #expect(DatasetMemory.describe(999) == "999 bytes" && DatasetMemory.describe(5_200_000) == "5.2 MB" && DatasetMemory.describe(42_000_000) == "42 MB")
    }

    @Test func thisMachinesFiguresAreSane() {
        let now = DatasetMemory.current()
        #expect(now.physicalBytes > 0 && now.availableBytes > 0 && now.availableBytes <= now.physicalBytes)
    }

    @Test func theSyntheticGeneratorsBytesAreItsFeaturesTargetsAndTeacher() {
        // 100 × 8 features + 100 labels + an 8 × 3 teacher, 4 bytes each.
        #expect(Dataset.syntheticBytes(samples: 100, features: 8, classes: 3) == (800 + 100 + 24) * 4)
        #expect(Dataset.syntheticBytes(samples: 100, features: 8, outputs: 2) == (800 + 200 + 16) * 4)
        #expect(Dataset.syntheticBytes(samples: .max / 2, features: 1 << 20, classes: 2) == .max)
    }

    @Test func theLoadersEstimateIsTheFileAndItsFloatsTwice() throws {
        let dir = try DataFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // 1000 uint8 values: 1 byte each in the file, 4 as Floats, held twice.
        let idx = try DataFixture.write(DataFixture.idx(shape: [1000], values: [UInt8](repeating: 7, count: 1000)), to: "x.idx", in: dir)
        let idxSize = 1000 + 8
        #expect(DataFile.memoryEstimate(path: idx) == idxSize + 2 * idxSize * 4)
        let npy = try DataFixture.write(DataFixture.npy(descr: "<f8", shape: [100], payload: [UInt8](repeating: 0, count: 800)), to: "x.npy", in: dir)
        let npySize = try #require((try FileManager.default.attributesOfItem(atPath: npy))[.size] as? NSNumber).intValue
        #expect(DataFile.memoryEstimate(path: npy) == npySize + 2 * (npySize / 8) * 4)
        // CSV text: bytes per value from the separators ("0.25,1\n": 7 bytes, 2 values).
        let csv = try DataFixture.write(Array(String(repeating: "0.25,1\n", count: 100).utf8), to: "x.csv", in: dir)
        #expect(DataFile.memoryEstimate(path: csv) == 700 + 2 * (700 / 3) * 4)
        #expect(DataFile.memoryEstimate(path: dir.path) == nil, "a directory is not estimated")
    }

    @Test func aFileBeyondTheAvailableMemoryIsRefusedBeforeItIsRead() throws {
        let dir = try DataFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = try DataFixture.write(Array(String(repeating: "0.25,1\n", count: 100).utf8), to: "x.csv", in: dir)
        let small = DatasetMemory(physicalBytes: 4_000, availableBytes: 2_000)
        #expect(throws: DataError.self) { try DataFile.read(path: csv, memory: small) }
        do {
            _ = try DataFile.read(path: csv, memory: small)
        } catch {
            #expect(error.description.contains("needs about 2.6 KB of memory, but only 2.0 KB is available"), "\(error)")
            #expect(error.file == csv)
        }
        #expect(try DataFile.read(path: csv).count == 700)
    }
}
