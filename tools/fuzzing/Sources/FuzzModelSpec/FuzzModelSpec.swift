import Batchwise

/// Model-spec text (`--model 'flatten dense(128) relu dense(10)'`): every input must parse or
/// throw `ConfigurationError`, and a spec that parses must parse back from its canonical text
/// to the same canonical text.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModelSpec(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: start, count: start == nil ? 0 : count)
    let text = String(decoding: bytes, as: UTF8.self)
    guard let spec = try? ModelSpec(parsing: text) else { return 0 }
    do {
        let again = try ModelSpec(parsing: spec.text)
        precondition(again.text == spec.text, "canonical text does not round-trip: '\(spec.text)' -> '\(again.text)'")
    } catch {
        preconditionFailure("canonical text '\(spec.text)' of '\(text)' does not parse: \(error)")
    }
    return 0
}
