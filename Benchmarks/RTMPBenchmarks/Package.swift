// swift-tools-version: 6.1
// RTMP benchmarks against the Sluice package (its SluiceIngest library product).
// Run: swift run -c release rtmp-bench   (from Benchmarks/RTMPBenchmarks)
import PackageDescription

let nioCore = Target.Dependency.product(name: "NIOCore", package: "swift-nio")

let package = Package(
    name: "RTMPBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(name: "Sluice", path: "../.."),
    ],
    targets: [
        // Counts malloc calls by replacing glibc's malloc family (glibc supports this).
        .target(name: "CRTMPBenchMallocCounter"),
        .executableTarget(name: "rtmp-bench", dependencies: [
            .product(name: "SluiceIngest", package: "Sluice"), "CRTMPBenchMallocCounter", nioCore,
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
