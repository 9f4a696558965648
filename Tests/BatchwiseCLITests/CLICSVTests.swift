import Foundation
import Testing
@testable import Batchwise

/// CSV files as users have them, end to end: class names through train, eval and predict;
/// pandas' headers and index; semicolons; the task checks that refuse to guess; and the
/// messages that name the real cause. Every file is written here, from formulas (no random
/// numbers), as pandas' `to_csv` writes it.
extension CLITests {
    /// A file in a fresh temporary directory; the caller removes the directory.
    private func write(_ text: String, _ name: String, in dir: String) throws -> String {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A value in [0, 1) that varies with (i, j) without randomness.
    private func jitter(_ i: Int, _ j: Int) -> Double { Double((i * 37 + j * 53 + 11) % 97) / 97 }

    /// `pd.DataFrame({"sepal": …, "petal": …, "species": …}).to_csv(path, index=False)`:
    /// three separable classes named by text.
    private func speciesCSV(rows: Int, names: [String] = ["versicolor", "setosa", "virginica"]) -> String {
        var text = "sepal,petal,species\n"
        for i in 0..<rows {
            let k = i % names.count
            text += "\(Double(k) * 2 + jitter(i, 0)),\(Double(k) * -3 + jitter(i, 1)),\(names[k])\n"
        }
        return text
    }

    @Test func classNamesGoThroughTrainEvalAndPredict() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let train = try write(speciesCSV(rows: 120), "train.csv", in: dir)
        let run = try batchwise(["train", "--data", train, "--epochs", "15", "--normalize", "standard", "--checkpoint-dir", dir + "/ck", "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("csv: \(train): comma-separated, header row (auto: row 1 holds names; set it with --header), label 'species' (column 2), 3 classes named setosa, versicolor, virginica"), "\(run.stdout)")
        #expect(run.stdout.contains("model: 2-128-3 "))
        #expect(try Checkpoint.load(from: dir + "/ck").configuration.classNames == ["setosa", "versicolor", "virginica"])

        let eval = try batchwise(["eval", "--checkpoint", dir + "/ck", "--data", train])
        #expect(eval.status == 0, "\(eval.stderr)")
        let lines = eval.stdoutLines.map { $0.split(separator: " ").map(String.init) }
        let matrix = try #require(lines.firstIndex { $0 == ["setosa", "versicolor", "virginica"] }, "\(eval.stdout)")
        #expect(lines[matrix + 1].first == "setosa" && lines[matrix + 2].first == "versicolor" && lines[matrix + 3].first == "virginica")
        #expect(lines[matrix + 1].dropFirst().compactMap { Int($0) }.reduce(0, +) == 40)

        let out = dir + "/pred.csv"
        let predict = try batchwise(["predict", "--checkpoint", dir + "/ck", "--data", train, "--output", out])
        #expect(predict.status == 0, "\(predict.stderr)")
        let predictions = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        #expect(predictions.first == "prediction,p_setosa,p_versicolor,p_virginica")
        let classes = predictions.dropFirst().map { String($0.prefix { $0 != "," }) }
        #expect(classes.count == 120)
        // Rows cycle versicolor, setosa, virginica; the separable classes are learnt.
        let truth = (0..<120).map { ["versicolor", "setosa", "virginica"][$0 % 3] }
        #expect(zip(classes, truth).filter { $0 == $1 }.count >= 108, "\(classes.prefix(9))")

        // A class the training data never had is named, in a test file and in eval.
        let ghost = try write(speciesCSV(rows: 6, names: ["setosa", "ghost"]), "ghost.csv", in: dir)
        try expectCleanFailure(["train", "--data", train, "--test", ghost, "--epochs", "1"],
                               mentioning: [ghost + ":3:3:", "label 'ghost' is not one of the 3 classes of the training data (setosa, versicolor, virginica)"])
        try expectCleanFailure(["eval", "--checkpoint", dir + "/ck", "--data", ghost], mentioning: ["'ghost'", "never saw"])
    }

    /// `df.to_csv(path, sep=";")` of a frame with default column names: the unnamed index is
    /// column 0 and the header is `;0;1;2`.
    @Test func aPandasIndexIsWarnedAboutAndDropped() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var text = ";0;1;2\n"
        for i in 0..<40 { text += "\(i);\(Double(i % 2) + jitter(i, 0));\(jitter(i, 1));\(i % 2)\n" }
        let path = try write(text, "indexed.csv", in: dir)
        let run = try batchwise(["train", "--data", path, "--epochs", "1", "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("';'-separated (detected; set it with --delimiter)"), "\(run.stdout)")
        #expect(run.stdout.contains("header row (auto: row 1 is the header pandas writes for an unnamed index"))
        #expect(run.stdout.contains("3 features"))
        #expect(run.stderr.hasPrefix("warning: column 0 counts 0, 1, 2, …"), "\(run.stderr)")
        #expect(run.stderr.contains("leave it out with --drop 0"))
        let dropped = try batchwise(["train", "--data", path, "--drop", "0", "--epochs", "1", "--quiet"])
        #expect(dropped.status == 0, "\(dropped.stderr)")
        #expect(dropped.stderr.isEmpty, "\(dropped.stderr)")
        #expect(dropped.stdout.contains("2 features") && dropped.stdout.contains("dropped column 0"))
    }

    /// `df.to_csv(path, index=False)` with default column names: the header is `0,1,2`,
    /// a row of numbers the rows below do not fit.
    @Test func theHeaderChoiceIsSaidAndCanBeOverridden() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var text = "0,1,2\n"
        for i in 0..<20 { text += "\(0.1 + Double(i % 2) + jitter(i, 0) / 2),\(0.1 + jitter(i, 1) / 2),\(i % 2)\n" }
        let path = try write(text, "numbers.csv", in: dir)
        let auto = try batchwise(["train", "--data", path, "--epochs", "1", "--validation-split", "0", "--quiet"])
        #expect(auto.status == 0, "\(auto.stderr)")
        #expect(auto.stdout.contains("header row (auto: row 1 is 0, 1, 2, …, pandas' column numbers, and lies outside the rows below"), "\(auto.stdout)")
        #expect(auto.stdout.contains("20 training samples"))
        let forced = try batchwise(["train", "--data", path, "--header", "no", "--loss", "cross-entropy", "--epochs", "1",
                                    "--validation-split", "0", "--quiet"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(forced.stdout.contains("21 training samples") && forced.stdout.contains("no header row"))
        // Tab-separated with --delimiter named.
        let tabs = try write("a\tb\ty\n1\t2\t0\n3\t4\t1\n5\t6\t0\n7\t8\t1\n", "tabs.tsv", in: dir)
        let tabbed = try batchwise(["train", "--data", tabs, "--delimiter", "tab", "--epochs", "1", "--validation-split", "0", "--quiet"])
        #expect(tabbed.status == 0, "\(tabbed.stderr)")
        #expect(tabbed.stdout.contains("'tab'-separated, header row"))
        try expectCleanFailure(["train", "--data", tabs, "--delimiter", "1.5"], mentioning: ["--delimiter", "one character"])
        try expectCleanFailure(["train", "--data", tabs, "--header", "maybe"], mentioning: ["--header", "yes, no or auto"])
    }

    @Test func labelsThatAreNotClassesAreAnErrorUnlessTheTaskIsGiven() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Classes numbered 1…3, as R and spreadsheets often number them.
        let fromOne = try write("a,b,y\n" + (0..<30).map { "\(jitter($0, 0)),\(jitter($0, 1)),\($0 % 3 + 1)" }.joined(separator: "\n"), "one.csv", in: dir)
        try expectCleanFailure(["train", "--data", fromOne, "--epochs", "1"],
                               mentioning: ["class 0 never occurs", "relabel them 0…2", "--classes 4", "--loss mse"])
        let declared = try batchwise(["train", "--data", fromOne, "--classes", "4", "--epochs", "1", "--quiet"])
        #expect(declared.status == 0 && declared.stderr.isEmpty, "\(declared.stderr)")
        #expect(declared.stdout.contains("model: 2-128-4 "))
        let explicit = try batchwise(["train", "--data", fromOne, "--loss", "cross-entropy", "--epochs", "1", "--quiet"])
        #expect(explicit.status == 0, "\(explicit.stderr)")
        #expect(explicit.stderr.hasPrefix("warning: \(fromOne): the class labels run from 1 to 3"), "\(explicit.stderr)")

        // A price: many distinct integers, a regression target.
        let prices = try write("a,b,price\n" + (0..<60).map { "\(jitter($0, 0)),\(jitter($0, 1)),\(1000 + Int(300 * jitter($0, 0) + 100 * jitter($0, 1)))" }.joined(separator: "\n"),
                               "prices.csv", in: dir)
        try expectCleanFailure(["train", "--data", prices, "--epochs", "1"],
                               mentioning: ["different values over 60 samples", "--loss mse", "--normalize-targets"])
        let ck = dir + "/ck"
        let regression = try batchwise(["train", "--data", prices, "--loss", "mse", "--normalize-targets", "--normalize", "standard",
                                        "--epochs", "20", "--checkpoint-dir", ck, "--quiet"])
        #expect(regression.status == 0, "\(regression.stderr)")
        #expect(regression.stdout.contains("targets: standardised (mean "))
        let stored = try #require(try Checkpoint.load(from: ck).configuration.targetScaling)
        #expect(stored.means[0] > 1000 && stored.means[0] < 1400)
        // Predictions come back in the targets' units, not standard deviations.
        let out = dir + "/pred.csv"
        #expect(try batchwise(["predict", "--checkpoint", ck, "--data", prices, "--output", out]).status == 0)
        let values = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").dropFirst().compactMap { Double($0) }
        #expect(values.count == 60)
        let mean = values.reduce(0, +) / Double(values.count)
        #expect(abs(mean - Double(stored.means[0])) < 50, "mean prediction \(mean)")
        let eval = try batchwise(["eval", "--checkpoint", ck, "--data", prices])
        #expect(eval.status == 0 && eval.stdout.contains("on standardised targets"), "\(eval.stdout)\(eval.stderr)")
        try expectCleanFailure(["train", "--data", prices, "--normalize-targets"], mentioning: ["--normalize-targets", "--loss mse"])
    }

    @Test func anOutputWiderThanTheClassesOrAnUnseenTestClassIsNamed() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let train = try write("a,b,y\n" + (0..<30).map { "\(jitter($0, 0)),\(jitter($0, 1)),\($0 % 3)" }.joined(separator: "\n"), "train.csv", in: dir)
        try expectCleanFailure(["train", "--data", train, "--layers", "2,8,5", "--epochs", "1"],
                               mentioning: ["output layer has 5 classes but the labels have only 3", "make the last --layers entry 3", "--classes 5"])
        #expect(try batchwise(["train", "--data", train, "--layers", "2,8,5", "--classes", "5", "--epochs", "1", "--quiet"]).status == 0)
        let test = try write("a,b,y\n0.5,0.5,0\n0.2,0.1,3\n", "test.csv", in: dir)
        let line = try expectCleanFailure(["train", "--data", train, "--test", test, "--epochs", "1"],
                                          mentioning: ["\(test) has class 3, which \(train) never has", "--classes 4"])
        #expect(!line.contains("widen") && !line.contains("at least 4"), "\(line)")
    }

    @Test func messagesNameTheRealCause() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A large --weight-decay is blamed, not the learning rate.
        let decay = try expectCleanFailure(["train", "--weight-decay", "1000", "--epochs", "1", "--quiet"],
                                           mentioning: ["NaN or infinite", "weight decay 1000.0 is too large", "--weight-decay"])
        #expect(!decay.contains("--lr"), "\(decay)")
        // `--label -1` is a column number, not a missing value.
        let csv = try write("1,2,0\n3,4,1\n", "x.csv", in: dir)
        let label = try expectCleanFailure(["train", "--data", csv, "--label", "-1"], mentioning: ["label column -1 does not exist", "numbered from 0"])
        #expect(!label.contains("Missing value"))
        // A corrupt format number is damage, not a newer Batchwise.
        #expect(try batchwise(["train", "--epochs", "1", "--checkpoint-dir", dir + "/ck", "--quiet"]).status == 0)
        let file = dir + "/ck/" + Checkpoint.fileName
        var bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        bytes.replaceSubrange(8..<12, with: [0x5A, 0x3C, 0x11, 0x7E])
        try bytes.write(to: URL(fileURLWithPath: file))
        let corrupt = try expectCleanFailure(["train", "--resume", dir + "/ck"], mentioning: [file, "damaged", "format number"])
        #expect(!corrupt.contains("newer"), "\(corrupt)")
    }
}
