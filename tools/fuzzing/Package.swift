// swift-tools-version:6.1
import PackageDescription

// libFuzzer targets for Batchwise's parsers of untrusted bytes, kept in their own package so
// that neither `swift build --build-tests` nor CI ever builds them. Build and run them with
// `tools/fuzz TARGET SECONDS` (it builds them with libFuzzer and AddressSanitizer; see its comment for the flags); each target
// is one file defining `LLVMFuzzerTestOneInput`, and libFuzzer supplies `main`.
let fuzzTargets = ["FuzzCSV", "FuzzIDX", "FuzzNPY", "FuzzCheckpoint", "FuzzModelSpec"]

let package = Package(
    name: "BatchwiseFuzz",
    platforms: [.macOS(.v13)],
    dependencies: [
        // `name:` keeps the product reference independent of the checkout folder's name.
        .package(name: "Batchwise", path: "../.."),
    ],
    targets: fuzzTargets.map { name in
        .executableTarget(
            name: name,
            dependencies: [.product(name: "Batchwise", package: "Batchwise")],
            path: "Sources/\(name)",
            // One source file not named main.swift: no `main` is generated, libFuzzer's is used.
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        )
    }
)
