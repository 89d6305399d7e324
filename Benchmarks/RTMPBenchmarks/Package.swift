// swift-tools-version: 6.1
// RTMP benchmarks. The root package exports no library products, so this package compiles
// Sluice's RTMP, Ingest, StreamHub and MediaCore sources through symlinks in Sources/.
// Run: swift run -c release rtmp-bench   (from Benchmarks/RTMPBenchmarks)
import PackageDescription

let nioCore = Target.Dependency.product(name: "NIOCore", package: "swift-nio")

let package = Package(
    name: "RTMPBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .target(name: "MediaCore", dependencies: [nioCore]),
        .target(name: "StreamHub", dependencies: ["MediaCore"]),
        .target(name: "RTMP", dependencies: ["MediaCore", nioCore]),
        .target(name: "Ingest", dependencies: [
            "RTMP", "StreamHub", "MediaCore", nioCore,
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Counts malloc calls by replacing glibc's malloc family (glibc supports this).
        .target(name: "CRTMPBenchMallocCounter"),
        .executableTarget(name: "rtmp-bench", dependencies: [
            "RTMP", "Ingest", "StreamHub", "MediaCore", "CRTMPBenchMallocCounter", nioCore,
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
