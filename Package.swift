// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Batchwise",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "Batchwise", targets: ["Batchwise"]),
        .library(name: "BatchwiseMPI", targets: ["BatchwiseMPI"]),
        .library(name: "BatchwiseReporting", targets: ["BatchwiseReporting"]),
        .library(name: "BatchwiseBench", targets: ["BatchwiseBench"]),
        .executable(name: "batchwise", targets: ["BatchwiseCLI"]),
    ],
    // `swift build --traits MPI` adds multi-process training over Open MPI (libopenmpi-dev);
    // the default build needs no MPI.
    traits: [
        .trait(name: "MPI", description: "Multi-process training over Open MPI (batchwise train --distributed mpi)."),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.2.0"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.0.0"),
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
        .systemLibrary(
            name: "COpenMPI",
            pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev"])]
        ),
        .target(
            name: "CBatchwiseShims",
            cSettings: [.define("_GNU_SOURCE")]
        ),
        // The all-reduce's inner loops, compiled per instruction set and picked at run time.
        .target(name: "CBatchwiseKernels"),
        // The engine: topology, workers, sharding, all-reduce, scheduler, models, optimizers,
        // data, training. The built-in digits are compiled in from a gzip CSV (no bundle lookup).
        .target(
            name: "Batchwise",
            dependencies: [
                "CHwloc", "COpenBLAS", "CBatchwiseShims", "CBatchwiseKernels", "CZlib",
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.embedInCode("Data/digits.csv.gz")]
        ),
        // What a run shows and writes: progress bar and line, metrics log, SVG figures, tables.
        .target(
            name: "BatchwiseReporting",
            dependencies: ["Batchwise", .product(name: "SystemPackage", package: "swift-system")]
        ),
        // The scaling and batch-size sweeps behind `batchwise bench`.
        .target(
            name: "BatchwiseBench",
            dependencies: ["Batchwise", "BatchwiseReporting", .product(name: "SystemPackage", package: "swift-system")]
        ),
        .target(
            name: "BatchwiseMPI",
            dependencies: [
                "Batchwise",
                .target(name: "COpenMPI", condition: .when(traits: ["MPI"])),
            ]
        ),
        .executableTarget(
            name: "BatchwiseCLI",
            dependencies: [
                "Batchwise", "BatchwiseMPI", "BatchwiseReporting", "BatchwiseBench", "CBatchwiseShims",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Fixtures the test targets share (no tests of its own).
        .target(
            name: "BatchwiseTestSupport",
            dependencies: ["Batchwise", "CZlib"],
            path: "Tests/BatchwiseTestSupport"
        ),
        .testTarget(
            name: "BatchwiseTests",
            dependencies: ["Batchwise", "BatchwiseTestSupport", "CBatchwiseShims", "CBatchwiseKernels", "CHwloc", "CZlib"]
        ),
        .testTarget(
            name: "BatchwiseReportingTests",
            dependencies: ["BatchwiseReporting", "Batchwise", "BatchwiseTestSupport"]
        ),
        .testTarget(
            name: "BatchwiseBenchTests",
            dependencies: ["BatchwiseBench", "BatchwiseReporting", "Batchwise", "BatchwiseTestSupport"]
        ),
        .testTarget(
            name: "BatchwiseMPITests",
            dependencies: ["BatchwiseMPI"]
        ),
        // End to end: the built `batchwise` executable run as a subprocess (MPI runs included).
        .testTarget(
            name: "BatchwiseCLITests",
            dependencies: ["BatchwiseCLI", "Batchwise", "BatchwiseMPI", "BatchwiseTestSupport", "CBatchwiseKernels"]
        ),
    ]
)
