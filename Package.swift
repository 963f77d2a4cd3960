// swift-tools-version: 6.0
//
// Diffuse: diffusion and flow models for non-image data (vectors, time series, sequences,
// synthetic distributions), on the CPU, over OpenBLAS, LAPACKE and FFTW3.
//
// Layers (a target imports only what is below it):
//   Examples ─► Diffuse (umbrella) ─► domain modules ─► DiffuseCore ─► DiffuseNN ─► DiffuseTensor ─► C libraries
//   (OpenBLAS, LAPACKE, FFTW, and `_DiffuseKernels`: hot loops in C with baseline, AVX2 and AVX-512 versions)
// Targets whose names start with an underscore are implementation details, not public API.

import PackageDescription

let package = Package(
    name: "Diffuse",
    products: [
        .library(name: "Diffuse", targets: ["Diffuse"]),
        .library(name: "DiffuseTensor", targets: ["DiffuseTensor"]),
        .library(name: "DiffuseNN", targets: ["DiffuseNN"]),
        .library(name: "DiffuseCore", targets: ["DiffuseCore"]),
        .library(name: "DiffuseTimeSeries", targets: ["DiffuseTimeSeries"]),
        .library(name: "DiffusePlot", targets: ["DiffusePlot"]),
        .library(name: "DiffuseTheory", targets: ["DiffuseTheory"]),
        .library(name: "DiffuseSequences", targets: ["DiffuseSequences"]),
        .library(name: "DiffuseMotion", targets: ["DiffuseMotion"]),
        // Needs MPI (libopenmpi-dev); nothing else depends on it.
        .library(name: "DiffuseDistributed", targets: ["DiffuseDistributed"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // `swift package generate-documentation` (DocC catalogs in Sources/<Module>/<Module>.docc).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // MARK: System libraries (Debian packages named in `providers`)
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CLAPACKE", path: "Sources/CLAPACKE",
                       providers: [.apt(["liblapacke-dev", "libopenblas-dev"])]),
        .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c",
                       providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
        .systemLibrary(name: "CFFTW", path: "Sources/CFFTW",
                       providers: [.apt(["libfftw3-dev"])]),

        // MARK: Kernels in C (baseline, AVX2 and AVX-512 versions chosen at load time; not API)
        .target(name: "_DiffuseKernels", path: "Sources/_DiffuseKernels"),

        // MARK: Library modules
        .target(
            name: "DiffuseTensor",
            dependencies: [
                "CBLAS", "CLAPACKE", "CFFTW", "_DiffuseKernels",
                .product(name: "RealModule", package: "swift-numerics"),
            ],
            swiftSettings: [.swiftLanguageMode(.v5)]),

        .target(
            name: "DiffuseNN",
            dependencies: ["DiffuseTensor", "_DiffuseKernels"],
            swiftSettings: [.swiftLanguageMode(.v5)]),

        .target(
            name: "DiffuseCore",
            dependencies: ["DiffuseTensor", "DiffuseNN", "_DiffuseKernels"],
            swiftSettings: [.swiftLanguageMode(.v5)]),

        .target(
            name: "DiffuseTimeSeries",
            dependencies: ["DiffuseTensor", "DiffuseNN", "DiffuseCore"],
            swiftSettings: [.swiftLanguageMode(.v5)]),

        .target(
            name: "DiffuseSequences",
            dependencies: ["DiffuseTensor", "DiffuseNN", "DiffuseCore"],
            swiftSettings: [.swiftLanguageMode(.v5)]),

        .target(
            name: "DiffuseMotion",
            dependencies: ["DiffuseTensor", "DiffuseNN", "DiffuseCore", "DiffuseTheory", "DiffusePlot"],
            swiftSettings: [.swiftLanguageMode(.v5)]),

        .target(
            name: "DiffuseTheory",
            dependencies: ["DiffuseTensor", "DiffuseNN", "DiffuseCore", "DiffusePlot"],
            swiftSettings: [.swiftLanguageMode(.v5)]),

        // MPI collectives behind DiffuseNN's `Communicator` (data-parallel training, sharded sampling).
        .target(
            name: "DiffuseDistributed",
            dependencies: ["CMPI", "DiffuseTensor", "DiffuseNN"],
            swiftSettings: [.swiftLanguageMode(.v5)]),

        .target(
            name: "DiffusePlot",
            swiftSettings: [.swiftLanguageMode(.v5)]),

        .target(
            name: "Diffuse",
            dependencies: ["DiffuseTensor", "DiffuseNN", "DiffuseCore", "DiffuseTimeSeries", "DiffuseSequences", "DiffuseMotion", "DiffuseTheory", "DiffusePlot"],
            swiftSettings: [.swiftLanguageMode(.v5)]),

        // MARK: Test support (not API)
        .target(
            name: "_DiffuseTestSupport",
            dependencies: ["DiffuseTensor", "DiffuseNN", "DiffuseCore"],
            swiftSettings: [.swiftLanguageMode(.v5)]),

        // MARK: Fuzzing (not API): the mutation engine and every reader as a target
        .target(
            name: "_DiffuseFuzzing",
            dependencies: ["DiffuseTensor", "DiffuseNN", "DiffuseTimeSeries", "DiffuseSequences", "DiffuseMotion"],
            swiftSettings: [.swiftLanguageMode(.v5)]),

        // MARK: Examples
        .executableTarget(
            name: "diffuse-fuzz",
            dependencies: [
                "DiffuseTensor", "DiffuseTimeSeries", "_DiffuseFuzzing",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Examples/Fuzz",
            swiftSettings: [.swiftLanguageMode(.v5)]),

        // Run by the tests under `mpirun -np 2`: collectives, sharded sampling, data-parallel training.
        .executableTarget(
            name: "diffuse-mpi-check",
            dependencies: ["DiffuseTensor", "DiffuseNN", "DiffuseCore", "DiffuseTimeSeries", "DiffuseSequences", "DiffuseTheory", "DiffuseDistributed"],
            path: "Examples/MPICheck",
            swiftSettings: [.swiftLanguageMode(.v5)]),

        .executableTarget(
            name: "diffuse-bench",
            dependencies: [
                "DiffuseTensor", "DiffuseNN", "DiffuseCore", "DiffuseTimeSeries", "DiffuseSequences", "DiffuseMotion",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Examples/DiffuseBench",
            exclude: ["Reference"],
            swiftSettings: [.swiftLanguageMode(.v5)]),

        .executableTarget(
            name: "design-sequences",
            dependencies: [
                "DiffuseTensor", "DiffuseNN", "DiffuseCore", "DiffuseSequences", "DiffusePlot", "DiffuseDistributed",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Examples/DesignSequences",
            exclude: ["Checkpoints"],
            swiftSettings: [.swiftLanguageMode(.v5)]),

        .executableTarget(
            name: "forecast",
            dependencies: [
                "DiffuseTensor", "DiffuseNN", "DiffuseCore", "DiffuseTimeSeries", "DiffusePlot", "DiffuseDistributed",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Examples/Forecast",
            exclude: ["Checkpoints", "Reference"],
            swiftSettings: [.swiftLanguageMode(.v5)]),

        .executableTarget(
            name: "forecast-bench",
            dependencies: [
                "DiffuseTensor", "DiffuseTimeSeries",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Examples/ForecastBench",
            swiftSettings: [.swiftLanguageMode(.v5)]),

        .executableTarget(
            name: "motion",
            dependencies: [
                "DiffuseTensor", "DiffuseNN", "DiffuseCore", "DiffuseMotion",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Examples/Motion",
            exclude: ["Checkpoints"],
            swiftSettings: [.swiftLanguageMode(.v5)]),

        .executableTarget(
            name: "theory-checks",
            dependencies: [
                "DiffuseTensor", "DiffuseTheory",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Examples/TheoryChecks",
            exclude: ["Checkpoints"],
            swiftSettings: [.swiftLanguageMode(.v5)]),

        // MARK: Tests
        .testTarget(
            name: "DiffuseCoreTests",
            dependencies: ["DiffuseCore", "_DiffuseTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: [.swiftLanguageMode(.v5)]),
        // Imports only the public API (no @testable): what a package of your own can write.
        .testTarget(
            name: "DiffusePublicAPITests",
            dependencies: ["Diffuse", "DiffuseCore", "DiffuseTensor", "DiffuseNN", "DiffuseSequences", "DiffuseTimeSeries", "DiffuseTheory", "DiffuseMotion", "DiffuseDistributed"],
            swiftSettings: [.swiftLanguageMode(.v5)]),
        .testTarget(
            name: "DiffuseNNTests",
            dependencies: ["DiffuseNN", "_DiffuseTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: [.swiftLanguageMode(.v5)]),
        .testTarget(
            name: "DiffuseTimeSeriesTests",
            dependencies: ["DiffuseTimeSeries", "_DiffuseTestSupport"],
            swiftSettings: [.swiftLanguageMode(.v5)]),
        .testTarget(
            name: "DiffuseSequencesTests",
            dependencies: ["DiffuseSequences", "_DiffuseTestSupport", "_DiffuseFuzzing"],
            swiftSettings: [.swiftLanguageMode(.v5)]),
        .testTarget(
            name: "DiffuseMotionTests",
            dependencies: ["DiffuseMotion", "_DiffuseTestSupport", "_DiffuseFuzzing"],
            swiftSettings: [.swiftLanguageMode(.v5)]),
        .testTarget(
            name: "DiffuseTheoryTests",
            dependencies: ["DiffuseTheory", "_DiffuseTestSupport"],
            swiftSettings: [.swiftLanguageMode(.v5)]),
        .testTarget(
            name: "DiffuseDistributedTests",
            dependencies: ["DiffuseDistributed", "DiffuseNN", "_DiffuseTestSupport"],
            swiftSettings: [.swiftLanguageMode(.v5)]),
        .testTarget(
            name: "DiffuseTensorTests",
            dependencies: ["DiffuseTensor", "_DiffuseTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: [.swiftLanguageMode(.v5)]),
    ]
)
