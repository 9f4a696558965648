import Batchwise

/// The shared flags under the names the rest of `train` reads them by.
extension TrainCommand {
    var data: String? { dataFlags.data }
    var labels: String? { dataFlags.labels }
    var test: String? { dataFlags.test }
    var testLabels: String? { dataFlags.testLabels }
    var label: String? { dataFlags.label }
    var delimiter: String? { dataFlags.delimiter }
    var header: String? { dataFlags.header }
    var drop: String? { dataFlags.drop }
    var classes: Int? { dataFlags.classes }
    var synthetic: Int? { dataFlags.synthetic }
    var validationSplit: Double? { dataFlags.validationSplit }
    var normalize: String? { dataFlags.normalize }
    var scale: Float? { dataFlags.scale }
    var layers: String? { modelFlags.layers }
    var activation: String? { modelFlags.activation }
}
