import Batchwise
import Foundation

/// CSV text, as `batchwise train --data FILE.csv` reads it: every input must parse to a
/// dataset or throw `DataError`; anything else (a trap, a hang, a huge allocation) is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = start.map { Data(bytes: $0, count: count) } ?? Data()
    _ = try? CSVLoader().parse(data, name: "fuzz.csv")
    // The same bytes read as regression data with a header, the other main path.
    _ = try? CSVLoader(header: true, classification: false).parse(data, name: "fuzz.csv")
    return 0
}
