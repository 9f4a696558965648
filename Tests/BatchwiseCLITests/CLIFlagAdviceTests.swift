import Batchwise
import BatchwiseTestSupport
import Foundation
import Testing

/// Library errors name API parameters; the command turns them into the flags a person typed.
/// These are the user-visible texts the data-file tests checked before the library stopped
/// giving CLI advice, now checked where they are made: at the command.
extension CLITests {
    @Test func dataFileAdviceNamesTheFlags() throws {
        let dir = try DataFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = try DataFixture.write(Array("1,2,0\n3,4,1\n".utf8), to: "train.csv", in: dir)
        let labels = try DataFixture.write(npyInt64([0, 1]), to: "y.npy", in: dir)
        let images = try DataFixture.write(DataFixture.idx(shape: [2, 2, 2], values: [0, 1, 2, 3, 4, 5, 6, 7]), to: "x-ubyte", in: dir)
        let negative = try DataFixture.write(npyInt64([0, -1]), to: "bad.npy", in: dir)
        _ = try expectCleanFailure(["train", "--data", csv, "--labels", labels, "--layers", "2,2"],
                                   mentioning: ["--labels is for IDX and NPY", "pick it with --label"])
        _ = try expectCleanFailure(["train", "--data", images, "--layers", "4,2"],
                                   mentioning: ["give the labels file with --labels"])
        _ = try expectCleanFailure(["train", "--data", images, "--labels", negative, "--layers", "4,2"],
                                   mentioning: ["label 1 is -1.0", "--loss mse"])
    }

    private func npyInt64(_ values: [Int64]) -> [UInt8] {
        DataFixture.npy(descr: "<i8", shape: [values.count], payload: values.flatMap { DataFixture.littleEndian($0) })
    }

    @Test func configurationAdviceNamesTheFlags() throws {
        _ = try expectCleanFailure(["train", "--layers", "32,10"], mentioning: ["make the first --layers entry 64"])
        _ = try expectCleanFailure(["train", "--nesterov", "--momentum", "0"], mentioning: ["for example --momentum 0.9"])
    }
}
