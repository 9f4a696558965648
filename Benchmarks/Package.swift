// swift-tools-version:6.1
import PackageDescription

// Benchmarks for Batchwise, kept in their own package so the library never depends on
// package-benchmark. Run from this folder: `swift package --disable-sandbox benchmark`.
let package = Package(
    name: "BatchwiseBenchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        // `name:` keeps the product reference independent of the checkout folder's name
        // (a bare path dependency is identified by its last path component).
        .package(name: "Batchwise", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "BarrierRoundTrip",
            dependencies: [
                .product(name: "Batchwise", package: "Batchwise"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/BarrierRoundTrip",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark"),
            ]
        ),
        .executableTarget(
            name: "AllReduceUpdate",
            dependencies: [
                .product(name: "Batchwise", package: "Batchwise"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/AllReduceUpdate",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark"),
            ]
        ),
        .executableTarget(
            name: "TrainingStep",
            dependencies: [
                .product(name: "Batchwise", package: "Batchwise"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/TrainingStep",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark"),
            ]
        ),
    ]
)
