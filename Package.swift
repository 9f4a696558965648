// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Batchwise",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "Batchwise", targets: ["Batchwise"]),
        .executable(name: "batchwise", targets: ["BatchwiseCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.2.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CHwloc",
            pkgConfig: "hwloc",
            providers: [.apt(["libhwloc-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(
            name: "CBatchwiseShims",
            cSettings: [.define("_GNU_SOURCE")]
        ),
        .target(
            name: "Batchwise",
            dependencies: [
                "CHwloc", "COpenBLAS", "CBatchwiseShims", "CZlib",
                .product(name: "Atomics", package: "swift-atomics"),
            ]
        ),
        .executableTarget(
            name: "BatchwiseCLI",
            dependencies: [
                "Batchwise",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "BatchwiseTests",
            dependencies: ["Batchwise", "CBatchwiseShims", "CHwloc", "CZlib", "BatchwiseCLI"]
        ),
    ]
)
