@testable import Batchwise
import Testing

/// Library errors name API parameters, and a front end can render them under its own names.
@Suite struct ErrorTextTests {
    @Test func parametersRenderUnderTheirAPINamesByDefault() {
        let rate: Float = -1
        let e = ConfigurationError("\(parameter: "learningRate") must be above 0 (got \(rate)); try \(parameter: "workers", value: "2")")
        #expect(e.message == "`learningRate` must be above 0 (got -1.0); try `workers: 2`")
        #expect(e.description == e.message)
    }

    @Test func aFrontEndRendersItsOwnNames() {
        let text: ErrorText = "use \(parameter: "widths") or \(parameter: "oversubscribe", value: "true")"
        let rendered = text.rendered { name, value in
            (name == "widths" ? "--layers" : "--" + name) + (value.map { $0 == "true" ? "" : " " + $0 } ?? "")
        }
        #expect(rendered == "use --layers or --oversubscribe")
    }

    @Test func textsJoinWithTheirParametersKept() {
        let joined: ErrorText = ("a has 3" as ErrorText) + " but make \(parameter: "widths") 4"
        #expect(joined.pieces == [.text("a has 3 but make "), .parameter(name: "widths", value: nil), .text(" 4")])
    }

    @Test func aQualifiedNameShowsBare() {
        let e = ConfigurationError("\(parameter: "BatchSizeTarget.loss") must be above 0")
        #expect(e.message == "`loss` must be above 0")
        #expect(e.text.pieces.first == .parameter(name: "BatchSizeTarget.loss", value: nil))
    }

    @Test func textPiecesAreMergedSoEqualTextsCompareEqual() {
        let n = 3
        let a: ErrorText = "got \(n) of \(4)"
        #expect(a.pieces == [.text("got 3 of 4")])
        #expect(ConfigurationError("got \(n) of \(4)") == ConfigurationError(ErrorText("got 3 of 4")))
    }

    @Test func dataAndTrainingErrorsCarryTheSameText() {
        let d = DataError(file: "x.csv", line: 2, column: 3, "use \(parameter: "loss", value: "mse")")
        #expect(d.description == "x.csv:2:3: use `loss: mse`")
        #expect(d.located("use --loss mse") == "x.csv:2:3: use --loss mse")
        #expect(TrainingError.nonFinite(step: 4, epoch: 1, learningRate: 0.5).message.hasSuffix("try a smaller `learningRate`"))
    }
}
